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

    /// Adds `logFields(instance:)` to `line` sorted by key, as the logger writes metadata, but
    /// without a dictionary or a sort: the keys' order is fixed here (one line per callback).
    public func addLogFields(instance: String, to line: inout JSONLine) {
        if let errorCode { line.add("error_code", errorCode) }
        if kind == .webhook, let detail { line.add("event", detail) }
        line.add("instance", instance)
        if let itemId { line.add("item_id", itemId) }
        line.add("outcome", outcome)
        if let requestID { line.add("request_id", requestID) }
        if let sessionId { line.add("session_id", sessionId) }
        if kind != .authenticationFailure { line.add("test", isTest) }
        if kind != .webhook, let detail { line.add("what", detail) }
    }
}
