import Synchronization

/// Whether the store can be reached now, as the store's connections see it, for `/readyz` and
/// `/metrics`. Each connection (a pool connection, the notification listener) reports its own
/// transitions — `connectionLost()` once when it notices its link is gone, `connectionRestored()`
/// once when a new link works — so the store is available exactly when no connection is down.
/// An embedded store (SQLite, memory) never reports anything and is always available.
/// Thread-safe, lock-free.
public final class StoreHealth: Sendable {
    private let down = Atomic<Int>(0)
    private let reconnectCount = Atomic<Int>(0)
    private let lossCount = Atomic<Int>(0)

    public init() {}

    /// No connection is down.
    public var isAvailable: Bool { down.load(ordering: .acquiring) == 0 }

    /// Connections currently down.
    public var connectionsDown: Int { down.load(ordering: .acquiring) }

    /// Links re-established after a loss (`landing_store_reconnects_total`).
    public var reconnects: Int { reconnectCount.load(ordering: .relaxed) }

    /// Links lost (`landing_store_connections_lost_total`).
    public var losses: Int { lossCount.load(ordering: .relaxed) }

    /// A connection that was up noticed it is down (or never came up at start). Call once per loss.
    public func connectionLost() {
        down.add(1, ordering: .acquiringAndReleasing)
        lossCount.add(1, ordering: .relaxed)
    }

    /// A connection that was down works again. Call once per `connectionLost()`.
    public func connectionRestored() {
        down.subtract(1, ordering: .acquiringAndReleasing)
        reconnectCount.add(1, ordering: .relaxed)
    }
}
