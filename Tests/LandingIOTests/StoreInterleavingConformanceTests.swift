import LandingCore
import Testing

@testable import LandingIO

/// Pluggy's item states against the browser's callback: every interleaving ends in the same final
/// state, on every store, and a non-terminal state never becomes a failure.
@Suite struct StoreInterleavingConformanceTests {
    /// One thing that can happen to the item (or the session it arrived through).
    enum Step: String, CaseIterable, CustomTestStringConvertible {
        /// The browser returns to the session path with the item id and no OAuth error.
        case callback
        /// The browser returns with `error=access_denied`.
        case callbackDenied
        /// `item/error` with `USER_AUTHORIZATION_PENDING`: Pluggy still waits.
        case pendingError
        case waitingUserAction = "item/waiting_user_action"
        case loginSucceeded = "item/login_succeeded"
        case created = "item/created"
        /// `item/error` with `USER_AUTHORIZATION_NOT_GRANTED`: terminal.
        case notGranted

        var testDescription: String { rawValue }
    }

    static let sessionId = "sess-interleave-0000001"
    static let itemId = "it-interleave"
    static let pending = LandingError(code: "USER_AUTHORIZATION_PENDING", description: "Aguardando autorização")
    static let notGranted = LandingError(code: "USER_AUTHORIZATION_NOT_GRANTED", description: "Autorização não concedida")

    /// Applies `steps` in order (at 1 ms apart) to a fresh store with a live session; returns the store.
    static func run(_ steps: [Step], on kind: StoreKind) throws -> StoreUnderTest {
        let store = try StoreUnderTest(kind)
        _ = try store.createSession(NewSession(id: sessionId, clientUserId: nil, returnURL: nil, createdAt: 1_000, expiresAt: 9_000_000))
        for (index, step) in steps.enumerated() {
            let time = Int64(2_000 + index)
            switch step {
            case .callback, .callbackDenied:
                let error = step == .callbackDenied ? LandingError(code: "access_denied", description: nil) : nil
                _ = try store.recordCallback(CallbackEvent(itemId: itemId, sessionId: sessionId, error: error, receivedAt: time))
            case .pendingError, .notGranted:
                let error = step == .pendingError ? pending : notGranted
                _ = try store.applyWebhook(WebhookEvent(event: "item/error", eventId: "ev-\(index)", itemId: itemId, error: error, receivedAt: time))
            case .waitingUserAction, .loginSucceeded, .created:
                _ = try store.applyWebhook(WebhookEvent(event: step.rawValue, eventId: "ev-\(index)", itemId: itemId, receivedAt: time))
            }
        }
        return store
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

    /// (status, confirmed, error code) of a record.
    static func state(_ record: LandingRecord?) -> String {
        guard let record else { return "missing" }
        return "\(record.status.rawValue) confirmed=\(record.confirmed) error=\(record.error?.code ?? "-")"
    }

    /// Callback, a pending error, a waiting event and login_succeeded in all 24 orders: always completed and confirmed, never failed.
    @Test(arguments: StoreKind.allCases)
    func interleavings_EndCompletedConfirmed_WhenPendingThenAuthorized(kind: StoreKind) throws {
        for order in Self.permutations([.callback, .pendingError, .waitingUserAction, .loginSucceeded]) {
            let store = try Self.run(order, on: kind)
            let item = try store.item(id: Self.itemId)
            let session = try store.session(id: Self.sessionId)
            #expect(Self.state(item) == "completed confirmed=true error=-", "\(order)")
            #expect(Self.state(session) == "completed confirmed=true error=-", "\(order)")
        }
    }

    /// Callback, a pending error and item/created in all 6 orders: completed and confirmed (item/created means connected).
    @Test(arguments: StoreKind.allCases)
    func interleavings_EndCompletedConfirmed_WhenItemCreated(kind: StoreKind) throws {
        for order in Self.permutations([.callback, .pendingError, .created]) {
            let store = try Self.run(order, on: kind)
            #expect(Self.state(try store.item(id: Self.itemId)) == "completed confirmed=true error=-", "\(order)")
            #expect(Self.state(try store.session(id: Self.sessionId)) == "completed confirmed=true error=-", "\(order)")
        }
    }

    /// Callback, a pending error and a terminal NOT_GRANTED in all 6 orders: failed, confirmed, with the terminal code.
    @Test(arguments: StoreKind.allCases)
    func interleavings_EndFailedConfirmed_WhenNotGranted(kind: StoreKind) throws {
        for order in Self.permutations([.callback, .pendingError, .notGranted]) {
            let store = try Self.run(order, on: kind)
            let expected = "failed confirmed=true error=USER_AUTHORIZATION_NOT_GRANTED"
            #expect(Self.state(try store.item(id: Self.itemId)) == expected, "\(order)")
            #expect(Self.state(try store.session(id: Self.sessionId)) == expected, "\(order)")
        }
    }

    /// A denied callback and login_succeeded in both orders: the aggregator's confirmed word wins (completed).
    @Test(arguments: StoreKind.allCases)
    func interleavings_ConfirmedWebhookWins_OverDeniedCallback(kind: StoreKind) throws {
        for order in Self.permutations([.callbackDenied, .loginSucceeded]) {
            let store = try Self.run(order, on: kind)
            #expect(Self.state(try store.item(id: Self.itemId)) == "completed confirmed=true error=-", "\(order)")
            #expect(Self.state(try store.session(id: Self.sessionId)) == "completed confirmed=true error=-", "\(order)")
        }
    }

    /// A pending error alone leaves the item pending with the code as its detail; the browser's callback after it is a first completion (the success page).
    @Test(arguments: StoreKind.allCases)
    func pendingError_IsNeverAFailure_AndCallbackAfterItCompletes(kind: StoreKind) throws {
        let store = try Self.run([.pendingError], on: kind)
        let item = try store.item(id: Self.itemId)
        #expect(item?.status == .pending && item?.confirmed == false)
        #expect(item?.error?.code == "USER_AUTHORIZATION_PENDING")
        let result = try store.recordCallback(CallbackEvent(itemId: Self.itemId, sessionId: Self.sessionId, error: nil, receivedAt: 5_000))
        guard case .recorded(let record, let first) = result else {
            Issue.record("expected a recorded callback, got \(result)")
            return
        }
        #expect(first)
        #expect(LandingOutcome.from(record: record) == .completed(itemId: Self.itemId, sessionId: Self.sessionId))
        #expect(Self.state(try store.item(id: Self.itemId)) == "completed confirmed=false error=-")
    }

    /// A waiting event after a pending error replaces the detail (the latest waiting word), still pending.
    @Test(arguments: StoreKind.allCases)
    func waitingEvents_KeepLatestDetail_WhilePending(kind: StoreKind) throws {
        let store = try Self.run([.pendingError, .waitingUserAction], on: kind)
        #expect(Self.state(try store.item(id: Self.itemId)) == "pending confirmed=false error=-")
        let again = try Self.run([.waitingUserAction, .pendingError], on: kind)
        #expect(Self.state(try again.item(id: Self.itemId)) == "pending confirmed=false error=USER_AUTHORIZATION_PENDING")
    }
}
