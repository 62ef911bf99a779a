/// Group commit sized by load: whether a store thread holds a small batch of writes open for more,
/// and until when.
///
/// A commit costs about the same for one write as for twenty: one transaction, one fsync (or one
/// PostgreSQL WAL flush), and the hand-offs between the event loop and the store thread. When writes
/// arrive faster than commits finish, waiting briefly for company saves that cost on every write of
/// the batch. On a quiet server waiting would only add latency, so the policy holds a batch only
/// under load: it keeps a moving average of the gap between writes, and holds only while that
/// average expects at least two more writes within `maxWait` and a write arrived within the last
/// `maxWait`. A hold never outlasts `maxWait` from when it began, and none begins once `target`
/// writes are queued. PostgreSQL's `commit_delay` with `commit_siblings` is the same idea.
///
/// Pure: the store queue feeds it arrival times and asks it for deadlines (monotonic seconds).
public struct GroupCommitPolicy: Sendable, Equatable {
    /// The longest a write is held for company (seconds); 0 turns holding off.
    public let maxWait: Double
    /// Queued writes at which a batch is taken at once.
    public let target: Int
    /// Moving average of the gap between two writes' arrivals (seconds), starting quiet.
    public private(set) var averageGap: Double
    /// When the last write arrived, if one has.
    public private(set) var lastArrival: Double?

    /// Gaps longer than this count as this (a pause of an hour weighs like a pause of a second).
    static let longestGap = 1.0
    /// Weight of the newest gap in the average: the last handful of writes decide.
    static let newestGapWeight = 0.25

    /// Queued writes at which an SQLite batch is taken without holding: its commit (one WAL fsync)
    /// shared by 16 writes is already small beside each write's own work. Not more: the event loop
    /// and the store thread share the CPU, and at 64 keep-alive connections batches of 22–29 come
    /// by themselves; a target of 32 held them for the whole wait with the core a third idle
    /// (bench/run.sh callback: 31k instead of 40k req/s, p99 4.3 instead of 2.8 ms).
    public static let sqliteTarget = 16
    /// The same for PostgreSQL, whose commit costs more: two round trips, a WAL flush and a
    /// notification on another machine (here, another core). bench/run.sh pg_callback at 64
    /// connections: 16 gave 41.2 µs of CPU per callback (ours + PostgreSQL) at 26.7k/s, p99 4.4 ms;
    /// 32 gave 36.6 µs at 29.9k/s, p99 3.7 ms.
    public static let postgresTarget = 32

    /// The target for writes to `store`: PostgreSQL's commit costs more, so more writes share it.
    public static func target(for store: StoreLocation) -> Int {
        if case .postgres = store { return postgresTarget }
        return sqliteTarget
    }

    public init(maxWait: Double, target: Int = GroupCommitPolicy.sqliteTarget) {
        precondition(maxWait >= 0 && maxWait.isFinite, "the group-commit wait must be finite and not negative")
        precondition(target >= 1, "the group-commit target must be at least 1")
        self.maxWait = maxWait
        self.target = target
        averageGap = Self.longestGap
    }

    /// Records a write arriving at `now`.
    public mutating func writeArrived(at now: Double) {
        if let lastArrival {
            let gap = min(max(now - lastArrival, 0), Self.longestGap)
            averageGap += (gap - averageGap) * Self.newestGapWeight
        }
        lastArrival = now
    }

    /// Writes arrive fast enough that holding a batch pays: at least two more are expected within
    /// `maxWait`, and the last one is recent.
    public func isLoaded(now: Double) -> Bool {
        guard maxWait > 0, let lastArrival else { return false }
        return averageGap * 2 <= maxWait && now - lastArrival <= maxWait
    }

    /// Until when a store thread should hold a batch of `queuedWrites` writes (nothing but writes)
    /// open: `maxWait` after `start` (when the oldest queued write arrived, or now with an empty
    /// queue), or nil to take the batch (or go idle) now.
    public func holdDeadline(queuedWrites: Int, start: Double, now: Double) -> Double? {
        guard queuedWrites < target, isLoaded(now: now) else { return nil }
        let deadline = start + maxWait
        return deadline > now ? deadline : nil
    }
}
