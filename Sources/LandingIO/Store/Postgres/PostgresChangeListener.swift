import Foundation
import LandingCore
import Synchronization

/// Hears other instances' commits: one dedicated connection per instance, on its own thread,
/// `LISTEN`ing on `PostgresStore.changeChannel` and handing each decoded `RecordChange` to
/// `onChanges` (the server wakes its long-poll waiters there).
///
/// Notifications are a hint, never the data. On every (re)connect the listener runs `LISTEN` first
/// and only then calls `onReconnect` (the server wakes every local waiter, which re-reads its
/// record): a change committed while the link was down is read by its waiter then, and one
/// committed after `LISTEN` is notified — none is slept through. A lost link is re-established with
/// `ReconnectBackoff` and reported to `StoreHealth` like a pool connection. Every 10 seconds the
/// listener also reads `pg_notification_queue_usage()` (exported as a metric), which doubles as a
/// ping of its otherwise silent connection.
public final class PostgresChangeListener: Sendable {
    /// Seconds between two `pg_notification_queue_usage()` reads (and pings).
    static let usageInterval = 10.0
    /// Longest wait for input before the thread checks whether it should stop.
    static let pollInterval = 0.25

    private let connector: PostgresStore.Connector
    private let health: StoreHealth?
    private let policy: PostgresStore.LinkPolicy
    private let onChanges: @Sendable ([RecordChange]) -> Void
    private let onReconnect: @Sendable () -> Void
    private let log: @Sendable (String) -> Void
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let receivedCount = Atomic<Int>(0)
    private let usageBits = Atomic<UInt64>(0)
    private let connectedFlag = Atomic<Bool>(false)

    /// Notifications received and decoded (`landing_store_notifications_received_total`).
    public var received: Int { receivedCount.load(ordering: .relaxed) }
    /// The last `pg_notification_queue_usage()` read: the fraction (0–1) of the server's
    /// notification queue in use; near 1, NOTIFY fails and writes with it.
    public var queueUsage: Double { Double(bitPattern: usageBits.load(ordering: .relaxed)) }
    /// Whether the listener is connected and listening now.
    public var isListening: Bool { connectedFlag.load(ordering: .acquiring) }

    init(
        connector: @escaping PostgresStore.Connector, health: StoreHealth? = nil,
        policy: PostgresStore.LinkPolicy = PostgresStore.LinkPolicy(),
        onChanges: @escaping @Sendable ([RecordChange]) -> Void, onReconnect: @escaping @Sendable () -> Void,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.connector = connector
        self.health = health
        self.policy = policy
        self.onChanges = onChanges
        self.onReconnect = onReconnect
        self.log = log
    }

    /// Listens on `location`, reconnecting to it after a loss.
    public convenience init(
        location: PostgresLocation, health: StoreHealth? = nil, policy: PostgresStore.LinkPolicy = PostgresStore.LinkPolicy(),
        onChanges: @escaping @Sendable ([RecordChange]) -> Void, onReconnect: @escaping @Sendable () -> Void,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.init(
            connector: { () throws(StoreError) in try PGConnection(location: location) }, health: health, policy: policy,
            onChanges: onChanges, onReconnect: onReconnect, log: log)
    }

    /// Starts the listener thread. Call once.
    public func start() {
        let thread = Thread { [self] in
            StoreWorker.nameCurrentThread("landing-listen")
            run()
            finished.signal()
        }
        thread.start()
    }

    /// Stops the thread (within about `pollInterval`) and waits for it. Call once, after `start`.
    public func stop() {
        stopping.store(true, ordering: .releasing)
        finished.wait()
    }

    // MARK: The listener thread

    private func run() {
        var backoff = ReconnectBackoff(policy: policy.backoff)
        var random = SystemRandomNumberGenerator()
        var connection: PGConnection?
        var reportedDown = false
        var lastUsage = -Double.infinity
        var lastError = ""

        func lose(_ error: StoreError) {
            connection = nil
            connectedFlag.store(false, ordering: .releasing)
            lastError = error.message
            _ = backoff.failed(now: policy.clock(), random: &random)
            if !reportedDown {
                reportedDown = true
                health?.connectionLost()
                log("store notification listener lost its connection: \(error.message)")
            }
        }

        while !stopping.load(ordering: .acquiring) {
            guard let db = connection else {
                let now = policy.clock()
                if let wait = backoff.remainingDelay(now: now), wait > 0 {
                    Thread.sleep(forTimeInterval: min(wait, Self.pollInterval))
                    continue
                }
                do throws(StoreError) {
                    let fresh = try connector()
                    try fresh.listen(PostgresStore.changeChannel)
                    connection = fresh
                    connectedFlag.store(true, ordering: .releasing)
                    let failures = backoff.consecutiveFailures
                    backoff.connected()
                    if reportedDown {
                        reportedDown = false
                        health?.connectionRestored()
                        log("store notification listener reconnected after \(failures) failed attempt\(failures == 1 ? "" : "s") (last error: \(lastError)); every waiting long-poll re-reads")
                    }
                    // why: LISTEN is in force now, so anything committed from here on is notified;
                    // whatever changed before (while the link was down) is caught by the re-read.
                    onReconnect()
                } catch {
                    lose(error)
                }
                continue
            }
            do throws(StoreError) {
                let notifications = try db.nextNotifications(timeout: Self.pollInterval)
                if !notifications.isEmpty {
                    let changes = notifications.compactMap { note in
                        note.channel == PostgresStore.changeChannel ? RecordChangeNotice.decode(note.payload) : nil
                    }
                    receivedCount.add(notifications.count, ordering: .relaxed)
                    if !changes.isEmpty { onChanges(changes) }
                }
                let now = policy.clock()
                if now - lastUsage >= Self.usageInterval {
                    lastUsage = now
                    let result = try db.execute("SELECT pg_notification_queue_usage()")
                    if let text = result.text(row: 0, column: 0), let usage = Double(text) {
                        usageBits.store(usage.bitPattern, ordering: .relaxed)
                    }
                }
            } catch {
                lose(error)
            }
        }
        connectedFlag.store(false, ordering: .releasing)
    }
}
