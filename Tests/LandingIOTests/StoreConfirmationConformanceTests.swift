import Foundation
import LandingCore
import Testing

@testable import LandingIO

// MARK: - Fixtures

private let notGranted = LandingError(code: "USER_AUTHORIZATION_NOT_GRANTED", description: "Consentimento não concedido")
private let stillPending = LandingError(code: "USER_AUTHORIZATION_PENDING", description: nil)
private let accessDenied = LandingError(code: "access_denied", description: "The user denied access")

private func confirmation(
    _ state: PluggyItemState, item itemId: String = "it-1", at time: Int64, connector: String? = "Banco Teste",
    executionStatus: String? = "SUCCESS"
) -> PluggyConfirmation {
    PluggyConfirmation(itemId: itemId, state: state, connectorName: connector, executionStatus: executionStatus, receivedAt: time)
}

private func webhook(_ event: String, id eventId: String, item itemId: String = "it-1", at time: Int64, error: LandingError? = nil) -> WebhookEvent {
    WebhookEvent(event: event, eventId: eventId, itemId: itemId, triggeredBy: "USER", error: error, receivedAt: time)
}

private func callback(_ itemId: String?, session: String? = nil, at time: Int64, error: LandingError? = nil) -> CallbackEvent {
    CallbackEvent(itemId: itemId, sessionId: session, error: error, rawParameters: [RawParameter(name: "itemId", value: itemId ?? "")], receivedAt: time)
}

private func newSession(_ id: String) -> NewSession {
    NewSession(id: id, clientUserId: "user-7", returnURL: "https://app.example/done", createdAt: 500, expiresAt: 900_000)
}

extension LandingStore {
    /// Commits one confirmation and returns the item record it reports.
    fileprivate func confirm(_ confirmation: PluggyConfirmation) throws -> LandingRecord {
        let commit = try commit([.confirmation(confirmation)])
        return try #require(commit.results.first?.confirmedItem, "\(commit)")
    }
}

/// `StoreWrite.confirmation`: what Pluggy's API says about an item, applied with the webhook rules
/// (`confirmedBy: api`), on every store.
@Suite("Store confirmation conformance")
struct StoreConfirmationConformanceTests {
    // MARK: - Outcomes

    /// An API `completed` confirms a callback's completion (confirmedBy api), keeping its hits and completion time, and records the connector and executionStatus.
    @Test(arguments: StoreKind.allCases)
    func confirmation_ConfirmsCompletion_KeepingConnectorAndExecutionStatus(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        guard case .recorded(var expected, _) = try store.recordCallback(callback("it-1", at: 1_000)) else {
            Issue.record("not recorded")
            return
        }
        expected.confirmed = true
        expected.confirmedBy = .api
        expected.connectorName = "Banco Teste"
        expected.executionStatus = "SUCCESS"
        expected.updatedAt = 2_000
        #expect(try store.confirm(confirmation(.completed, at: 2_000)) == expected)
        #expect(try store.item(id: "it-1") == expected)
        #expect(expected.completedAt == 1_000 && expected.hits == 1 && expected.status == .completed)
    }

    /// An API `failed` fails the item, confirmed by the API, with Pluggy's error (replacing the browser's claim of success).
    @Test(arguments: StoreKind.allCases)
    func confirmation_FailsItem_WithPluggysError(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.recordCallback(callback("it-1", at: 1_000))
        let item = try store.confirm(confirmation(.failed(notGranted), at: 2_000, executionStatus: "USER_AUTHORIZATION_NOT_GRANTED"))
        #expect(item.status == .failed && item.confirmed && item.confirmedBy == .api)
        #expect(item.error == notGranted)
        #expect(item.executionStatus == "USER_AUTHORIZATION_NOT_GRANTED" && item.connectorName == "Banco Teste")
        #expect(item.updatedAt == 2_000 && item.completedAt == 1_000 && item.hits == 1)
        #expect(try store.item(id: "it-1") == item)
    }

    /// An API `pending(detail)` on a pending item keeps it pending and unconfirmed, with the waiting code as its detail.
    @Test(arguments: StoreKind.allCases)
    func confirmation_KeepsPendingItemPending_WithDetail(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.applyWebhook(webhook("item/waiting_user_action", id: "ev-1", at: 1_000))
        let item = try store.confirm(
            confirmation(.pending(detail: stillPending), at: 2_000, executionStatus: "USER_AUTHORIZATION_PENDING"))
        #expect(item.status == .pending && !item.confirmed && item.confirmedBy == nil)
        #expect(item.error == stillPending)
        #expect(item.connectorName == "Banco Teste" && item.executionStatus == "USER_AUTHORIZATION_PENDING")
        #expect(item.updatedAt == 2_000 && item.completedAt == nil)
        #expect(try store.item(id: "it-1") == item)
    }

    /// An API `pending` never undoes an outcome (claimed, webhook-confirmed or failed), but still updates the connector and executionStatus.
    @Test(arguments: StoreKind.allCases)
    func confirmation_PendingNeverUndoesOutcome_ButUpdatesDetails(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.recordCallback(callback("claimed", at: 1_000))
        _ = try store.recordCallback(callback("confirmed", at: 1_000))
        _ = try store.applyWebhook(webhook("item/updated", id: "ev-1", item: "confirmed", at: 1_100))
        _ = try store.applyWebhook(webhook("item/error", id: "ev-2", item: "failed", at: 1_100, error: notGranted))
        _ = try store.recordCallback(callback("denied", at: 1_000, error: accessDenied))
        for id in ["claimed", "confirmed", "failed", "denied"] {
            var expected = try #require(try store.item(id: id))
            let item = try store.confirm(
                confirmation(.pending(detail: stillPending), item: id, at: 2_000, connector: "Banco Novo", executionStatus: "MERGING"))
            expected.connectorName = "Banco Novo"
            expected.executionStatus = "MERGING"
            expected.updatedAt = 2_000
            #expect(item == expected, "\(id)")
            #expect(try store.item(id: id) == expected, "\(id)")
        }
    }

    /// A confirmation that changes nothing writes nothing: no change reported, updatedAt and version stay.
    @Test(arguments: StoreKind.allCases)
    func confirmation_WritesNothing_WhenNothingChanges(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        store.versions = true
        _ = try store.recordCallback(callback("it-1", at: 1_000))
        let first = try store.commit([.confirmation(confirmation(.completed, at: 2_000))])
        #expect(first.changes.map(\.key) == [.item("it-1")])
        let before = try #require(try store.item(id: "it-1"))
        let again = try store.commit([.confirmation(confirmation(.completed, at: 3_000))])
        #expect(again.changes == [])
        #expect(again.results == [.confirmed(before)])
        #expect(try store.item(id: "it-1") == before)
        #expect(before.updatedAt == 2_000)
    }

    // MARK: - Unknown items

    /// An item never seen is created by the API's answer: completed or failed confirmed by the API, pending unconfirmed; no session, no hits.
    @Test(arguments: StoreKind.allCases)
    func confirmation_CreatesItem_WhenUnknown(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        let cases: [(String, PluggyItemState, LandingRecord)] = [
            ("new-ok", .completed,
             LandingRecord(
                key: .item("new-ok"), itemId: "new-ok", status: .completed, confirmed: true, createdAt: 1_000, updatedAt: 1_000,
                completedAt: 1_000, confirmedBy: .api, connectorName: "Banco Teste", executionStatus: "SUCCESS")),
            ("new-failed", .failed(notGranted),
             LandingRecord(
                key: .item("new-failed"), itemId: "new-failed", status: .failed, confirmed: true, error: notGranted, createdAt: 1_000,
                updatedAt: 1_000, completedAt: 1_000, confirmedBy: .api, connectorName: "Banco Teste", executionStatus: "SUCCESS")),
            ("new-pending", .pending(detail: stillPending),
             LandingRecord(
                key: .item("new-pending"), itemId: "new-pending", status: .pending, error: stillPending, createdAt: 1_000, updatedAt: 1_000,
                connectorName: "Banco Teste", executionStatus: "SUCCESS")),
        ]
        for (id, state, expected) in cases {
            let commit = try store.commit([.confirmation(confirmation(state, item: id, at: 1_000))])
            #expect(commit.results == [.confirmed(expected)], "\(id)")
            #expect(commit.changes.map(\.key) == [.item(id)], "\(id)")
            #expect(try store.item(id: id) == expected, "\(id)")
            #expect(try store.session(id: id) == nil, "\(id)")
        }
    }

    /// The browser's first callback after an API-created completion keeps the API's confirmed outcome and counts the hit.
    @Test(arguments: StoreKind.allCases)
    func callback_KeepsAPIOutcome_WhenAPICameFirst(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.createSession(newSession("s-1"))
        _ = try store.confirm(confirmation(.failed(notGranted), at: 1_000))
        guard case .recorded(let session, _) = try store.recordCallback(callback("it-1", session: "s-1", at: 2_000)) else {
            Issue.record("not recorded")
            return
        }
        #expect(session.status == .failed && session.confirmed && session.confirmedBy == .api && session.error == notGranted)
        #expect(session.connectorName == "Banco Teste" && session.executionStatus == "SUCCESS")
        let item = try #require(try store.item(id: "it-1"))
        #expect(item.status == .failed && item.confirmedBy == .api && item.sessionId == "s-1" && item.hits == 1)
    }

    // MARK: - Sessions

    /// The session the item arrived through mirrors the API's outcome, connector and executionStatus.
    @Test(arguments: StoreKind.allCases)
    func confirmation_UpdatesBoundSession_WhenItemArrivedThroughSession(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.createSession(newSession("s-1"))
        _ = try store.recordCallback(callback("it-1", session: "s-1", at: 1_000))
        let commit = try store.commit([.confirmation(confirmation(.completed, at: 2_000))])
        #expect(Set(commit.changes.map(\.key)) == [.item("it-1"), .session("s-1")])
        let session = try #require(try store.session(id: "s-1"))
        #expect(session.status == .completed && session.confirmed && session.confirmedBy == .api && session.error == nil)
        #expect(session.connectorName == "Banco Teste" && session.executionStatus == "SUCCESS")
        #expect(session.updatedAt == 2_000 && session.completedAt == 1_000 && session.hits == 1 && session.itemId == "it-1")
        #expect(session.clientUserId == "user-7" && session.returnURL == "https://app.example/done")
        // A later pending answer leaves the outcome but refreshes the details, on the session too.
        _ = try store.confirm(confirmation(.pending(detail: nil), at: 3_000, connector: "Banco Renomeado", executionStatus: "MERGING"))
        let later = try #require(try store.session(id: "s-1"))
        #expect(later.status == .completed && later.confirmed && later.confirmedBy == .api)
        #expect(later.connectorName == "Banco Renomeado" && later.executionStatus == "MERGING")
        // A failure from the API reaches the session as well.
        _ = try store.confirm(confirmation(.failed(notGranted), at: 4_000))
        let failed = try #require(try store.session(id: "s-1"))
        #expect(failed.status == .failed && failed.confirmed && failed.confirmedBy == .api && failed.error == notGranted)
    }

    /// A deleted session is not recreated by a confirmation; the item still changes.
    @Test(arguments: StoreKind.allCases)
    func confirmation_LeavesSessionAlone_WhenSessionIsGone(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.createSession(newSession("s-1"))
        _ = try store.recordCallback(callback("it-1", session: "s-1", at: 1_000))
        #expect(try store.deleteSession(id: "s-1"))
        let commit = try store.commit([.confirmation(confirmation(.completed, at: 2_000))])
        #expect(commit.changes.map(\.key) == [.item("it-1")])
        #expect(try store.session(id: "s-1") == nil)
        #expect(try store.item(id: "it-1")?.confirmedBy == .api)
    }

    // MARK: - Against webhooks

    /// The latest confirmed word wins, whoever says it: API completed → webhook failed → API completed → webhook updated.
    @Test(arguments: StoreKind.allCases)
    func confirmation_AndWebhook_LatestConfirmedWordWins(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.createSession(newSession("s-1"))
        _ = try store.recordCallback(callback("it-1", session: "s-1", at: 1_000))
        func state() throws -> String {
            let item = try #require(try store.item(id: "it-1"))
            let session = try #require(try store.session(id: "s-1"))
            let line = "\(item.status.rawValue) \(item.confirmed) \(item.confirmedBy?.rawValue ?? "-") \(item.error?.code ?? "-")"
            let sessionLine = "\(session.status.rawValue) \(session.confirmed) \(session.confirmedBy?.rawValue ?? "-") \(session.error?.code ?? "-")"
            #expect(line == sessionLine, "the session does not mirror the item")
            return line
        }
        _ = try store.confirm(confirmation(.completed, at: 2_000))
        #expect(try state() == "completed true api -")
        _ = try store.applyWebhook(webhook("item/error", id: "ev-1", at: 3_000, error: notGranted))
        #expect(try state() == "failed true webhook USER_AUTHORIZATION_NOT_GRANTED")
        _ = try store.confirm(confirmation(.completed, at: 4_000))
        #expect(try state() == "completed true api -")
        _ = try store.applyWebhook(webhook("item/updated", id: "ev-2", at: 5_000))
        #expect(try state() == "completed true webhook -")
        // The webhook carries no connector: what the API said is kept.
        #expect(try store.item(id: "it-1")?.connectorName == "Banco Teste")
        _ = try store.confirm(confirmation(.failed(notGranted), at: 6_000))
        #expect(try state() == "failed true api USER_AUTHORIZATION_NOT_GRANTED")
    }

    /// A deleted (expired) item is never changed by the API: no outcome, no connector, no executionStatus, no write.
    @Test(arguments: StoreKind.allCases)
    func confirmation_NeverChangesDeletedItem(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        store.versions = true
        _ = try store.createSession(newSession("s-1"))
        _ = try store.recordCallback(callback("it-1", session: "s-1", at: 1_000))
        _ = try store.applyWebhook(webhook("item/deleted", id: "ev-1", at: 2_000))
        let item = try #require(try store.item(id: "it-1"))
        let session = try #require(try store.session(id: "s-1"))
        #expect(item.status == .expired)
        for state in [PluggyItemState.completed, .failed(notGranted), .pending(detail: stillPending)] {
            let commit = try store.commit([.confirmation(confirmation(state, at: 3_000, connector: "Outro Banco", executionStatus: "SUCCESS"))])
            #expect(commit.results == [.confirmed(item)], "\(state)")
            #expect(commit.changes == [], "\(state)")
        }
        #expect(try store.item(id: "it-1") == item)
        #expect(try store.session(id: "s-1") == session)
    }

    // MARK: - Interleavings

    /// One thing that can happen to the item.
    enum Step: String, CaseIterable, CustomTestStringConvertible {
        /// The browser returns to the session path with the item id.
        case callback
        /// `item/error` with `USER_AUTHORIZATION_PENDING`.
        case pendingWebhook
        /// Pluggy's API says the item is UPDATED.
        case apiCompleted
        var testDescription: String { rawValue }
    }

    /// Every ordering of `steps`.
    static func permutations(_ steps: [Step]) -> [[Step]] {
        guard steps.count > 1 else { return [steps] }
        return steps.indices.flatMap { index in
            var rest = steps
            let first = rest.remove(at: index)
            return permutations(rest).map { [first] + $0 }
        }
    }

    /// Callback, a USER_AUTHORIZATION_PENDING webhook and an API `completed` in all 6 orders: item and session end completed, confirmed, without error.
    @Test(arguments: StoreKind.allCases)
    func interleavings_EndCompletedConfirmed_WhenAPISaysCompleted(kind: StoreKind) throws {
        let orders = Self.permutations(Step.allCases)
        #expect(Set(orders.map { $0.map(\.rawValue).joined(separator: ",") }).count == 6)
        for order in orders {
            let store = try StoreUnderTest(kind)
            let sessionId = StoreInterleavingConformanceTests.sessionId
            let itemId = StoreInterleavingConformanceTests.itemId
            _ = try store.createSession(NewSession(id: sessionId, clientUserId: nil, returnURL: nil, createdAt: 1_000, expiresAt: 9_000_000))
            for (index, step) in order.enumerated() {
                let time = Int64(2_000 + index)
                switch step {
                case .callback:
                    _ = try store.recordCallback(CallbackEvent(itemId: itemId, sessionId: sessionId, error: nil, receivedAt: time))
                case .pendingWebhook:
                    _ = try store.applyWebhook(
                        WebhookEvent(event: "item/error", eventId: "ev-\(index)", itemId: itemId, error: StoreInterleavingConformanceTests.pending, receivedAt: time))
                case .apiCompleted:
                    _ = try store.confirm(confirmation(.completed, item: itemId, at: time))
                }
            }
            let expected = "completed confirmed=true error=-"
            #expect(StoreInterleavingConformanceTests.state(try store.item(id: itemId)) == expected, "\(order)")
            #expect(StoreInterleavingConformanceTests.state(try store.session(id: sessionId)) == expected, "\(order)")
        }
    }

    // MARK: - Every store alike

    /// A scripted mix of callbacks, webhooks and confirmations gives identical results on every store.
    @Test
    func confirmation_GivesSameResults_OnEveryStore() throws {
        var transcripts: [[String]] = []
        for kind in StoreKind.allCases {
            let store = try StoreUnderTest(kind)
            store.versions = true
            var lines: [String] = []
            _ = try store.createSession(newSession("s-a"))
            lines.append("\(try store.recordCallback(callback("it-a", session: "s-a", at: 1_000)))")
            lines.append("\(try store.commit([.confirmation(confirmation(.pending(detail: stillPending), item: "it-a", at: 1_100))]))")
            lines.append("\(try store.commit([.confirmation(confirmation(.completed, item: "it-b", at: 1_200)), .confirmation(confirmation(.failed(notGranted), item: "it-a", at: 1_200))]))")
            lines.append("\(try store.applyWebhook(webhook("item/updated", id: "e1", item: "it-a", at: 1_300)))")
            lines.append("\(try store.commit([.confirmation(confirmation(.completed, item: "it-a", at: 1_400, connector: nil, executionStatus: nil))]))")
            for id in ["it-a", "it-b"] { lines.append("\(String(describing: try store.item(id: id)))") }
            lines.append("\(String(describing: try store.session(id: "s-a")))")
            transcripts.append(lines)
        }
        for transcript in transcripts.dropFirst() { #expect(transcript == transcripts[0]) }
    }
}
