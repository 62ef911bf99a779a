import LandingCore
import Testing

@testable import LandingIO

private func session(_ id: String, at time: Int64 = 1_000) -> NewSession {
    NewSession(id: id, clientUserId: nil, returnURL: nil, createdAt: time, expiresAt: time + 60_000)
}

private func callback(_ itemId: String?, session sessionId: String? = nil, at time: Int64 = 2_000) -> CallbackEvent {
    CallbackEvent(itemId: itemId, sessionId: sessionId, error: nil, receivedAt: time)
}

private func webhook(_ eventId: String, item itemId: String = "it-1", at time: Int64 = 3_000) -> WebhookEvent {
    WebhookEvent(event: "item/updated", eventId: eventId, itemId: itemId, receivedAt: time)
}

/// A store of `kind` that reports versions (the rule suites compare records without them).
private func versionedStore(_ kind: StoreKind) throws -> StoreUnderTest {
    let store = try StoreUnderTest(kind)
    store.versions = true
    return store
}

@Suite("Store versions and changes")
struct StoreVersionConformanceTests {
    /// Every write reports the keys it changed with their incremented versions, and the records read back carry them.
    @Test(arguments: StoreKind.allCases)
    func store_ReportsChangesWithIncrementedVersions(kind: StoreKind) throws {
        let store = try versionedStore(kind)
        var commit = try store.commit([.createSession(session("s-1"))])
        #expect(commit.changes == [RecordChange(key: .session("s-1"), version: 1)])
        guard case .sessionCreated(let created)? = commit.results.first else { throw StoreError("no session") }
        #expect(created.version == 1)

        commit = try store.commit([.callback(callback("it-1", session: "s-1"))])
        #expect(commit.changes == [RecordChange(key: .session("s-1"), version: 2), RecordChange(key: .item("it-1"), version: 1)])
        guard case .callback(.recorded(let record, true))? = commit.results.first else { throw StoreError("not recorded") }
        #expect(record.key == .session("s-1") && record.version == 2)
        #expect(try store.session(id: "s-1")?.version == 2)
        #expect(try store.item(id: "it-1")?.version == 1)

        commit = try store.commit([.webhook(webhook("ev-1"))])
        #expect(commit.changes == [RecordChange(key: .item("it-1"), version: 2), RecordChange(key: .session("s-1"), version: 3)])
        guard case .webhook(.applied(let item, let bound))? = commit.results.first else { throw StoreError("not applied") }
        #expect(item.version == 2 && bound?.version == 3)

        commit = try store.commit([.deleteSession(id: "s-1")])
        #expect(commit.results == [.sessionDeleted(true)])
        #expect(commit.changes == [RecordChange(key: .session("s-1"), version: 4)])
    }

    /// Writes that change nothing report nothing: a duplicate or ignored webhook, an unknown session, a missing session's deletion.
    @Test(arguments: StoreKind.allCases)
    func store_ReportsNoChanges_WhenNothingIsWritten(kind: StoreKind) throws {
        let store = try versionedStore(kind)
        _ = try store.commit([.webhook(webhook("ev-1"))])
        let ignored = WebhookEvent(event: "connector/status_updated", eventId: "ev-2", itemId: "it-1", receivedAt: 3_000)
        let commit = try store.commit([
            .webhook(webhook("ev-1")), .webhook(ignored), .callback(callback(nil, session: "AAAAAAAAAAAAAAAAAAAAAA")),
            .deleteSession(id: "missing"),
        ])
        #expect(commit.changes.isEmpty)
        #expect(commit.results.count == 4)
        #expect(try store.item(id: "it-1")?.version == 1)
    }

    /// A key written twice in one commit is reported once, with its last version.
    @Test(arguments: StoreKind.allCases)
    func store_ReportsEachKeyOnce_WithLastVersion(kind: StoreKind) throws {
        let store = try versionedStore(kind)
        let commit = try store.commit([.callback(callback("it-1")), .callback(callback("it-2")), .callback(callback("it-1", at: 2_500))])
        #expect(commit.changes == [RecordChange(key: .item("it-1"), version: 2), RecordChange(key: .item("it-2"), version: 1)])
        #expect(try store.item(id: "it-1")?.hits == 2)
    }

    /// A commit that fails (a session id that exists: a conflict) applies none of its writes and leaves versions as they were.
    @Test(arguments: StoreKind.allCases)
    func store_AppliesNothing_WhenCommitFails(kind: StoreKind) throws {
        let store = try versionedStore(kind)
        _ = try store.commit([.createSession(session("s-1"))])
        #expect {
            try store.commit([.callback(callback("it-9")), .webhook(webhook("ev-9")), .createSession(session("s-1"))])
        } throws: { error in
            (error as? StoreError)?.kind == .conflict
        }
        #expect(try store.item(id: "it-9") == nil)
        #expect(try store.session(id: "s-1")?.version == 1)
        // The webhook's event id was not remembered either: it applies now.
        #expect(try store.applyWebhook(webhook("ev-9")) != .ignored)
        #expect(try store.item(id: "it-1")?.version == 1)
    }
}
