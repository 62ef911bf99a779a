import Foundation
import LandingCore
import Synchronization
import Testing

@testable import LandingIO

/// Wraps a store and logs its calls ("batch N" per commit, "note" lines from tests); can be told
/// to fail every commit.
final class RecordingStore: LandingStore {
    let base: any LandingStore
    private let entries = Mutex<[String]>([])
    private let failure = Mutex<StoreError?>(nil)

    init(_ base: any LandingStore = MemoryStore()) { self.base = base }

    var log: [String] { entries.withLock { $0 } }
    func note(_ line: String) { entries.withLock { $0.append(line) } }
    func fail(with error: StoreError?) { failure.withLock { $0 = error } }

    func commit(_ writes: [StoreWrite]) throws(StoreError) -> StoreCommit {
        note("batch \(writes.count)")
        if let error = failure.withLock({ $0 }) { throw error }
        return try base.commit(writes)
    }
    func session(id: String) throws(StoreError) -> LandingRecord? { try base.session(id: id) }
    func item(id: String) throws(StoreError) -> LandingRecord? { try base.item(id: id) }
    func purge(updatedBefore cutoff: Int64) throws(StoreError) -> Int { try base.purge(updatedBefore: cutoff) }
}

/// Wraps a store and logs each purge step ("purge N") and each commit ("batch N"); runs
/// `onFirstPurgeStep` (once) right after the first step, on the store thread.
private final class PurgeRecordingStore: LandingStore {
    let base: any LandingStore
    private let entries = Mutex<[String]>([])
    private let hook = Mutex<(@Sendable () -> Void)?>(nil)

    init(_ base: any LandingStore) { self.base = base }

    var log: [String] { entries.withLock { $0 } }
    func note(_ line: String) { entries.withLock { $0.append(line) } }
    func onFirstPurgeStep(_ body: @escaping @Sendable () -> Void) { hook.withLock { $0 = body } }

    func purge(updatedBefore cutoff: Int64, limit: Int) throws(StoreError) -> PurgeBatch {
        let batch = try base.purge(updatedBefore: cutoff, limit: limit)
        note("purge \(batch.records)")
        hook.withLock { body in
            body?()
            body = nil
        }
        return batch
    }
    func commit(_ writes: [StoreWrite]) throws(StoreError) -> StoreCommit {
        note("batch \(writes.count)")
        return try base.commit(writes)
    }
    func session(id: String) throws(StoreError) -> LandingRecord? { try base.session(id: id) }
    func item(id: String) throws(StoreError) -> LandingRecord? { try base.item(id: id) }
    func purge(updatedBefore cutoff: Int64) throws(StoreError) -> Int { try base.purge(updatedBefore: cutoff) }
}

/// Values delivered from other threads, awaited with a condition variable and a timeout.
final class Tally<Value: Sendable>: @unchecked Sendable {  // why: all state behind `condition`.
    private let condition = NSCondition()
    private var values: [Value] = []

    func add(_ value: Value) {
        condition.lock()
        values.append(value)
        condition.broadcast()
        condition.unlock()
    }

    var all: [Value] {
        condition.lock()
        defer { condition.unlock() }
        return values
    }

    /// The values once at least `count` have arrived; nil after `timeout` seconds.
    func wait(for count: Int, timeout: Double = 10) -> [Value]? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while values.count < count {
            if !condition.wait(until: deadline) && values.count < count { return nil }
        }
        return values
    }
}

/// A settable clock in milliseconds.
private final class TestClock: Sendable {
    private let now: Mutex<Int64>
    init(_ start: Int64) { now = Mutex(start) }
    func read() -> Int64 { now.withLock { $0 } }
    func set(_ value: Int64) { now.withLock { $0 = value } }
}

private func callback(_ itemId: String, at time: Int64 = 1_000) -> CallbackEvent {
    CallbackEvent(itemId: itemId, sessionId: nil, error: nil, receivedAt: time)
}

/// Holds the store thread inside a `perform` until the returned gate is signalled, and returns only
/// once the thread is inside it, so everything submitted next queues up behind it.
func block(_ worker: StoreWorker) -> DispatchSemaphore {
    let gate = DispatchSemaphore(value: 0)
    let entered = DispatchSemaphore(value: 0)
    worker.perform(
        { _ in
            entered.signal()
            gate.wait()
        }, completion: { _ in })
    entered.wait()
    return gate
}

private func isCompleted(_ result: Result<CallbackRecordResult, StoreError>) -> Bool {
    if case .success(.recorded(let record, _)) = result { return record.status == .completed }
    return false
}

@Suite("Store worker")
struct StoreWorkerTests {
    /// Callbacks queued while the store thread is busy are committed together in one recordCallbacks call.
    @Test
    func storeWorker_GroupsQueuedCallbacks_IntoOneCommit() throws {
        let store = RecordingStore()
        let worker = StoreWorker(store: store)
        defer { worker.shutdown() }
        let gate = block(worker)
        let results = Tally<Result<CallbackRecordResult, StoreError>>()
        for n in 0..<20 { worker.recordCallback(callback("it-\(n)")) { results.add($0) } }
        gate.signal()
        let delivered = try #require(results.wait(for: 20))
        #expect(delivered.allSatisfy(isCompleted))
        #expect(store.log == ["batch 20"])
    }

    /// Work queued between callbacks runs after the callbacks before it are committed and before those after it.
    @Test
    func storeWorker_KeepsSubmissionOrder_WhenWorkSitsBetweenCallbacks() throws {
        let store = RecordingStore()
        let worker = StoreWorker(store: store)
        defer { worker.shutdown() }
        let gate = block(worker)
        let done = Tally<String>()
        worker.recordCallback(callback("a")) { _ in done.add("a") }
        worker.recordCallback(callback("b")) { _ in done.add("b") }
        worker.perform({ (store) throws(StoreError) -> Bool in
            (store as? RecordingStore)?.note("work")
            let b = try store.item(id: "b")
            let c = try store.item(id: "c")
            return b != nil && c == nil
        }, completion: { result in done.add("work saw b, not c: \((try? result.get()) == true)") })
        worker.recordCallback(callback("c")) { _ in done.add("c") }
        gate.signal()
        #expect(done.wait(for: 4) == ["a", "b", "work saw b, not c: true", "c"])
        #expect(store.log == ["batch 2", "work", "batch 1"])
    }

    /// A backlog larger than `maxBatch` is committed in several transactions of at most `maxBatch`.
    @Test
    func storeWorker_SplitsBacklog_AtMaxBatch() throws {
        let store = RecordingStore()
        let worker = StoreWorker(store: store)
        defer { worker.shutdown() }
        let gate = block(worker)
        let results = Tally<Bool>()
        for n in 0..<(StoreWorker.maxBatch + 5) { worker.recordCallback(callback("it-\(n)")) { results.add(isCompleted($0)) } }
        gate.signal()
        #expect(results.wait(for: StoreWorker.maxBatch + 5)?.allSatisfy { $0 } == true)
        #expect(store.log == ["batch \(StoreWorker.maxBatch)", "batch 5"])
    }

    /// When a commit fails, every callback of that batch gets the error, and the worker goes on afterwards.
    @Test
    func storeWorker_FailsEveryCallbackInBatch_WhenCommitFails() throws {
        let store = RecordingStore()
        let worker = StoreWorker(store: store)
        defer { worker.shutdown() }
        store.fail(with: StoreError("disk full"))
        let gate = block(worker)
        let results = Tally<Result<CallbackRecordResult, StoreError>>()
        for n in 0..<3 { worker.recordCallback(callback("it-\(n)")) { results.add($0) } }
        gate.signal()
        #expect(results.wait(for: 3) == Array(repeating: .failure(StoreError("disk full")), count: 3))
        store.fail(with: nil)
        worker.recordCallback(callback("later")) { results.add($0) }
        #expect(results.wait(for: 4).map { isCompleted($0[3]) } == true)
    }

    /// A `perform` whose work throws hands the error to its completion.
    @Test
    func storeWorker_ReportsWorkError_ToItsCompletion() throws {
        let worker = StoreWorker(store: MemoryStore())
        defer { worker.shutdown() }
        let results = Tally<Result<Int, StoreError>>()
        worker.perform({ _ throws(StoreError) -> Int in throw StoreError("nope") }, completion: { results.add($0) })
        worker.perform({ _ in 42 }, completion: { results.add($0) })
        #expect(results.wait(for: 2) == [.failure(StoreError("nope")), .success(42)])
    }

    /// Completions and work run on the worker's own thread (named as asked), not on the submitter's.
    @Test
    func storeWorker_RunsCompletions_OnStoreThread() throws {
        let worker = StoreWorker(store: MemoryStore(), name: "store-test")
        defer { worker.shutdown() }
        let seen = Tally<(thread: pthread_t, name: String)>()
        @Sendable func note() {
            let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "?"
            seen.add((pthread_self(), name))
        }
        worker.recordCallback(callback("it-1")) { _ in note() }
        worker.perform({ _ in note() }, completion: { _ in note() })
        let all = try #require(seen.wait(for: 3))
        #expect(all.allSatisfy { pthread_equal($0.thread, all[0].thread) != 0 })
        #expect(pthread_equal(all[0].thread, pthread_self()) == 0)
        #expect(all.map(\.name) == Array(repeating: "store-test\n", count: 3))
    }

    /// shutdown() returns only after everything queued before it has been committed and completed.
    @Test
    func storeWorker_FinishesQueuedWork_WhenShutDown() throws {
        let store = RecordingStore()
        let worker = StoreWorker(store: store)
        let gate = block(worker)
        let results = Tally<Bool>()
        for n in 0..<5 { worker.recordCallback(callback("it-\(n)")) { results.add(isCompleted($0)) } }
        let returned = DispatchSemaphore(value: 0)
        Thread {
            worker.shutdown()
            returned.signal()
        }.start()
        gate.signal()
        #expect(returned.wait(timeout: .now() + 10) == .success)
        #expect(results.all == [true, true, true, true, true])
        #expect(try store.item(id: "it-4") != nil)
    }

    /// After shutdown, submissions fail at once with the shut-down error; shutdown may be called again.
    @Test
    func storeWorker_RejectsWork_AfterShutdown() throws {
        let worker = StoreWorker(store: MemoryStore())
        worker.shutdown()
        worker.shutdown()
        let results = Tally<Result<CallbackRecordResult, StoreError>>()
        worker.recordCallback(callback("late")) { results.add($0) }
        #expect(results.all == [.failure(StoreWorker.shutDownError)])
        let work = Tally<Result<Int, StoreError>>()
        worker.perform({ _ in 1 }, completion: { work.add($0) })
        #expect(work.all == [.failure(StoreWorker.shutDownError)])
    }

    /// shutdown() called from a completion on the store thread does not deadlock; the thread then stops.
    @Test
    func storeWorker_StopsWithoutDeadlock_WhenShutDownFromCompletion() throws {
        let worker = StoreWorker(store: MemoryStore())
        let done = Tally<Bool>()
        worker.recordCallback(callback("it-1")) { result in
            worker.shutdown()
            done.add(isCompleted(result))
        }
        #expect(done.wait(for: 1) == [true])
        worker.shutdown()
        let late = Tally<Bool>()
        worker.recordCallback(callback("it-2")) { late.add(isCompleted($0)) }
        #expect(late.all == [false])
    }

    /// Periodic purge runs at once and then every interval, removing records older than the retention at clock time.
    @Test
    func storeWorker_PurgesPeriodically_WithRetention() throws {
        let store = MemoryStore()
        _ = try store.recordCallback(callback("old", at: 1_000))
        _ = try store.recordCallback(callback("fresh", at: 8_000))
        let worker = StoreWorker(store: store)
        defer { worker.shutdown() }
        let clock = TestClock(10_000)
        let logs = Tally<String>()
        worker.startPurging(every: 0.05, retention: 5, clock: { clock.read() }, log: { logs.add($0) })
        let first = try #require(logs.wait(for: 1))
        #expect(first[0].contains("removed 1 record") && first[0].contains("5000"))
        #expect(try store.item(id: "old") == nil)
        #expect(try store.item(id: "fresh") != nil)
        clock.set(20_000)
        let count = logs.all.count
        #expect(logs.wait(for: count + 2) != nil, "the purge did not repeat")
        #expect(try store.item(id: "fresh") == nil)
    }

    /// A large purge runs in steps of `batchSize`, and a callback queued during it is committed
    /// (and completed) between two steps, before the purge ends.
    @Test(arguments: [StoreKind.memory, .sqlite])
    func storeWorker_PurgesInSteps_LettingQueuedWritesRunBetween(kind: StoreKind) throws {
        let base = try StoreUnderTest(kind)
        _ = try base.recordCallbacks((0..<1_234).map { callback("old-\($0)", at: 1_000) })
        let store = PurgeRecordingStore(base)
        let worker = StoreWorker(store: store)
        defer { worker.shutdown() }
        let written = Tally<Bool>()
        store.onFirstPurgeStep {
            worker.recordCallback(callback("during", at: 50_000)) { result in
                store.note("completed")
                written.add(isCompleted(result))
            }
        }
        let logs = Tally<String>()
        worker.startPurging(every: 3_600, retention: 10, clock: { 60_000 }, batchSize: 100, log: { logs.add($0) })
        let lines = try #require(logs.wait(for: 1))
        #expect(lines[0].contains("removed 1234 records") && lines[0].contains("in 13 steps"), "\(lines[0])")
        #expect(written.wait(for: 1) == [true])
        let log = store.log
        #expect(log.filter { $0.hasPrefix("purge") }.count == 13)
        #expect(log.filter { $0.hasPrefix("purge") } == Array(repeating: "purge 100", count: 12) + ["purge 34"])
        let commit = try #require(log.firstIndex(of: "batch 1"))
        let completed = try #require(log.firstIndex(of: "completed"))
        let lastStep = try #require(log.lastIndex { $0.hasPrefix("purge") })
        #expect(commit > 0 && completed < lastStep, "the write waited for the whole purge: \(log)")
        #expect(try base.item(id: "during") != nil)
        #expect(try base.item(id: "old-0") == nil)
    }

    /// Callbacks from many threads through a real SQLite store all succeed and share commits (fewer commits than callbacks).
    @Test
    func storeWorker_SharesCommits_WhenManyThreadsSubmit() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let store = RecordingStore(try SQLiteStore(path: directory.file("landing.db")))
        let worker = StoreWorker(store: store)
        defer { worker.shutdown() }
        let results = Tally<Bool>()
        let finished = DispatchGroup()
        for thread in 0..<8 {
            finished.enter()
            Thread {
                let acked = DispatchSemaphore(value: 0)
                for n in 0..<25 {
                    worker.recordCallback(callback("t\(thread)-\(n)")) { result in
                        results.add(isCompleted(result))
                        acked.signal()
                    }
                    acked.wait()
                }
                finished.leave()
            }.start()
        }
        #expect(finished.wait(timeout: .now() + 30) == .success)
        #expect(results.wait(for: 200)?.allSatisfy { $0 } == true)
        #expect(try store.purge(updatedBefore: .max) == 200)
        #expect(store.log.count < 200, "no batch ever held more than one callback")
    }
}
