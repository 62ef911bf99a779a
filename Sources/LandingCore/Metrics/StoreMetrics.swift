/// What `/metrics` says about the store: commit latency per batch and per write kind, the time
/// work waits for a store thread, and — for a shared database — whether it can be reached,
/// reconnects, notifications received and the server's notification queue usage.
/// Observed from the store threads; read by `/metrics`. Thread-safe.
public final class StoreMetrics: Sendable {
    /// The write kinds `landing_store_commit_seconds` is labelled with: one per kind of
    /// `StoreWrite` (a session's creation and deletion are both `session`).
    public enum WriteKind: String, CaseIterable, Sendable {
        case callback, webhook, session
        /// What Pluggy's API said about an item (`StoreWrite.confirmation`).
        case confirmation

        /// The kind of `write`.
        public init(_ write: StoreWrite) {
            switch write {
            case .callback: self = .callback
            case .webhook: self = .webhook
            case .createSession, .deleteSession: self = .session
            case .confirmation: self = .confirmation
            }
        }
    }

    /// Seconds per committed batch (`landing_store_write_seconds`).
    public let batches = MetricHistogram(upperBounds: MetricHistogram.storeWriteBuckets)
    /// Seconds per committed batch, once for each kind of write it held.
    private let byKind: [MetricHistogram] = WriteKind.allCases.map { _ in MetricHistogram(upperBounds: MetricHistogram.storeWriteBuckets) }
    /// Seconds the oldest job of a batch waited for a free store thread.
    public let queueWait = MetricHistogram(upperBounds: MetricHistogram.storeWriteBuckets)

    public init() {}

    /// A batch of `writes` committed in `seconds`.
    public func observeBatch(seconds: Double, writes: [StoreWrite]) {
        batches.observe(seconds)
        var seen = Set<WriteKind>()
        for write in writes {
            let kind = WriteKind(write)
            if seen.insert(kind).inserted { byKind[WriteKind.allCases.firstIndex(of: kind)!].observe(seconds) }
        }
    }

    /// The families, in export order. `health` and `listener` are present for a shared database.
    public func families(
        health: StoreHealth?, notificationsReceived: Int? = nil, notificationQueueUsage: Double? = nil, queued: Int? = nil
    ) -> [MetricFamily] {
        var families = [
            MetricFamily(
                name: "landing_store_write_seconds", help: "Time to commit one batch of writes to the store.",
                kind: .histogram, samples: batches.snapshot().samples()),
            MetricFamily(
                name: "landing_store_commit_seconds",
                help: "Time to commit a batch, once per kind of write (callback, webhook, session, confirmation) it held.",
                kind: .histogram,
                samples: zip(WriteKind.allCases, byKind).flatMap { kind, histogram in
                    histogram.snapshot().samples(labels: [MetricLabel("kind", kind.rawValue)])
                }),
            MetricFamily(
                name: "landing_store_queue_wait_seconds", help: "Time the oldest job of a batch waited for a store thread.",
                kind: .histogram, samples: queueWait.snapshot().samples()),
        ]
        if let queued {
            families.append(.single("landing_store_queued_jobs", help: "Store jobs waiting for a store thread.", kind: .gauge, value: Double(queued)))
        }
        if let health {
            families.append(
                .single("landing_store_available", help: "1 when every database connection is up, else 0.", kind: .gauge, value: health.isAvailable ? 1 : 0))
            families.append(
                .single("landing_store_connections_down", help: "Database connections down now.", kind: .gauge, value: Double(health.connectionsDown)))
            families.append(
                .single("landing_store_connections_lost_total", help: "Database connections lost.", kind: .counter, value: Double(health.losses)))
            families.append(
                .single("landing_store_reconnects_total", help: "Database connections re-established after a loss.", kind: .counter, value: Double(health.reconnects)))
        }
        if let notificationsReceived {
            families.append(
                .single(
                    "landing_store_notifications_received_total", help: "Change notifications received from the database (LISTEN).",
                    kind: .counter, value: Double(notificationsReceived)))
        }
        if let notificationQueueUsage {
            families.append(
                .single(
                    "landing_store_notification_queue_usage", help: "pg_notification_queue_usage(): fraction of the server's NOTIFY queue in use.",
                    kind: .gauge, value: notificationQueueUsage))
        }
        return families
    }
}
