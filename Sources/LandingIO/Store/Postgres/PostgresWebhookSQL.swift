/// The statements on `webhook_events` (`PostgresSchema` step 1).
enum PostgresWebhookSQL {
    static let select = "SELECT item_id FROM webhook_events WHERE event_id = $1"
    /// Remembers an event id; returns a row only when this call inserted it (the primary key on
    /// `event_id` dedupes, even against a concurrent transaction inserting the same id).
    static let insert = """
        INSERT INTO webhook_events (event_id, item_id, event, received_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (event_id) DO NOTHING RETURNING event_id
        """
    static let purge = "DELETE FROM webhook_events WHERE received_at < $1"
    /// At most $2 of the rows `purge` deletes, oldest first.
    static let purgeBatch = """
        DELETE FROM webhook_events WHERE event_id IN
            (SELECT event_id FROM webhook_events WHERE received_at < $1 ORDER BY received_at LIMIT $2)
        """
}
