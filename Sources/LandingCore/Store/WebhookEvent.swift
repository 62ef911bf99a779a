/// A validated Pluggy webhook (`POST /webhooks/pluggy`), ready to be applied to the store.
///
/// Pluggy's payload is `{event, eventId, itemId, triggeredBy?, error?: {code, message}}`; the
/// handler has already checked the types, the item id's alphabet and the event id's length, and
/// sanitized the error texts. What the event does to a record is `WebhookRules`' business.
public struct WebhookEvent: Sendable, Equatable {
    /// Pluggy's event name, e.g. `item/updated`; names `WebhookRules` does not map are ignored.
    public var event: String
    /// Pluggy's id for this delivery; replays of it are recognized and change nothing.
    public var eventId: String
    public var itemId: String
    /// Who caused it (`USER`, `CLIENT`, `SYNC`...), sanitized; informational, not stored.
    public var triggeredBy: String?
    /// The item's error (`item/error`): Pluggy's `code`, and its `message` as the description.
    public var error: LandingError?
    /// When the server received it, in milliseconds since the Unix epoch.
    public var receivedAt: Int64

    public init(
        event: String, eventId: String, itemId: String, triggeredBy: String? = nil, error: LandingError? = nil,
        receivedAt: Int64
    ) {
        self.event = event
        self.eventId = eventId
        self.itemId = itemId
        self.triggeredBy = triggeredBy
        self.error = error
        self.receivedAt = receivedAt
    }
}

/// What applying a webhook produced.
public enum WebhookResult: Sendable, Equatable {
    /// The event was new and its effect is durable: the item record after it, and the record of
    /// the session bound to the item (when there is one) after it too. A webhook that the rules
    /// say cannot change the record (a late `waiting_user_input` after a confirmed outcome, any
    /// event after `item/deleted`) is still `.applied`, with the record unchanged.
    case applied(LandingRecord, sessionRecord: LandingRecord?)
    /// The event id was already applied: nothing changed. Carries the current record of the item
    /// the first delivery named (nil if it has since been purged).
    case duplicate(LandingRecord?)
    /// The event is not one the rules map (`transactions/...`, `connector/...`): nothing was read
    /// or written, and the event id was not remembered (a replay is ignored again, just the same).
    case ignored
}
