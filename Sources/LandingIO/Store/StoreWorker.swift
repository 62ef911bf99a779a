import Foundation
import Glibc
import LandingCore

/// The store threads of the imperative shell: each owns one `LandingStore` (one connection) and
/// one dedicated thread, so blocking disk or network I/O never runs on an event loop. Event loops
/// submit work and get a completion call (on a store thread) that posts the result back to their loop.
///
/// All threads take work from one queue. Writes (callbacks, webhooks, session creation and
/// deletion) share one group-commit path: each time a thread wakes it takes what is queued (up to
/// `maxBatch` writes) and commits all consecutive writes with one `LandingStore.commit` (one
/// transaction, one fsync), so many concurrent writes share the cost of one sync; with several
/// threads (a PostgreSQL pool) the next batch gathers while the previous one is in flight. After a
/// commit succeeds — and only then — the thread hands the changed records to `onCommit` (the server
/// wakes its long-poll waiters there), then runs each write's completion; a failed commit announces
/// nothing and fails every write of its batch. With one thread, reads (`perform`) run in
/// submission order relative to writes; with several, a read submitted after a write completed
/// sees it (every write is durable before its completion runs). Waiting is on a condition
/// variable; an idle thread wakes about once a second to run `LandingStore.maintain` (pings,
/// reconnects). The periodic purge runs on one thread at a time, in small steps (`purgeBatchSize`
/// rows, one transaction each) with the queued work run between two steps, so it never holds
/// writes back for long.
///
/// Under load the batch is also held open for company (`GroupCommitPolicy`, `--group-commit-wait`):
/// a thread about to take fewer than the policy's target of writes waits up to the policy's wait
/// for more, and queued writes do not wake it meanwhile. Reads never wait: one queued ends the hold.
public final class StoreWorker: Sendable {
    /// What a completion receives for a write.
    public typealias WriteCompletion = @Sendable (Result<StoreWriteResult, StoreError>) -> Void

    /// The store thread's hooks.
    public struct Hooks: Sendable {
        /// The seconds each batch's commit took.
        public var observeWrite: (@Sendable (Double) -> Void)?
        /// The records a commit changed, called on the store thread after the commit is durable and
        /// before the batch's completions; never for a failed commit or one that changed nothing.
        public var onCommit: (@Sendable ([RecordChange]) -> Void)?
        /// Each successful batch's commit seconds with the writes it held (latency by write kind).
        public var observeBatch: (@Sendable (Double, [StoreWrite]) -> Void)?
        /// Seconds the oldest job of each batch waited in the queue for a free store thread.
        public var observeQueueWait: (@Sendable (Double) -> Void)?

        public init(
            observeWrite: (@Sendable (Double) -> Void)? = nil, onCommit: (@Sendable ([RecordChange]) -> Void)? = nil,
            observeBatch: (@Sendable (Double, [StoreWrite]) -> Void)? = nil, observeQueueWait: (@Sendable (Double) -> Void)? = nil
        ) {
            self.observeWrite = observeWrite
            self.onCommit = onCommit
            self.observeBatch = observeBatch
            self.observeQueueWait = observeQueueWait
        }
    }

    /// Most writes committed in one transaction; a larger backlog is split, so one commit's
    /// latency stays bounded.
    public static let maxBatch = 1_024

    /// Rows one purge step deletes, in its own transaction. Small, so a purge of a large backlog
    /// never holds SQLite's write lock for long: queued writes run between steps.
    public static let purgeBatchSize = 500

    private let queue: StoreWorkQueue

    /// Starts the store thread for `store`, named `name` (at most 15 bytes are kept).
    /// `observeWrite`, if given, gets the seconds each batch's commit took; `onCommit` the records
    /// each successful commit changed (both on the store thread; see `Hooks`).
    public convenience init(
        store: any LandingStore, name: String = "landing-store", observeWrite: (@Sendable (Double) -> Void)? = nil,
        onCommit: (@Sendable ([RecordChange]) -> Void)? = nil
    ) {
        self.init(store: store, name: name, hooks: Hooks(observeWrite: observeWrite, onCommit: onCommit))
    }

    /// Starts the store thread for `store` with `hooks`.
    public convenience init(store: any LandingStore, name: String, hooks: Hooks) {
        self.init(stores: [store], name: name, hooks: hooks)
    }

    /// Starts one store thread per element of `stores` (a pool of connections), all fed by one
    /// queue; thread `i` is named `name` with `-i` appended when there are several.
    /// `groupCommit` says when a batch is held open for company under load (by default never).
    public init(
        stores: [any LandingStore], name: String = "landing-store", hooks: Hooks,
        groupCommit: GroupCommitPolicy = GroupCommitPolicy(maxWait: 0)
    ) {
        precondition(!stores.isEmpty, "a store worker needs at least one store")
        let queue = StoreWorkQueue(threads: stores.count, groupCommit: groupCommit)
        self.queue = queue
        self.threadCount = stores.count
        for (index, store) in stores.enumerated() {
            let threadName = stores.count == 1 ? name : "\(name.prefix(12))-\(index)"
            // why: the thread holds the queue and the store, not `self`, so releasing the last
            // reference to the worker runs `deinit`, which shuts the threads down.
            let thread = Thread {
                Self.nameCurrentThread(threadName)
                Self.run(queue: queue, store: store, hooks: hooks)
            }
            thread.start()
        }
    }

    /// How many store threads (connections) serve the queue.
    public let threadCount: Int

    /// Jobs waiting for a store thread (for metrics).
    public var queuedJobs: Int { queue.count }

    deinit { shutdown() }

    /// Commits `write` durably, batched with whatever else is queued; `completion` runs on the store
    /// thread after the commit and its `onCommit` (or with the error that rolled the batch back).
    /// After `shutdown`, `completion` runs at once, on the caller's thread, with a "shut down" error.
    public func write(_ write: StoreWrite, completion: @escaping WriteCompletion) {
        guard queue.submit(.write(write, completion)) else { return completion(.failure(Self.shutDownError)) }
    }

    /// Runs `work` against the store on the store thread, in submission order, then `completion`
    /// (on the store thread) with its result. After `shutdown`, `completion` runs at once, on the
    /// caller's thread, with a "shut down" error.
    public func perform<T: Sendable>(
        _ work: @escaping @Sendable (any LandingStore) throws(StoreError) -> T,
        completion: @escaping @Sendable (Result<T, StoreError>) -> Void
    ) {
        let job = StoreWorkQueue.Job.work { store in
            do throws(StoreError) {
                completion(.success(try work(store)))
            } catch {
                completion(.failure(error))
            }
        }
        guard queue.submit(job) else { return completion(.failure(Self.shutDownError)) }
    }

    /// Purges records last updated more than `retention` seconds before `clock()` (milliseconds
    /// since the epoch): once now, then every `interval` seconds, on the store thread. Each run
    /// deletes in steps of at most `batchSize` rows, one short transaction each, and whatever was
    /// queued meanwhile (writes, reads) runs between two steps, so a large purge never stalls
    /// writes. `log` gets one line per run (how many records went in how many steps, or the
    /// error). Calling it again replaces the schedule (a run in progress finishes with its cutoff).
    public func startPurging(
        every interval: Double, retention: Double, clock: @escaping @Sendable () -> Int64,
        batchSize: Int = StoreWorker.purgeBatchSize, log: @escaping @Sendable (String) -> Void
    ) {
        precondition(interval > 0, "the purge interval must be positive")
        precondition(batchSize > 0, "the purge batch size must be positive")
        queue.schedulePurge(
            StoreWorkQueue.PurgeSchedule(
                interval: interval, retention: retention, clock: clock, batchSize: batchSize, log: log))
    }

    /// Finishes everything already queued, then stops the thread and waits for it to exit.
    /// Idempotent. Called from the store thread itself (a completion), it only asks the thread to
    /// stop once its current work is done.
    public func shutdown() {
        queue.stop()
    }

    static let shutDownError = StoreError(.unavailable, "the store worker is shut down")

    /// Names the calling thread as `top -H`, `ps -L` and gdb show it (best effort).
    /// why: swift-corelibs-foundation does not reliably pass `Thread.name` on to the OS thread (a
    /// new thread then keeps its creator's name), and Glibc's module hides `pthread_setname_np`;
    /// writing /proc/thread-self/comm is what that call does on Linux.
    static func nameCurrentThread(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    // MARK: The store thread

    private static func run(queue: StoreWorkQueue, store: any LandingStore, hooks: Hooks) {
        queue.markStarted()
        var pending = PendingWrites()
        var purging: PurgeRun?
        // why: while a purge is under way the thread does not sleep: it takes whatever was queued
        // (without waiting), runs it, then one purge step, so writes interleave with the steps.
        while let (jobs, due, waited) = queue.next(wait: purging == nil) {
            if let waited { hooks.observeQueueWait?(waited) }
            if jobs.isEmpty && due == nil { store.maintain(now: monotonicNow()) }
            for job in jobs {
                switch job {
                case .write(let write, let completion):
                    pending.writes.append(write)
                    pending.completions.append(completion)
                    if pending.writes.count >= maxBatch { commit(&pending, to: store, hooks) }
                case .work(let work):
                    commit(&pending, to: store, hooks)
                    work(store)
                }
            }
            commit(&pending, to: store, hooks)
            if let due {
                // `next` hands out a due purge only while none runs, so this thread has none.
                purging = PurgeRun(due)
            }
            if var run = purging {
                if run.step(on: store) {
                    purging = nil
                    queue.purgeFinished()
                } else {
                    purging = run
                }
            }
        }
        queue.markFinished()
    }

    /// The writes taken and not yet committed, with their completions (same order, same count).
    // why: two arrays rather than one of pairs, so the batch is handed to `commit` as it is, not
    // mapped into a new array of its writes first.
    struct PendingWrites {
        var writes: [StoreWrite] = []
        var completions: [WriteCompletion] = []
    }

    /// Commits the pending writes in one `commit` call, announces what changed, then completes each.
    private static func commit(_ pending: inout PendingWrites, to store: any LandingStore, _ hooks: Hooks) {
        guard !pending.writes.isEmpty else { return }
        defer {
            pending.writes.removeAll(keepingCapacity: true)
            pending.completions.removeAll(keepingCapacity: true)
        }
        do throws(StoreError) {
            let started = monotonicNow()
            let commit = try store.commit(pending.writes)
            let seconds = monotonicNow() - started
            hooks.observeWrite?(seconds)
            hooks.observeBatch?(seconds, pending.writes)
            // why: announced here, on the store thread, after the commit and before any completion;
            // a long-poll registers on this same thread right after the read that found its record
            // unchanged (`SessionAPI.read`), so no commit can fall between that read and the registration.
            if !commit.changes.isEmpty { hooks.onCommit?(commit.changes) }
            guard commit.results.count == pending.writes.count else {
                throw StoreError(.corrupt, "the store returned \(commit.results.count) results for \(pending.writes.count) writes")
            }
            for (index, completion) in pending.completions.enumerated() { completion(.success(commit.results[index])) }
        } catch {
            for completion in pending.completions { completion(.failure(error)) }
        }
    }

    /// One purge run in progress: its cutoff (fixed at the start) and what it removed so far.
    struct PurgeRun {
        let schedule: StoreWorkQueue.PurgeSchedule
        let cutoff: Int64
        private(set) var removed = 0
        private(set) var steps = 0

        init(_ schedule: StoreWorkQueue.PurgeSchedule) {
            self.schedule = schedule
            // why: clamp so an absurd retention cannot trap the conversion; the cutoff then predates everything.
            let retention = Int64(min(max(schedule.retention * 1_000, 0), 1e15).rounded())
            cutoff = schedule.clock() - retention
        }

        /// Runs one step (one transaction); true when the run is over (done or failed), after its
        /// log line.
        mutating func step(on store: any LandingStore) -> Bool {
            do throws(StoreError) {
                let batch = try store.purge(updatedBefore: cutoff, limit: schedule.batchSize)
                if batch.skippedForAnotherInstance {
                    schedule.log("store purge skipped: another instance sharing the database is purging")
                    return true
                }
                removed += batch.records
                steps += 1
                guard batch.isComplete else { return false }
                schedule.log(
                    "store purge removed \(removed) record\(removed == 1 ? "" : "s") last updated before \(cutoff)"
                        + " in \(steps) step\(steps == 1 ? "" : "s")")
            } catch {
                schedule.log(
                    "store purge failed: \(error.message) (after removing \(removed) record\(removed == 1 ? "" : "s"))")
            }
            return true
        }
    }
}

/// The worker's queue and lifecycle flags, shared by submitters and the store threads.
final class StoreWorkQueue: @unchecked Sendable {  // why: every mutable field is guarded by `condition`.
    enum Job {
        case write(StoreWrite, StoreWorker.WriteCompletion)
        case work(@Sendable (any LandingStore) -> Void)
    }

    struct PurgeSchedule {
        var interval: Double
        var retention: Double
        var clock: @Sendable () -> Int64
        /// Most rows one purge step deletes.
        var batchSize: Int
        var log: @Sendable (String) -> Void
    }

    /// Seconds an idle thread sleeps before it returns empty-handed to run `maintain`.
    static let maintenanceInterval = 1.0

    private let condition = NSCondition()
    private var jobs: [Job] = []
    /// How many of `jobs` are writes (the rest are reads and other work, which never wait).
    private var queuedWrites = 0
    private var groupCommit: GroupCommitPolicy
    /// A thread holds the next batch open until then (monotonic seconds); writes queued meanwhile
    /// do not wake anyone unless they fill the batch.
    private var holdUntil: Double?
    /// When the oldest job in `jobs` was queued (monotonic seconds).
    private var oldestQueuedAt = 0.0
    private var stopping = false
    private let threads: Int
    private var finishedThreads = 0
    private var purge: PurgeSchedule?
    /// Monotonic time of the next purge.
    private var nextPurge = 0.0
    /// A thread is running a purge (from the due purge `next` handed out until `purgeFinished`).
    private var purgeRunning = false
    private var workerThreads: [pthread_t] = []

    init(threads: Int, groupCommit: GroupCommitPolicy = GroupCommitPolicy(maxWait: 0)) {
        self.threads = threads
        self.groupCommit = groupCommit
    }

    /// Jobs queued and not yet taken.
    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return jobs.count
    }

    /// Queues `job` and wakes a thread; false when the worker is stopping.
    func submit(_ job: Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return false }
        let now = monotonicNow()
        if jobs.isEmpty { oldestQueuedAt = now }
        jobs.append(job)
        if case .write = job {
            queuedWrites += 1
            groupCommit.writeArrived(at: now)
            // why: a thread is holding the batch open and wakes at `holdUntil` by itself; waking it
            // for each write would cost a context switch per write, the very cost holding saves.
            if let holdUntil, now < holdUntil, queuedWrites < groupCommit.target { return true }
        }
        condition.signal()
        return true
    }

    func schedulePurge(_ schedule: PurgeSchedule) {
        condition.lock()
        defer { condition.unlock() }
        purge = schedule
        nextPurge = monotonicNow()
        condition.signal()
    }

    /// Store thread: waits (unless `wait` is false) until there is work, a purge is due, the worker
    /// stops, or `maintenanceInterval` passes idle; returns the jobs it takes (at most
    /// `StoreWorker.maxBatch` writes' worth, the rest left for another thread; none when idle), the
    /// purge to start, and how long the oldest taken job waited — or nil once stopping with nothing
    /// left to do (a purge under way is abandoned then).
    func next(wait: Bool = true) -> ([Job], PurgeSchedule?, Double?)? {
        condition.lock()
        defer { condition.unlock() }
        var waitedIdle = false
        while true {
            var due: PurgeSchedule?
            let now = monotonicNow()
            // why: one run at a time across the pool; a purge that comes due while one runs waits
            // for it to end (`purgeFinished`), so two threads never purge the same rows at once.
            if let purge, !stopping, !purgeRunning, now >= nextPurge {
                due = purge
                purgeRunning = true
                nextPurge = now + purge.interval
            }
            // Group commit: hold a batch of nothing but writes open while the policy says so. The
            // hold begins once (when the oldest queued write arrived, or now with none queued) and
            // ends at its deadline, when the batch fills, when a read arrives or when stopping.
            if due == nil, wait, !stopping, jobs.count == queuedWrites, queuedWrites < groupCommit.target {
                if holdUntil == nil {
                    holdUntil = groupCommit.holdDeadline(
                        queuedWrites: queuedWrites, start: jobs.isEmpty ? now : oldestQueuedAt, now: now)
                }
                if let until = holdUntil, now < until {
                    _ = condition.wait(until: Date(timeIntervalSinceNow: until - now))
                    continue
                }
            }
            holdUntil = nil
            if !jobs.isEmpty || due != nil {
                let waited = jobs.isEmpty ? nil : now - oldestQueuedAt
                let taken: [Job]
                if jobs.count <= StoreWorker.maxBatch {
                    taken = jobs
                    jobs.removeAll(keepingCapacity: true)
                    queuedWrites = 0
                } else {
                    taken = Array(jobs.prefix(StoreWorker.maxBatch))
                    jobs.removeFirst(StoreWorker.maxBatch)
                    queuedWrites = jobs.reduce(0) { count, job in
                        if case .write = job { count + 1 } else { count }
                    }
                    oldestQueuedAt = now
                    // why: the rest is another thread's next batch; wake one for it.
                    condition.signal()
                }
                return (taken, due, waited)
            }
            if stopping { return nil }
            if !wait || waitedIdle { return ([], nil, nil) }
            var until = now + Self.maintenanceInterval
            if purge != nil { until = min(until, nextPurge) }
            waitedIdle = !condition.wait(until: Date(timeIntervalSinceNow: until - now))
        }
    }

    /// The purge run a thread took from `next` is over (done or failed).
    func purgeFinished() {
        condition.lock()
        purgeRunning = false
        condition.signal()
        condition.unlock()
    }

    func markStarted() {
        condition.lock()
        workerThreads.append(pthread_self())
        condition.unlock()
    }

    func markFinished() {
        condition.lock()
        finishedThreads += 1
        condition.broadcast()
        condition.unlock()
    }

    /// Asks the threads to stop after the queued jobs and waits for them, unless called on one.
    func stop() {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        condition.broadcast()
        // why: a store thread cannot wait for itself; it exits once its current batch is done.
        if workerThreads.contains(where: { pthread_equal($0, pthread_self()) != 0 }) { return }
        while finishedThreads < threads { condition.wait() }
    }
}
