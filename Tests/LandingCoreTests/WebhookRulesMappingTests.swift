import LandingCore
import Testing

/// `WebhookRules.effect(of:)`, row by row as docs/api.md's table lists it.
@Suite struct WebhookRulesMappingTests {
    static func event(_ name: String, code: String? = nil) -> WebhookEvent {
        WebhookEvent(
            event: name, eventId: "ev-1", itemId: "it-1", error: code.map { LandingError(code: $0, description: "detail") },
            receivedAt: 1_000)
    }

    /// Each documented row maps to its effect: connected → completed; still waiting → pending with the code as detail; terminal errors → failed.
    @Test(arguments: [
        ("item/created", nil, WebhookRules.Effect.completed),
        ("item/login_succeeded", nil, .completed),
        ("item/updated", nil, .completed),
        ("item/error", "USER_AUTHORIZATION_PENDING", .pending(detail: LandingError(code: "USER_AUTHORIZATION_PENDING", description: "detail"))),
        ("item/waiting_user_input", nil, .pending(detail: nil)),
        ("item/waiting_user_action", nil, .pending(detail: nil)),
        ("item/error", "USER_AUTHORIZATION_NOT_GRANTED", .failed(LandingError(code: "USER_AUTHORIZATION_NOT_GRANTED", description: "detail"))),
        ("item/error", "INVALID_CREDENTIALS", .failed(LandingError(code: "INVALID_CREDENTIALS", description: "detail"))),
        ("item/error", "ACCOUNT_LOCKED", .failed(LandingError(code: "ACCOUNT_LOCKED", description: "detail"))),
        ("item/error", "SITE_NOT_AVAILABLE", .failed(LandingError(code: "SITE_NOT_AVAILABLE", description: "detail"))),
        ("item/error", "USER_INPUT_TIMEOUT", .failed(LandingError(code: "USER_INPUT_TIMEOUT", description: "detail"))),
        ("item/error", nil, .failed(LandingError(code: WebhookRules.missingErrorCode, description: nil))),
        ("item/deleted", nil, .deleted),
    ] as [(String, String?, WebhookRules.Effect)])
    func effect_MapsDocumentedRow(name: String, code: String?, expected: WebhookRules.Effect) {
        #expect(WebhookRules.effect(of: Self.event(name, code: code)) == expected)
    }

    /// Events outside the table (other families, other spellings) are ignored.
    @Test(arguments: ["transactions/created", "connector/status_updated", "item/CREATED", "Item/Updated", ""])
    func effect_IgnoresUnmappedEvent(name: String) {
        #expect(WebhookRules.effect(of: Self.event(name)) == nil)
    }

    /// A still-waiting code on a completed record changes nothing: it never reopens an outcome.
    @Test func pendingEffect_NeverUndoesOutcome() {
        var record = LandingRecord(key: .item("it-1"), itemId: "it-1", status: .completed, createdAt: 1, updatedAt: 1)
        let before = record
        let effect = WebhookRules.effect(of: Self.event("item/error", code: "USER_AUTHORIZATION_PENDING"))!
        #expect(!WebhookRules.apply(effect, at: 5, to: &record))
        #expect(record == before)
    }
}
