import Foundation
import LandingCore
import Testing

@testable import LandingIO

private func callback(_ itemId: String) -> CallbackEvent {
    CallbackEvent(itemId: itemId, sessionId: nil, error: nil, receivedAt: 1_000)
}

/// The store worker's group commit under load. The waits here are seconds long (the policy's wait
/// is 4 s, so even the first write counts as load), so "held" and "not held" differ by seconds,
/// not by scheduling noise.
@Suite("Store worker group commit")
struct StoreWorkerGroupCommitTests {
    static let longWait = 4.0

    /// Under load, writes are held for company: none completes early, and a read ends the hold at
    /// once, committing the held writes in one batch before it runs.
    @Test func groupCommit_HoldsWrites_UntilAReadArrives() throws {
        let store = RecordingStore()
        let worker = StoreWorker(stores: [store], hooks: .init(), groupCommit: GroupCommitPolicy(maxWait: Self.longWait))
        defer { worker.shutdown() }
        let done = Tally<String>()
        for n in 0..<3 { worker.recordCallback(callback("held-\(n)")) { _ in done.add("write \(n)") } }
        Thread.sleep(forTimeInterval: 0.5)
        #expect(done.all.isEmpty, "writes completed during the hold: \(done.all)")
        let submitted = Date()
        worker.perform({ store in (store as? RecordingStore)?.note("read") }, completion: { _ in done.add("read") })
        #expect(done.wait(for: 4, timeout: 3) == ["write 0", "write 1", "write 2", "read"])
        #expect(Date().timeIntervalSince(submitted) < 3)
        #expect(store.log == ["batch 3", "read"])
    }

    /// A held batch that reaches the policy's target (SQLite's, PostgreSQL's) is committed at once, in one transaction.
    @Test(arguments: [GroupCommitPolicy.sqliteTarget, GroupCommitPolicy.postgresTarget])
    func groupCommit_CommitsAtOnce_WhenBatchFills(target: Int) throws {
        let store = RecordingStore()
        let worker = StoreWorker(
            stores: [store], hooks: .init(), groupCommit: GroupCommitPolicy(maxWait: Self.longWait, target: target))
        defer { worker.shutdown() }
        let done = Tally<Bool>()
        for n in 0..<target { worker.recordCallback(callback("fill-\(n)")) { done.add((try? $0.get()) != nil) } }
        #expect(done.wait(for: target, timeout: 3)?.allSatisfy { $0 } == true)
        #expect(store.log == ["batch \(target)"])
    }

    /// A held write is committed when the hold ends, with nothing else arriving: held, not lost.
    @Test func groupCommit_CommitsHeldWrite_WhenWaitEnds() throws {
        let store = RecordingStore()
        let worker = StoreWorker(stores: [store], hooks: .init(), groupCommit: GroupCommitPolicy(maxWait: 2))
        defer { worker.shutdown() }
        let done = Tally<Bool>()
        worker.recordCallback(callback("alone")) { done.add((try? $0.get()) != nil) }
        Thread.sleep(forTimeInterval: 0.5)
        #expect(done.all.isEmpty)
        #expect(done.wait(for: 1, timeout: 10) == [true])
        #expect(try store.item(id: "alone")?.status == .completed)
    }

    /// Writes that keep arriving cannot stretch a hold: the first write is committed once the wait
    /// after it ends, while later writes are still coming.
    @Test func groupCommit_HoldEndsAtItsDeadline_WhileWritesKeepComing() throws {
        let store = RecordingStore()
        let worker = StoreWorker(stores: [store], hooks: .init(), groupCommit: GroupCommitPolicy(maxWait: 2.5, target: 1_000))
        defer { worker.shutdown() }
        let first = Tally<Bool>()
        worker.recordCallback(callback("first")) { first.add((try? $0.get()) != nil) }
        // A write every 0.2 s for 5 s: well past the first write's 2.5 s wait.
        var firstDoneWhileWriting = false
        for n in 0..<25 {
            Thread.sleep(forTimeInterval: 0.2)
            if !first.all.isEmpty { firstDoneWhileWriting = true }
            worker.recordCallback(callback("later-\(n)")) { _ in }
        }
        #expect(firstDoneWhileWriting, "the first write waited for the writes to stop")
        #expect(first.wait(for: 1, timeout: 5) == [true])
        // It was held (the writes of its wait share its commit), not committed alone.
        let firstBatch = Int(store.log.first?.split(separator: " ").last ?? "") ?? 0
        #expect(firstBatch >= 5, "\(store.log)")
    }

    /// Shutting down during a hold commits the held writes at once instead of waiting out the hold.
    @Test func groupCommit_CommitsHeldWrites_OnShutdown() throws {
        let store = RecordingStore()
        let worker = StoreWorker(stores: [store], hooks: .init(), groupCommit: GroupCommitPolicy(maxWait: Self.longWait))
        let done = Tally<Bool>()
        for n in 0..<2 { worker.recordCallback(callback("stop-\(n)")) { done.add((try? $0.get()) != nil) } }
        Thread.sleep(forTimeInterval: 0.2)
        let started = Date()
        worker.shutdown()
        #expect(Date().timeIntervalSince(started) < 3)
        #expect(done.all == [true, true])
        #expect(store.log == ["batch 2"])
    }

    /// With a pool of threads, a read still ends the hold, whichever thread it wakes.
    @Test func groupCommit_EndsHold_OnReadWithPool() throws {
        let stores = [RecordingStore(), RecordingStore()]
        let worker = StoreWorker(stores: stores, hooks: .init(), groupCommit: GroupCommitPolicy(maxWait: Self.longWait))
        defer { worker.shutdown() }
        let done = Tally<String>()
        for n in 0..<3 { worker.recordCallback(callback("pool-\(n)")) { _ in done.add("write") } }
        Thread.sleep(forTimeInterval: 0.3)
        #expect(done.all.isEmpty)
        worker.perform({ _ in }, completion: { _ in done.add("read") })
        #expect(done.wait(for: 4, timeout: 3) == ["write", "write", "write", "read"])
        #expect(stores.flatMap(\.log) == ["batch 3"])
    }
}
