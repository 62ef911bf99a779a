import Foundation
import LandingCore
import Synchronization
import Testing

@testable import LandingIO

private func webhook(_ eventId: String, item itemId: String) -> WebhookEvent {
    WebhookEvent(event: "item/updated", eventId: eventId, itemId: itemId, receivedAt: 1_000)
}

@Suite("Store worker commits")
struct StoreWorkerCommitTests {
    /// `onCommit` gets the changed keys with their versions after the commit is durable (the store shows it) and before any completion.
    @Test
    func storeWorker_AnnouncesChanges_AfterCommitBeforeCompletions() throws {
        let store = RecordingStore()
        let events = Tally<String>()
        let worker = StoreWorker(store: store, onCommit: { changes in
            let visible = (try? store.base.item(id: "it-1")) != nil
            events.add("changed \(changes.map { "\($0.key):\($0.version)" }.joined(separator: ",")) visible=\(visible)")
        })
        defer { worker.shutdown() }
        let gate = block(worker)
        worker.recordCallback(CallbackEvent(itemId: "it-1", sessionId: nil, error: nil, receivedAt: 1_000)) { _ in events.add("done 1") }
        worker.recordCallback(CallbackEvent(itemId: "it-1", sessionId: nil, error: nil, receivedAt: 1_001)) { _ in events.add("done 2") }
        gate.signal()
        #expect(events.wait(for: 3) == ["changed item(\"it-1\"):2 visible=true", "done 1", "done 2"])
        #expect(store.log == ["batch 2"])
    }

    /// A failed commit announces nothing; every write of the batch gets the error.
    @Test
    func storeWorker_AnnouncesNothing_WhenCommitFails() throws {
        let store = RecordingStore()
        store.fail(with: StoreError(.unavailable, "disk full"))
        let events = Tally<String>()
        let worker = StoreWorker(store: store, onCommit: { _ in events.add("changed") })
        defer { worker.shutdown() }
        let gate = block(worker)
        worker.recordCallback(CallbackEvent(itemId: "it-1", sessionId: nil, error: nil, receivedAt: 1_000)) { result in
            events.add(result == .failure(StoreError(.unavailable, "disk full")) ? "failed" : "?")
        }
        worker.applyWebhook(webhook("ev-1", item: "it-2")) { result in
            events.add(result == .failure(StoreError(.unavailable, "disk full")) ? "failed" : "?")
        }
        gate.signal()
        #expect(events.wait(for: 2) == ["failed", "failed"])
        // A later read on the same thread proves the batch is over: no announcement came after it either.
        let read = DispatchSemaphore(value: 0)
        worker.perform({ _ in read.signal() }, completion: { _ in })
        read.wait()
        #expect(events.all == ["failed", "failed"])
    }

    /// Webhooks queued together are committed once (one transaction), answered in order, each with its own result.
    @Test(arguments: [StoreKind.memory, .sqlite])
    func storeWorker_CommitsWebhookBatchOnce(kind: StoreKind) throws {
        let base = try StoreUnderTest(kind)
        let store = RecordingStore(base)
        let changes = Mutex<[RecordChange]>([])
        let worker = StoreWorker(store: store, onCommit: { list in changes.withLock { $0 += list } })
        defer { worker.shutdown() }
        let gate = block(worker)
        let events = Tally<String>()
        for index in 0..<5 {
            worker.applyWebhook(webhook("ev-\(index % 4)", item: "it-\(index)")) { result in
                switch result {
                case .success(.applied): events.add("applied")
                case .success(.duplicate): events.add("duplicate")
                default: events.add("?")
                }
            }
        }
        gate.signal()
        #expect(events.wait(for: 5) == ["applied", "applied", "applied", "applied", "duplicate"])
        #expect(store.log == ["batch 5"])
        #expect(changes.withLock { $0 }.count == 4)
    }

    /// Callbacks, webhooks, session creations and deletions queued together share one commit.
    @Test
    func storeWorker_CommitsMixedWritesOnce() throws {
        let store = RecordingStore()
        let worker = StoreWorker(store: store)
        defer { worker.shutdown() }
        let gate = block(worker)
        let events = Tally<String>()
        let session = NewSession(id: "s-1", clientUserId: nil, returnURL: nil, createdAt: 1_000, expiresAt: 90_000)
        worker.createSession(session) { events.add((try? $0.get())?.version == 1 ? "created" : "?") }
        worker.recordCallback(CallbackEvent(itemId: "it-1", sessionId: "s-1", error: nil, receivedAt: 1_100)) { result in
            guard case .success(.recorded(let record, true)) = result, record.status == .completed else { return events.add("?") }
            events.add("recorded")
        }
        worker.applyWebhook(webhook("ev-1", item: "it-1")) { events.add((try? $0.get()).map { _ in "webhook" } ?? "?") }
        worker.deleteSession(id: "s-1") { events.add((try? $0.get()) == true ? "deleted" : "?") }
        gate.signal()
        #expect(events.wait(for: 4) == ["created", "recorded", "webhook", "deleted"])
        #expect(store.log == ["batch 4"])
    }
}
