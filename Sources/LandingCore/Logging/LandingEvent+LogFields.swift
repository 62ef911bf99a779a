extension LandingEvent {
    /// The event's log metadata (the message is `kind`'s raw value): `outcome`, `instance`, and when
    /// known `request_id`, `item_id`, `session_id`, `error_code`, `event` (webhooks) or `what`
    /// (authentication failures), and `test` as a JSON boolean (callbacks and webhooks).
    public func logFields(instance: String) -> LogMetadata {
        var fields: LogMetadata = ["outcome": outcome, "instance": instance]
        if let requestID { fields["request_id"] = requestID }
        if let itemId { fields["item_id"] = itemId }
        if let sessionId { fields["session_id"] = sessionId }
        if let errorCode { fields["error_code"] = errorCode }
        if let detail { fields[kind == .webhook ? "event" : "what"] = detail }
        if kind != .authenticationFailure { fields["test"] = isTest }
        return fields
    }
}
