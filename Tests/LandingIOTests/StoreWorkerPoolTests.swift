import Foundation
import LandingCore
import Synchronization
import Testing

@testable import LandingIO

/// What the pool's stores saw, shared by all of them: commits in flight now and at most, batch
/// sizes, maintain calls per store, purge steps in flight.
private final class PoolProbe: Sendable {
    struct State {
        var inCommit = 0
        var maxInCommit = 0
        var batches: [Int] = []
        var maintains: [Int: [Double]] = [:]
        var inPurge = 0
        var maxInPurge = 0
        var purgeSteps = 0
    }
    let state = Mutex(State())
    /// Signalled each time a commit starts (after it is counted in flight).
    let commitEntered = DispatchSemaphore(value: 0)

    var maxInCommit: Int { state.withLock { $0.maxInCommit } }
    var batches: [Int] { state.withLock { $0.batches } }
    var maxInPurge: Int { state.withLock { $0.maxInPurge } }
    var purgeSteps: Int { state.withLock { $0.purgeSteps } }
    func maintains(_ index: Int) -> [Double] { state.withLock { $0.maintains[index] ?? [] } }
}

/// One pool connection: commits go to a shared `MemoryStore` after `hold` (which may block or
/// sleep), and every call is recorded in the shared probe.
private final class PoolStore: LandingStore {
    let index: Int
    let base: MemoryStore
    let probe: PoolProbe
    let hold: @Sendable () -> Void
    let purgeStep: @Sendable () -> PurgeBatch

    init(
        index: Int, base: MemoryStore, probe: PoolProbe, hold: @escaping @Sendable () -> Void = {},
        purgeStep: @escaping @Sendable () -> PurgeBatch = { PurgeBatch(records: 0, rows: 0, isComplete: true) }
    ) {
        self.index = index
        self.base = base
        self.probe = probe
        self.hold = hold
        self.purgeStep = purgeStep
    }

    func commit(_ writes: [StoreWrite]) throws(StoreError) -> StoreCommit {
        probe.state.withLock { s in
            s.inCommit += 1
            s.maxInCommit = max(s.maxInCommit, s.inCommit)
            s.batches.append(writes.count)
        }
        probe.commitEntered.signal()
        hold()
        defer { probe.state.withLock { $0.inCommit -= 1 } }
        return try base.commit(writes)
    }

    func maintain(now: Double) {
        probe.state.withLock { $0.maintains[index, default: []].append(now) }
    }

    func purge(updatedBefore cutoff: Int64, limit: Int) throws(StoreError) -> PurgeBatch {
        probe.state.withLock { s in
            s.inPurge += 1
            s.maxInPurge = max(s.maxInPurge, s.inPurge)
            s.purgeSteps += 1
        }
        Thread.sleep(forTimeInterval: 0.02)
        defer { probe.state.withLock { $0.inPurge -= 1 } }
        return purgeStep()
    }

    func session(id: String) throws(StoreError) -> LandingRecord? { try base.session(id: id) }
    func item(id: String) throws(StoreError) -> LandingRecord? { try base.item(id: id) }
    func purge(updatedBefore cutoff: Int64) throws(StoreError) -> Int { try base.purge(updatedBefore: cutoff) }
}

private func callback(_ itemId: String) -> CallbackEvent {
    CallbackEvent(itemId: itemId, sessionId: nil, error: nil, receivedAt: 1_000)
}

private func isCompleted(_ result: Result<CallbackRecordResult, StoreError>) -> Bool {
    if case .success(.recorded(let record, _)) = result { return record.status == .completed }
    return false
}

/// `count` pool stores over one memory store.
private func pool(
    _ count: Int, probe: PoolProbe, base: MemoryStore = MemoryStore(), hold: @escaping @Sendable () -> Void = {},
    purgeStep: @escaping @Sendable () -> PurgeBatch = { PurgeBatch(records: 0, rows: 0, isComplete: true) }
) -> [any LandingStore] {
    (0..<count).map { PoolStore(index: $0, base: base, probe: probe, hold: hold, purgeStep: purgeStep) }
}

@Suite("Store worker pool")
struct StoreWorkerPoolTests {
    /// With four store threads, four writes submitted while the others are still committing are committed at the same time, one per thread.
    @Test
    func pool_CommitsConcurrently_OnSeveralThreads() throws {
        let probe = PoolProbe()
        let release = DispatchSemaphore(value: 0)
        let worker = StoreWorker(stores: pool(4, probe: probe, hold: { _ = release.wait(timeout: .now() + 5) }), hooks: .init())
        defer { worker.shutdown() }
        #expect(worker.threadCount == 4)
        let results = Tally<Bool>()
        for n in 0..<4 {
            worker.recordCallback(callback("conc-\(n)")) { results.add(isCompleted($0)) }
            // why: the next write is submitted only once this one's thread is inside its commit,
            // so an idle thread must take it: four commits end up in flight together.
            #expect(probe.commitEntered.wait(timeout: .now() + 5) == .success, "write \(n) never reached a commit")
        }
        #expect(probe.maxInCommit == 4)
        for _ in 0..<4 { release.signal() }
        #expect(results.wait(for: 4) == [true, true, true, true])
        #expect(probe.batches == [1, 1, 1, 1])
    }

    /// Slow commits (50 ms each) submitted together from many threads overlap: more than one is in flight at some point.
    @Test
    func pool_OverlapsSlowCommits_FromManySubmitters() throws {
        let probe = PoolProbe()
        let worker = StoreWorker(stores: pool(4, probe: probe, hold: { Thread.sleep(forTimeInterval: 0.05) }), hooks: .init())
        defer { worker.shutdown() }
        let results = Tally<Bool>()
        DispatchQueue.concurrentPerform(iterations: 8) { submitter in
            for n in 0..<3 { worker.recordCallback(callback("slow-\(submitter)-\(n)")) { results.add(isCompleted($0)) } }
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(results.wait(for: 24)?.allSatisfy { $0 } == true)
        #expect(probe.maxInCommit >= 2, "commits never overlapped: batches \(probe.batches)")
        #expect(probe.batches.reduce(0, +) == 24)
    }

    /// Many writes from many threads through a pool: each completion runs exactly once, and every write is stored once.
    @Test
    func pool_CompletesEveryWrite_ExactlyOnce() throws {
        let probe = PoolProbe()
        let base = MemoryStore()
        let worker = StoreWorker(stores: pool(3, probe: probe, base: base), hooks: .init())
        defer { worker.shutdown() }
        let submitters = 8
        let each = 100
        let completions = Mutex<[String: Int]>([:])
        let done = Tally<Bool>()
        DispatchQueue.concurrentPerform(iterations: submitters) { submitter in
            for n in 0..<each {
                let id = "once-\(submitter)-\(n)"
                worker.recordCallback(callback(id)) { result in
                    completions.withLock { $0[id, default: 0] += 1 }
                    done.add(isCompleted(result))
                }
            }
        }
        let all = try #require(done.wait(for: submitters * each))
        #expect(all.allSatisfy { $0 })
        Thread.sleep(forTimeInterval: 0.05)  // a duplicate completion would show up now
        let counts = completions.withLock { $0 }
        #expect(counts.count == submitters * each)
        #expect(counts.values.allSatisfy { $0 == 1 })
        #expect(probe.batches.reduce(0, +) == submitters * each)
        for submitter in 0..<submitters {
            for n in 0..<each { #expect(try base.item(id: "once-\(submitter)-\(n)")?.hits == 1) }
        }
    }

    /// A backlog larger than `maxBatch` is split between batches of at most `maxBatch` writes, all committed.
    @Test
    func pool_CapsBatches_AtMaxBatch() throws {
        let probe = PoolProbe()
        let worker = StoreWorker(stores: pool(2, probe: probe), hooks: .init())
        defer { worker.shutdown() }
        let gates = [block(worker), block(worker)]
        let total = StoreWorker.maxBatch * 2 + 7
        let results = Tally<Bool>()
        for n in 0..<total { worker.recordCallback(callback("cap-\(n)")) { results.add(isCompleted($0)) } }
        #expect(worker.queuedJobs == total)
        for gate in gates { gate.signal() }
        #expect(results.wait(for: total)?.allSatisfy { $0 } == true)
        #expect(probe.batches.allSatisfy { $0 <= StoreWorker.maxBatch }, "\(probe.batches)")
        #expect(probe.batches.reduce(0, +) == total)
        #expect(probe.batches.count >= 3)
    }

    /// `queuedJobs` counts jobs no thread has taken yet, and drops to zero once they are taken.
    @Test
    func pool_ReportsQueuedJobs() throws {
        let probe = PoolProbe()
        let worker = StoreWorker(stores: pool(2, probe: probe), hooks: .init())
        defer { worker.shutdown() }
        #expect(worker.queuedJobs == 0)
        let gates = [block(worker), block(worker)]
        #expect(worker.queuedJobs == 0)
        let results = Tally<Bool>()
        for n in 0..<3 { worker.recordCallback(callback("q-\(n)")) { results.add(isCompleted($0)) } }
        worker.perform({ _ in 1 }, completion: { _ in results.add(true) })
        #expect(worker.queuedJobs == 4)
        for gate in gates { gate.signal() }
        #expect(results.wait(for: 4) != nil)
        #expect(worker.queuedJobs == 0)
    }

    /// The queue-wait hook gets how long the oldest job of a batch waited for a thread (at least the time every thread was busy).
    @Test
    func pool_ObservesQueueWait() throws {
        let probe = PoolProbe()
        let waits = Tally<Double>()
        let worker = StoreWorker(stores: pool(2, probe: probe), hooks: .init(observeQueueWait: { waits.add($0) }))
        defer { worker.shutdown() }
        let gates = [block(worker), block(worker)]
        let before = waits.all.count
        let results = Tally<Bool>()
        worker.recordCallback(callback("wait-1")) { results.add(isCompleted($0)) }
        Thread.sleep(forTimeInterval: 0.1)
        for gate in gates { gate.signal() }
        #expect(results.wait(for: 1) == [true])
        let observed = try #require(waits.wait(for: before + 1))
        #expect(observed[before...].contains { $0 >= 0.09 && $0 < 5 }, "\(observed)")
    }

    /// The batch hook gets each successful batch's seconds and writes; together they hold every write once.
    @Test
    func pool_ObservesEveryBatch_WithItsWrites() throws {
        let probe = PoolProbe()
        let batches = Tally<(Double, [StoreWrite])>()
        let seconds = Tally<Double>()
        let hooks = StoreWorker.Hooks(observeWrite: { seconds.add($0) }, observeBatch: { batches.add(($0, $1)) })
        let worker = StoreWorker(stores: pool(3, probe: probe), hooks: hooks)
        defer { worker.shutdown() }
        let results = Tally<Bool>()
        let gates = [block(worker), block(worker), block(worker)]
        for n in 0..<10 { worker.recordCallback(callback("b-\(n)")) { results.add(isCompleted($0)) } }
        worker.applyWebhook(WebhookEvent(event: "item/updated", eventId: "ev-b", itemId: "b-w", receivedAt: 1_000)) { _ in results.add(true) }
        for gate in gates { gate.signal() }
        #expect(results.wait(for: 11) != nil)
        let observed = batches.all
        #expect(observed.count == probe.batches.count)
        #expect(seconds.all.count == observed.count)
        #expect(observed.allSatisfy { $0.0 >= 0 })
        let ids = observed.flatMap(\.1).map { write -> String in
            switch write {
            case .callback(let event): event.itemId ?? "?"
            case .webhook(let event): event.eventId
            default: "?"
            }
        }
        #expect(Set(ids) == Set((0..<10).map { "b-\($0)" } + ["ev-b"]))
        #expect(ids.count == 11)
    }

    /// Each pool thread is named after the worker with its index appended (the name cut to 12 bytes first).
    @Test
    func pool_NamesEachThread_WithIndex() throws {
        let worker = StoreWorker(stores: pool(3, probe: PoolProbe()), name: "landing-store-pool", hooks: .init())
        defer { worker.shutdown() }
        let names = Tally<String>()
        let gate = DispatchSemaphore(value: 0)
        for _ in 0..<3 {
            let entered = DispatchSemaphore(value: 0)
            worker.perform(
                { _ in
                    names.add((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "?")
                    entered.signal()
                    gate.wait()
                }, completion: { _ in })
            entered.wait()
        }
        for _ in 0..<3 { gate.signal() }
        #expect(Set(names.all) == ["landing-stor-0\n", "landing-stor-1\n", "landing-stor-2\n"])
    }

    /// `onCommit` hears of every changed record exactly once across the pool's threads, before the write's completion runs.
    @Test
    func pool_AnnouncesEveryChange_BeforeCompletion() throws {
        let announced = Mutex<[LandingRecord.Key: Int]>([:])
        let hooks = StoreWorker.Hooks(onCommit: { changes in
            announced.withLock { seen in for change in changes { seen[change.key, default: 0] += 1 } }
        })
        let worker = StoreWorker(stores: pool(3, probe: PoolProbe()), hooks: hooks)
        defer { worker.shutdown() }
        let inOrder = Tally<Bool>()
        DispatchQueue.concurrentPerform(iterations: 4) { submitter in
            for n in 0..<25 {
                let key = LandingRecord.Key.item("ann-\(submitter)-\(n)")
                worker.recordCallback(callback("ann-\(submitter)-\(n)")) { result in
                    inOrder.add(isCompleted(result) && announced.withLock { $0[key] } == 1)
                }
            }
        }
        #expect(try #require(inOrder.wait(for: 100)).allSatisfy { $0 })
        #expect(announced.withLock { $0.count } == 100)
        #expect(announced.withLock { $0.values.allSatisfy { $0 == 1 } })
    }

    /// A read submitted after a write completed sees that write, whichever pool thread runs it.
    @Test
    func pool_ReadAfterCompletedWrite_SeesIt() throws {
        let worker = StoreWorker(stores: pool(3, probe: PoolProbe()), hooks: .init())
        defer { worker.shutdown() }
        for n in 0..<30 {
            let written = Tally<Bool>()
            worker.recordCallback(callback("raw-\(n)")) { written.add(isCompleted($0)) }
            #expect(written.wait(for: 1) == [true])
            let read = Tally<Int?>()
            worker.perform({ (store) throws(StoreError) -> Int? in try store.item(id: "raw-\(n)")?.hits }, completion: { read.add(try? $0.get()) })
            #expect(read.wait(for: 1) == [1])
        }
    }

    /// Idle store threads call `maintain` on their own store, about once a second, with the monotonic time.
    @Test
    func pool_CallsMaintain_WhenIdle() throws {
        let probe = PoolProbe()
        let started = monotonicNow()
        let worker = StoreWorker(stores: pool(2, probe: probe), hooks: .init())
        defer { worker.shutdown() }
        let deadline = Date(timeIntervalSinceNow: 3)
        while (probe.maintains(0).isEmpty || probe.maintains(1).isEmpty) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        let ended = monotonicNow()
        for index in 0..<2 {
            let calls = probe.maintains(index)
            #expect(!calls.isEmpty, "store \(index) was never maintained")
            // Not before the thread has been idle for about the maintenance interval.
            #expect(calls.allSatisfy { $0 >= started + StoreWorkQueue.maintenanceInterval * 0.9 && $0 <= ended }, "\(calls)")
        }
    }

    /// shutdown() with jobs still queued behind busy threads completes them all, then returns once every thread has exited.
    @Test
    func pool_FinishesQueuedJobs_WhenShutDown() throws {
        let probe = PoolProbe()
        let base = MemoryStore()
        let worker = StoreWorker(stores: pool(3, probe: probe, base: base), hooks: .init())
        let gates = [block(worker), block(worker), block(worker)]
        let results = Tally<Bool>()
        for n in 0..<20 { worker.recordCallback(callback("sd-\(n)")) { results.add(isCompleted($0)) } }
        worker.perform({ store in (try? store.item(id: "sd-0")) != nil }, completion: { results.add((try? $0.get()) == true) })
        let returned = DispatchSemaphore(value: 0)
        Thread {
            worker.shutdown()
            returned.signal()
        }.start()
        Thread.sleep(forTimeInterval: 0.02)
        #expect(returned.wait(timeout: .now()) == .timedOut, "shutdown returned while jobs were queued")
        for gate in gates { gate.signal() }
        #expect(returned.wait(timeout: .now() + 5) == .success)
        #expect(results.all.count == 21)
        #expect(results.all.allSatisfy { $0 })
        #expect(worker.queuedJobs == 0)
        for n in 0..<20 { #expect(try base.item(id: "sd-\(n)") != nil) }
        let late = Tally<Bool>()
        worker.recordCallback(callback("late")) { late.add(isCompleted($0)) }
        #expect(late.all == [false])
    }

    /// A purge step that finds another instance purging ends the run after that one step, with a log line saying so.
    @Test
    func pool_EndsPurgeRun_WhenAnotherInstancePurges() throws {
        let probe = PoolProbe()
        let stores = pool(2, probe: probe, purgeStep: { PurgeBatch(records: 0, rows: 0, isComplete: true, skippedForAnotherInstance: true) })
        let worker = StoreWorker(stores: stores, hooks: .init())
        defer { worker.shutdown() }
        let logs = Tally<String>()
        worker.startPurging(every: 3_600, retention: 10, clock: { 60_000 }, batchSize: 10, log: { logs.add($0) })
        let lines = try #require(logs.wait(for: 1, timeout: 5))
        #expect(lines == ["store purge skipped: another instance sharing the database is purging"])
        Thread.sleep(forTimeInterval: 0.1)
        #expect(probe.purgeSteps == 1)
        #expect(logs.all.count == 1)
    }

    /// A purge run of many steps on a pool runs its steps one at a time, and writes still complete meanwhile.
    @Test
    func pool_RunsPurgeStepsOneAtATime() throws {
        let probe = PoolProbe()
        let steps = TestCounter()
        // Each run takes 10 steps of 20 ms.
        let stores = pool(
            3, probe: probe,
            purgeStep: {
                let n = steps.increment()
                return PurgeBatch(records: 1, rows: 1, isComplete: n % 10 == 0)
            })
        let worker = StoreWorker(stores: stores, hooks: .init())
        defer { worker.shutdown() }
        let logs = Tally<String>()
        worker.startPurging(every: 3_600, retention: 10, clock: { 60_000 }, batchSize: 1, log: { logs.add($0) })
        let results = Tally<Bool>()
        for n in 0..<5 { worker.recordCallback(callback("during-\(n)")) { results.add(isCompleted($0)) } }
        #expect(results.wait(for: 5, timeout: 5)?.allSatisfy { $0 } == true)
        let lines = try #require(logs.wait(for: 1, timeout: 5))
        #expect(lines[0].contains("removed 10 records") && lines[0].contains("in 10 steps"), "\(lines[0])")
        #expect(probe.maxInPurge == 1)
    }

    /// A purge that comes due again while a run is still stepping on one thread is not started on another thread (the purge runs on one thread at a time).
    @Test
    func pool_NeverOverlapsPurgeRuns_WhenDueDuringRun() throws {
        let probe = PoolProbe()
        let gate = DispatchSemaphore(value: 0)
        let steps = TestCounter()
        // The first step blocks until released; every step completes its run.
        let stores = pool(
            3, probe: probe,
            purgeStep: {
                if steps.increment() == 1 { _ = gate.wait(timeout: .now() + 5) }
                return PurgeBatch(records: 0, rows: 0, isComplete: true)
            })
        let worker = StoreWorker(stores: stores, hooks: .init())
        defer { worker.shutdown() }
        worker.startPurging(every: 0.02, retention: 10, clock: { 60_000 }, batchSize: 1, log: { _ in })
        let deadline = monotonicNow() + 5
        while probe.purgeSteps < 1 && monotonicNow() < deadline { Thread.sleep(forTimeInterval: 0.002) }
        #expect(probe.purgeSteps == 1)
        Thread.sleep(forTimeInterval: 0.05)  // the next run is due now, while the first one is still in its step
        // Wakes an idle thread (the purging one is busy), which then finds the purge due.
        let ran = Tally<Bool>()
        worker.perform({ _ in true }, completion: { ran.add((try? $0.get()) == true) })
        #expect(ran.wait(for: 1) == [true])
        let wait = monotonicNow() + 0.3
        while probe.purgeSteps < 2 && monotonicNow() < wait { Thread.sleep(forTimeInterval: 0.002) }
        let overlapping = probe.maxInPurge
        gate.signal()
        #expect(overlapping == 1, "a second purge run started on another store thread while the first was still running")
    }
}
