import Foundation
import LandingCore
import Testing

@testable import LandingIO

// MARK: - Fixtures

private let accessDenied = LandingError(code: "access_denied", description: "The user denied access")
private let notGranted = LandingError(code: "USER_AUTHORIZATION_NOT_GRANTED", description: "The user did not authorize")

private func webhook(_ event: String, id eventId: String, item itemId: String = "it-1", at time: Int64, error: LandingError? = nil) -> WebhookEvent {
    WebhookEvent(event: event, eventId: eventId, itemId: itemId, triggeredBy: "USER", error: error, receivedAt: time)
}

/// An item record a webhook created at `time` (no callback ever came).
private func webhookItem(_ id: String = "it-1", status: LandingStatus, confirmed: Bool, at time: Int64, error: LandingError? = nil) -> LandingRecord {
    LandingRecord(
        key: .item(id), itemId: id, status: status, confirmed: confirmed, error: error, createdAt: time, updatedAt: time,
        completedAt: status == .completed || status == .failed ? time : nil)
}

private func callback(_ itemId: String?, session: String? = nil, at time: Int64, error: LandingError? = nil) -> CallbackEvent {
    CallbackEvent(itemId: itemId, sessionId: session, error: error, rawParameters: [RawParameter(name: "itemId", value: itemId ?? "")], receivedAt: time)
}

private func newSession(_ id: String) -> NewSession {
    NewSession(id: id, clientUserId: "user-7", returnURL: "https://app.example/done", createdAt: 500, expiresAt: 900_000)
}

@Suite("Store webhook conformance")
struct StoreWebhookConformanceTests {
    // MARK: - Mapping

    /// `item/updated` and `item/login_succeeded` for an unseen item create it completed and confirmed.
    @Test(arguments: StoreKind.allCases)
    func webhook_ConfirmsCompletion_WhenItemUpdated(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        let expected = webhookItem(status: .completed, confirmed: true, at: 1_000)
        #expect(try store.applyWebhook(webhook("item/updated", id: "ev-1", at: 1_000)) == .applied(expected, sessionRecord: nil))
        #expect(try store.item(id: "it-1") == expected)
        let other = webhookItem("it-2", status: .completed, confirmed: true, at: 1_000)
        #expect(try store.applyWebhook(webhook("item/login_succeeded", id: "ev-2", item: "it-2", at: 1_000)) == .applied(other, sessionRecord: nil))
    }

    /// `item/error` creates a failed, confirmed item with the error; without an error object the code is ITEM_ERROR.
    @Test(arguments: StoreKind.allCases)
    func webhook_FailsItemWithError_WhenItemError(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        let expected = webhookItem(status: .failed, confirmed: true, at: 1_000, error: notGranted)
        #expect(try store.applyWebhook(webhook("item/error", id: "ev-1", at: 1_000, error: notGranted)) == .applied(expected, sessionRecord: nil))
        #expect(try store.item(id: "it-1") == expected)
        _ = try store.applyWebhook(webhook("item/error", id: "ev-2", item: "it-2", at: 1_000))
        #expect(try store.item(id: "it-2")?.error == LandingError(code: WebhookRules.missingErrorCode, description: nil))
    }

    /// The waiting events create an unseen item as pending and unconfirmed.
    @Test(arguments: StoreKind.allCases)
    func webhook_CreatesPendingItem_WhenWaitingForUser(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        for (index, event) in ["item/waiting_user_input", "item/waiting_user_action"].enumerated() {
            let id = "it-\(index)"
            let expected = webhookItem(id, status: .pending, confirmed: false, at: 1_000)
            #expect(try store.applyWebhook(webhook(event, id: "ev-\(index)", item: id, at: 1_000)) == .applied(expected, sessionRecord: nil))
            #expect(try store.item(id: id) == expected)
        }
    }

    /// `item/deleted` expires the item (confirmed), and no later webhook changes it.
    @Test(arguments: StoreKind.allCases)
    func webhook_ExpiresItemForGood_WhenItemDeleted(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.applyWebhook(webhook("item/updated", id: "ev-1", at: 1_000))
        var expected = webhookItem(status: .expired, confirmed: true, at: 1_000)
        expected.completedAt = 1_000
        expected.updatedAt = 2_000
        #expect(try store.applyWebhook(webhook("item/deleted", id: "ev-2", at: 2_000)) == .applied(expected, sessionRecord: nil))
        #expect(try store.applyWebhook(webhook("item/updated", id: "ev-3", at: 3_000)) == .applied(expected, sessionRecord: nil))
        #expect(try store.applyWebhook(webhook("item/error", id: "ev-4", at: 4_000, error: notGranted)) == .applied(expected, sessionRecord: nil))
        #expect(try store.item(id: "it-1") == expected)
    }

    /// Unmapped events are ignored: no record, and the event id is not remembered (a mapped event may reuse it).
    @Test(arguments: StoreKind.allCases)
    func webhook_ChangesNothing_WhenEventNotMapped(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        for event in ["transactions/created", "connector/status_updated", "ITEM/UPDATED", "item/CREATED", ""] {
            #expect(try store.applyWebhook(webhook(event, id: "ev-1", at: 1_000)) == .ignored, "\(event)")
        }
        #expect(try store.item(id: "it-1") == nil)
        #expect(try store.applyWebhook(webhook("item/updated", id: "ev-1", at: 2_000)) == .applied(webhookItem(status: .completed, confirmed: true, at: 2_000), sessionRecord: nil))
    }

    // MARK: - Replays

    /// A replayed event id is a duplicate carrying the current record, and changes nothing even if its content differs.
    @Test(arguments: StoreKind.allCases)
    func webhook_IsIdempotent_WhenEventIdReplays(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        let expected = webhookItem(status: .completed, confirmed: true, at: 1_000)
        _ = try store.applyWebhook(webhook("item/updated", id: "ev-1", at: 1_000))
        #expect(try store.applyWebhook(webhook("item/updated", id: "ev-1", at: 2_000)) == .duplicate(expected))
        #expect(try store.applyWebhook(webhook("item/error", id: "ev-1", at: 3_000, error: notGranted)) == .duplicate(expected))
        #expect(try store.applyWebhook(webhook("item/error", id: "ev-1", item: "it-9", at: 3_000)) == .duplicate(expected))
        #expect(try store.item(id: "it-1") == expected)
        #expect(try store.item(id: "it-9") == nil)
    }

    /// In one batch, results come in order and a repeated event id is applied once, then a duplicate.
    @Test(arguments: StoreKind.allCases)
    func webhook_AppliesBatchInOrder_WhenEventsArriveTogether(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        let results = try store.applyWebhooks([
            webhook("item/waiting_user_action", id: "ev-1", at: 1_000),
            webhook("transactions/created", id: "ev-0", item: "it-2", at: 1_000),
            webhook("item/error", id: "ev-2", at: 1_100, error: notGranted),
            webhook("item/error", id: "ev-2", at: 1_100, error: notGranted),
            webhook("item/updated", id: "ev-3", item: "it-2", at: 1_200),
        ])
        var failed = webhookItem(status: .failed, confirmed: true, at: 1_000, error: notGranted)
        failed.completedAt = 1_100
        failed.updatedAt = 1_100
        #expect(results == [
            .applied(webhookItem(status: .pending, confirmed: false, at: 1_000), sessionRecord: nil),
            .ignored,
            .applied(failed, sessionRecord: nil),
            .duplicate(failed),
            .applied(webhookItem("it-2", status: .completed, confirmed: true, at: 1_200), sessionRecord: nil),
        ])
        #expect(try store.applyWebhooks([]) == [])
    }

    // MARK: - Against callbacks

    /// A webhook confirms a callback's completion, keeping the callback's hits, parameters and completion time.
    @Test(arguments: StoreKind.allCases)
    func webhook_ConfirmsCallbackOutcome_WhenCallbackCameFirst(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        guard case .recorded(var expected, _) = try store.recordCallback(callback("it-1", at: 1_000)) else {
            Issue.record("not recorded")
            return
        }
        expected.confirmed = true
        expected.confirmedBy = .webhook
        expected.updatedAt = 2_000
        #expect(try store.applyWebhook(webhook("item/login_succeeded", id: "ev-1", at: 2_000)) == .applied(expected, sessionRecord: nil))
        #expect(try store.item(id: "it-1") == expected)
        // The same outcome confirmed again changes nothing, not even updatedAt.
        #expect(try store.applyWebhook(webhook("item/updated", id: "ev-2", at: 3_000)) == .applied(expected, sessionRecord: nil))
        #expect(try store.item(id: "it-1")?.updatedAt == 2_000)
    }

    /// A confirmed outcome replaces the browser's claim and an earlier confirmed outcome: the latest webhook wins.
    @Test(arguments: StoreKind.allCases)
    func webhook_ReplacesOutcome_WhenLaterOutcomeIsConfirmed(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.recordCallback(callback("it-1", at: 1_000, error: accessDenied))
        _ = try store.applyWebhook(webhook("item/updated", id: "ev-1", at: 2_000))
        var item = try #require(try store.item(id: "it-1"))
        #expect(item.status == .completed && item.confirmed && item.error == nil && item.completedAt == 1_000 && item.hits == 1)
        _ = try store.applyWebhook(webhook("item/error", id: "ev-2", at: 3_000, error: notGranted))
        item = try #require(try store.item(id: "it-1"))
        #expect(item.status == .failed && item.confirmed && item.error == notGranted && item.updatedAt == 3_000)
    }

    /// A late waiting event never undoes an outcome, confirmed or not, and leaves updatedAt alone.
    @Test(arguments: StoreKind.allCases)
    func webhook_KeepsOutcome_WhenWaitingEventArrivesLate(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        guard case .recorded(let claimed, _) = try store.recordCallback(callback("it-1", at: 1_000)) else {
            Issue.record("not recorded")
            return
        }
        #expect(try store.applyWebhook(webhook("item/waiting_user_action", id: "ev-1", at: 2_000)) == .applied(claimed, sessionRecord: nil))
        _ = try store.applyWebhook(webhook("item/error", id: "ev-2", at: 3_000, error: notGranted))
        let confirmed = try #require(try store.item(id: "it-1"))
        #expect(try store.applyWebhook(webhook("item/waiting_user_input", id: "ev-3", at: 4_000)) == .applied(confirmed, sessionRecord: nil))
        #expect(try store.item(id: "it-1") == confirmed)
    }

    /// A pending item made by a webhook is completed by its first callback like any pending record.
    @Test(arguments: StoreKind.allCases)
    func webhook_LeavesItemOpenToCallback_WhenItemIsPending(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.applyWebhook(webhook("item/waiting_user_action", id: "ev-1", at: 1_000))
        guard case .recorded(let item, let first) = try store.recordCallback(callback("it-1", at: 2_000)) else {
            Issue.record("not recorded")
            return
        }
        #expect(first)
        #expect(item.status == .completed && !item.confirmed && item.hits == 1 && item.completedAt == 2_000 && item.createdAt == 1_000)
    }

    // MARK: - Sessions

    /// The session the item arrived through mirrors the confirmed outcome, and comes back in the result.
    @Test(arguments: StoreKind.allCases)
    func webhook_UpdatesBoundSession_WhenItemArrivedThroughSession(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.createSession(newSession("s-1"))
        _ = try store.recordCallback(callback("it-1", session: "s-1", at: 1_000))
        let result = try store.applyWebhook(webhook("item/error", id: "ev-1", at: 2_000, error: notGranted))
        guard case .applied(let item, let session?) = result else {
            Issue.record("no session in \(result)")
            return
        }
        #expect(item.status == .failed && item.confirmed && item.sessionId == "s-1")
        #expect(session.key == .session("s-1") && session.itemId == "it-1")
        #expect(session.status == .failed && session.confirmed && session.error == notGranted && session.updatedAt == 2_000)
        #expect(session.hits == 1 && session.clientUserId == "user-7" && session.completedAt == 1_000)
        #expect(try store.session(id: "s-1") == session)
        #expect(try store.item(id: "it-1") == item)
    }

    /// A deleted session is not recreated by a webhook for its item; the item still changes.
    @Test(arguments: StoreKind.allCases)
    func webhook_LeavesSessionAlone_WhenSessionIsGone(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.createSession(newSession("s-1"))
        _ = try store.recordCallback(callback("it-1", session: "s-1", at: 1_000))
        #expect(try store.deleteSession(id: "s-1"))
        guard case .applied(let item, nil) = try store.applyWebhook(webhook("item/updated", id: "ev-1", at: 2_000)) else {
            Issue.record("a session came back")
            return
        }
        #expect(item.confirmed)
        #expect(try store.session(id: "s-1") == nil)
    }

    /// When the webhook comes first, the session's first callback takes the item's confirmed outcome.
    @Test(arguments: StoreKind.allCases)
    func callback_AdoptsConfirmedOutcome_WhenWebhookCameFirst(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.createSession(newSession("s-1"))
        _ = try store.applyWebhook(webhook("item/error", id: "ev-1", at: 1_000, error: notGranted))
        let result = try store.recordCallback(callback("it-1", session: "s-1", at: 2_000))
        guard case .recorded(let session, let first) = result else {
            Issue.record("not recorded: \(result)")
            return
        }
        #expect(first)
        #expect(session.status == .failed && session.confirmed && session.error == notGranted && session.itemId == "it-1")
        #expect(try store.session(id: "s-1") == session)
        let item = try #require(try store.item(id: "it-1"))
        #expect(item.sessionId == "s-1" && item.hits == 1 && item.status == .failed && item.confirmed)
        // A later webhook now reaches the session through the item.
        guard case .applied(_, let mirrored?) = try store.applyWebhook(webhook("item/updated", id: "ev-2", at: 3_000)) else {
            Issue.record("session not mirrored")
            return
        }
        #expect(mirrored.status == .completed && mirrored.error == nil)
    }

    // MARK: - Purge

    /// Purge forgets event ids received before the cutoff (a replay then applies again), keeps later ones, and counts only records.
    @Test(arguments: StoreKind.allCases)
    func webhook_ForgetsOldEventIds_WhenPurged(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.applyWebhook(webhook("item/updated", id: "ev-old", item: "it-old", at: 1_000))
        _ = try store.applyWebhook(webhook("item/updated", id: "ev-new", item: "it-new", at: 3_000))
        #expect(try store.purge(updatedBefore: 2_000) == 1)
        #expect(try store.item(id: "it-old") == nil)
        guard case .applied = try store.applyWebhook(webhook("item/updated", id: "ev-old", item: "it-old", at: 4_000)) else {
            Issue.record("an old event id was still remembered")
            return
        }
        guard case .duplicate = try store.applyWebhook(webhook("item/updated", id: "ev-new", item: "it-new", at: 4_000)) else {
            Issue.record("a recent event id was forgotten")
            return
        }
    }

    // MARK: - Both stores alike

    /// A scripted mix of callbacks, sessions and webhooks gives identical results on both stores.
    @Test
    func webhook_GivesSameResults_OnBothStores() throws {
        let stores = try StoreKind.allCases.map { try StoreUnderTest($0) }
        var transcripts: [[String]] = []
        for store in stores {
            var lines: [String] = []
            _ = try store.createSession(newSession("s-a"))
            _ = try store.createSession(newSession("s-b"))
            lines.append("\(try store.recordCallback(callback("it-a", session: "s-a", at: 1_000)))")
            lines.append("\(try store.applyWebhook(webhook("item/waiting_user_input", id: "e1", item: "it-b", at: 1_100)))")
            lines.append("\(try store.applyWebhook(webhook("item/login_succeeded", id: "e2", item: "it-a", at: 1_200)))")
            lines.append("\(try store.applyWebhook(webhook("item/error", id: "e3", item: "it-b", at: 1_300, error: notGranted)))")
            lines.append("\(try store.recordCallback(callback("it-b", session: "s-b", at: 1_400)))")
            lines.append("\(try store.applyWebhooks([webhook("item/updated", id: "e4", item: "it-b", at: 1_500), webhook("item/updated", id: "e2", item: "it-a", at: 1_500)]))")
            lines.append("\(try store.applyWebhook(webhook("item/deleted", id: "e5", item: "it-a", at: 1_600)))")
            lines.append("\(try store.applyWebhook(webhook("item/created", id: "e6", item: "it-c", at: 1_700)))")
            lines.append("\(try store.purge(updatedBefore: 1_450))")
            for id in ["it-a", "it-b", "it-c"] { lines.append("\(String(describing: try store.item(id: id)))") }
            for id in ["s-a", "s-b"] { lines.append("\(String(describing: try store.session(id: id)))") }
            transcripts.append(lines)
        }
        #expect(transcripts[0] == transcripts[1])
    }

    // MARK: - SQLite only

    /// Applied webhooks and their event ids survive closing and reopening the database.
    @Test
    func sqliteWebhook_KeepsRecordsAndEventIds_WhenReopened() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("landing.db")
        var expected: LandingRecord?
        do {
            let store = try SQLiteStore(path: path)
            _ = try store.applyWebhook(webhook("item/error", id: "ev-1", at: 1_000, error: notGranted))
            expected = try store.item(id: "it-1")
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try reopened.item(id: "it-1") == expected)
        #expect(try reopened.applyWebhook(webhook("item/updated", id: "ev-1", at: 2_000)) == .duplicate(expected))
    }

    /// A database at schema version 1 gains the webhook_events table when opened, keeping its rows.
    @Test
    func sqliteWebhook_MigratesVersion1Database_WhenOpened() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("landing.db")
        do {
            // What a version-1 build wrote for callback("it-1", at: 1_000); it had no webhook_events table.
            let old = try SQLiteConnection(path: path, busyTimeoutMilliseconds: 1_000)
            try old.execute(SQLiteStore.migrations[0].sql)
            try old.execute(
                """
                INSERT INTO items (item_id, status, hits, created_at, updated_at, completed_at, raw_parameters)
                VALUES ('it-1', 'completed', 1, 1000, 1000, 1000, '[{"name":"itemId","value":"it-1"}]');
                PRAGMA user_version = 1;
                """)
            #expect(throws: StoreError.self) { try old.execute("SELECT count(*) FROM webhook_events") }
        }
        let store = try SQLiteStore(path: path)
        #expect(try store.pragma("user_version") == "\(SQLiteStore.migrations.count)")
        guard case .applied(let item, nil) = try store.applyWebhook(webhook("item/updated", id: "ev-1", at: 2_000)) else {
            Issue.record("not applied")
            return
        }
        #expect(item.hits == 1 && item.confirmed && item.completedAt == 1_000)
    }

    /// A failed batch (here: a write that violates a constraint midway) rolls back every webhook in it.
    @Test
    func sqliteWebhook_RollsBackWholeBatch_WhenOneWriteFails() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("landing.db")
        let store = try SQLiteStore(path: path)
        // why: valid events cannot make a write fail; a trigger added through a second connection can.
        try SQLiteConnection(path: path, busyTimeoutMilliseconds: 1_000).execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON webhook_events WHEN NEW.event_id = 'ev-bad' BEGIN SELECT RAISE(ABORT, 'refused'); END;")
        #expect(throws: StoreError.self) {
            try store.applyWebhooks([webhook("item/updated", id: "ev-1", at: 1_000), webhook("item/updated", id: "ev-bad", item: "it-2", at: 1_000)])
        }
        #expect(try store.item(id: "it-1") == nil)
        #expect(try store.item(id: "it-2") == nil)
        guard case .applied = try store.applyWebhook(webhook("item/updated", id: "ev-1", at: 2_000)) else {
            Issue.record("the rolled-back event id was remembered")
            return
        }
    }
}
