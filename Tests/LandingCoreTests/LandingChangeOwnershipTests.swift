import Foundation
import Testing
@testable import LandingCore

/// The layer that changes state announces the change: handlers write through `LandingStoreAccess`,
/// whose commit hook wakes the waiters; no handler calls `RecordWaiters.notify` itself.
@Suite struct LandingChangeOwnershipTests {
    /// No handler source under Landing/ (callback flow, API, QA) calls `notify`; only the long-poll registry defines it.
    @Test func handlers_NeverCallNotify() throws {
        let landing = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/LandingCore/Landing")
        let files = try #require(FileManager.default.enumerator(atPath: landing.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") && !$0.hasPrefix("LongPoll/") }
        #expect(files.count > 15, "found \(files)")
        for file in files {
            let text = try String(contentsOf: landing.appendingPathComponent(file), encoding: .utf8)
            #expect(!text.contains(".notify("), "\(file) calls notify")
        }
    }

    /// A callback through the harness's store access wakes a waiter on its record, with no handler involved in the wake.
    @Test func storeAccess_WakesWaiters_AfterCommit() throws {
        let waiters = RecordWaiters()
        let store = MemoryStore()
        let access = InlineStoreAccess(store: store, onCommit: { waiters.notify($0) })
        let ticket = try waiters.reserve(owner: "t").get()
        let woken = LandingHarness.Cell<[String]>([])
        waiters.wait(ticket, for: .item("it-1")) { wake in
            // Called after the commit: the record is there with its first version.
            woken.value.withLock { $0.append("\(wake) v\((try? store.item(id: "it-1"))??.version ?? 0)") }
        }
        let result = LandingHarness.Cell<Bool>(false)
        access.recordCallback(CallbackEvent(itemId: "it-1", sessionId: nil, error: nil, receivedAt: 1)) { r in
            result.value.withLock { $0 = (try? r.get()) != nil }
        }
        #expect(woken.value.withLock { $0 } == ["changed v1"])
        #expect(result.value.withLock { $0 })
    }
}
