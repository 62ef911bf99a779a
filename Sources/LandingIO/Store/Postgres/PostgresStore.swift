import LandingCore
import Synchronization

/// `--store postgres:…`: the landing records in PostgreSQL (schema `PostgresSchema`), over one
/// connection at a time. Same semantics as `SQLiteStore` and `MemoryStore` (the shared conformance
/// tests run against all three): the rules are `StoreTransaction.apply`; this type only supplies row
/// access (`PostgresTransaction`), the isolation that `LandingStore`'s contract asks for, and a link
/// that survives the database going away.
///
/// Several instances (processes, hosts) may share one database: each `commit` is one READ
/// COMMITTED transaction that first takes a transaction-level advisory lock per record key it will
/// touch (`PostgresLockKeys`), in ascending order, then reads every record they name with one
/// `SELECT … FOR UPDATE` per table, applies the rules, writes the changed records with one multi-row
/// statement per table and kind (`PostgresTransaction`) and sends one `pg_notify` per changed record
/// on `changeChannel` (delivered by the server at COMMIT, so other instances hear only of durable
/// changes).
///
/// The link: a call that finds the connection dead (or loses it) fails with `.unavailable`, drops
/// the connection and reports the loss to `StoreHealth`; the next call — or `maintain`, run by the
/// idle store thread — connects again (and re-checks the schema) once `ReconnectBackoff` allows,
/// and reports the recovery. Until then calls fail at once with `.unavailable`, never blocking for
/// a connect timeout each. `maintain` also pings a connection idle for `pingInterval`, so a dead
/// link is noticed (and `/readyz` turns 503) without waiting for traffic.
///
/// One `PostgresStore` is one connection; `StoreWorker` gives each of its threads its own. Safe from
/// any thread (the link lives behind a `Mutex`). Blocking: never call it from an event loop.
public final class PostgresStore: LandingStore {
    /// The `LISTEN`/`NOTIFY` channel every commit announces its changes on.
    public static let changeChannel = "landing_changes"

    /// The first half of the advisory lock a purge step tries (`pg_try_advisory_xact_lock(key,
    /// hashtext(current_schema()))`): the ASCII bytes of "purg". Another instance holding it is
    /// purging this schema; this one skips its run.
    static let purgeLockKey: Int32 = 0x7075_7267

    /// Opens a new connection (with the right `search_path`) for this store.
    typealias Connector = @Sendable () throws(StoreError) -> PGConnection

    /// Tuning of the link.
    public struct LinkPolicy: Sendable {
        /// When to try again after a failed connect or a lost link.
        public var backoff = ReconnectBackoff.Policy()
        /// Seconds of idleness after which `maintain` checks the connection with `SELECT 1`.
        public var pingInterval = 10.0
        /// Monotonic seconds.
        public var clock: @Sendable () -> Double = monotonicNow

        public init() {}
    }

    /// The connection and what is known about reaching the database.
    struct Link: ~Copyable {
        var connection: PGConnection?
        var backoff: ReconnectBackoff
        var random = SystemRandomNumberGenerator()
        /// When the connection last completed a call (monotonic seconds).
        var lastUsed: Double
        /// A loss was reported to `health` and no recovery yet.
        var reportedDown = false
        /// Why the last connect failed or the link was lost (no secrets: `PGConnection` scrubs them).
        var lastError: String?
        /// When the loss was noticed (monotonic seconds), while `reportedDown`.
        var downSince = 0.0
    }

    private let link: Mutex<Link>
    private let connector: Connector?
    private let health: StoreHealth?
    private let policy: LinkPolicy
    private let log: @Sendable (String) -> Void

    /// Uses `connection` (whose `search_path` names the schema to use) and brings its schema up to
    /// date (`PostgresSchema.migrate`). Throws `.corrupt` for a newer schema than this build knows.
    /// With a `connector`, a lost link is re-established through it; without one it stays lost.
    init(
        connection: sending PGConnection, connector: Connector? = nil, health: StoreHealth? = nil,
        policy: LinkPolicy = LinkPolicy(), log: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(StoreError) {
        try PostgresSchema.migrate(connection)
        self.connector = connector
        self.health = health
        self.policy = policy
        self.log = log
        link = Mutex(Link(connection: connection, backoff: ReconnectBackoff(policy: policy.backoff), lastUsed: policy.clock()))
    }

    /// Connects through `connector` now (a failure throws: a store that cannot start says so) and
    /// keeps using it to reconnect.
    convenience init(
        connector: @escaping Connector, health: StoreHealth? = nil, policy: LinkPolicy = LinkPolicy(),
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(StoreError) {
        try self.init(connection: connector(), connector: connector, health: health, policy: policy, log: log)
    }

    /// Connects to `location` (reconnecting to it after a loss) and migrates its schema.
    public convenience init(
        location: PostgresLocation, health: StoreHealth? = nil, policy: LinkPolicy = LinkPolicy(),
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(StoreError) {
        try self.init(connector: { () throws(StoreError) in try PGConnection(location: location) }, health: health, policy: policy, log: log)
    }

    /// Whether the store holds a connection it believes usable (a dead peer reads as usable until
    /// a call or a ping notices).
    public var isConnected: Bool { link.withLock { $0.connection?.isConnected ?? false } }

    /// The server process behind the current connection (tests terminate it to cut the link).
    var backendPID: Int32? { link.withLock { $0.connection?.backendPID } }

    /// Statements sent on the current connection (tests count a commit's round trips with it).
    var statementCount: Int? { link.withLock { $0.connection?.statementCount } }

    /// Round trips taken on the current connection.
    var roundTripCount: Int? { link.withLock { $0.connection?.roundTripCount } }

    // MARK: The link

    /// Runs `body` on a usable connection: the current one, or a new one when the backoff allows.
    /// A failure that leaves the connection dead drops it (and reports the loss), then `body` runs
    /// once more at once on a new connection.
    // why: a connection that died while idle (a database restart, a failover, a pool connection
    // that was not the one to notice) fails on first use. Running `body` again is safe: every write
    // is an idempotent replay by the `LandingStore` contract (a commit whose outcome was lost
    // either happened — the replay only counts a hit — or did not), and reads change nothing.
    private func withConnection<T>(_ body: (PGConnection) throws(StoreError) -> T) throws(StoreError) -> T {
        try link.withLock { (state) throws(StoreError) -> T in
            var retried = false
            while true {
                let db = try usableConnection(&state, immediately: retried)
                do throws(StoreError) {
                    let value = try body(db)
                    state.lastUsed = policy.clock()
                    return value
                } catch {
                    guard !db.isConnected || error.kind == .unavailable && !Self.stillAlive(db) else { throw error }
                    lose(&state, error)
                    guard !retried, connector != nil else { throw error }
                    retried = true
                }
            }
        }
    }

    /// Whether a connection that just failed with `.unavailable` still answers (a statement
    /// timeout or a full disk leaves it alive; a network failure does not).
    private static func stillAlive(_ db: PGConnection) -> Bool {
        guard db.isConnected else { return false }
        return (try? db.ping()) != nil
    }

    /// The connection, or a new one when the backoff allows (`immediately`: at once, for the one
    /// retry after a loss noticed on use).
    private func usableConnection(_ state: inout Link, immediately: Bool = false) throws(StoreError) -> PGConnection {
        if let db = state.connection { return db }
        let now = policy.clock()
        guard let connector, immediately && !state.backoff.isStopped || state.backoff.mayAttempt(now: now) else {
            let wait = state.backoff.remainingDelay(now: now).map { " (next attempt in \(Self.seconds($0)))" } ?? ""
            throw StoreError(.unavailable, "the database is unreachable\(wait): \(state.lastError ?? "connection lost")")
        }
        do throws(StoreError) {
            let db = try connector()
            try PostgresSchema.migrate(db)
            state.connection = db
            state.lastUsed = now
            state.backoff.connected()
            if state.reportedDown {
                state.reportedDown = false
                health?.connectionRestored()
                log("store connection restored to \(db.target) after \(Self.seconds(policy.clock() - state.downSince)) down")
            }
            return db
        } catch {
            lose(&state, error)
            throw error
        }
    }

    /// Drops the connection after `error`, schedules the next attempt and reports a new loss once.
    private func lose(_ state: inout Link, _ error: StoreError) {
        state.connection = nil
        state.lastError = error.message
        let decision = state.backoff.failed(now: policy.clock(), random: &state.random)
        if !state.reportedDown {
            state.reportedDown = true
            state.downSince = policy.clock()
            health?.connectionLost()
            let next = if case .retry(_, let delay) = decision { "; reconnecting in \(Self.seconds(delay))" } else { "" }
            log("store connection lost: \(error.message)\(next)")
        }
    }

    private static func seconds(_ value: Double) -> String {
        "\(Double(Int((value * 1000).rounded())) / 1000) s"
    }

    /// Idle housekeeping: reconnects when the link is down and the backoff allows; pings a
    /// connection idle for `pingInterval`.
    public func maintain(now: Double) {
        link.withLock { state in
            guard let db = state.connection else {
                // Reconnects when the backoff allows (checked against `policy.clock`, like every call).
                _ = try? usableConnection(&state)
                return
            }
            guard now - state.lastUsed >= policy.pingInterval else { return }
            do throws(StoreError) {
                try db.ping()
                state.lastUsed = now
            } catch {
                lose(&state, error)
            }
        }
    }

    /// Shutdown: no reconnect after this; the current connection is closed.
    public func close() {
        link.withLock { state in
            state.backoff.stop()
            state.connection = nil
        }
    }

    // MARK: LandingStore

    /// Applies every write in one READ COMMITTED transaction; a failure rolls them all back.
    ///
    /// Before the first read, the transaction takes `pg_advisory_xact_lock` on a 64-bit hash of
    /// every key the writes name (items, sessions and webhook event ids), sorted ascending and
    /// deduplicated (`PostgresLockKeys`). Before COMMIT it queues one notification per changed
    /// record (`RecordChangeNotice`) on `changeChannel`.
    // why: `SELECT … FOR UPDATE` cannot lock a row that does not exist yet, and READ COMMITTED
    // lets two first callbacks for one new item both read "absent" and both win. An advisory lock
    // on the key serializes every writer of that key, present or not, across instances sharing the
    // database — the outcome `BEGIN IMMEDIATE` gives SQLite, per key instead of per file. Taking
    // them all up front in one global order (sorted hashes) means two commits never wait on each
    // other's locks in a cycle; the `xact` form is released by COMMIT/ROLLBACK and by the server
    // when the connection dies, so a crash never leaves one held. Serializable isolation would
    // give the same safety but turns every such race into a retried `.conflict`.
    public func commit(_ writes: [StoreWrite]) throws(StoreError) -> StoreCommit {
        if writes.isEmpty { return StoreCommit(results: [], changes: []) }
        if writes.allSatisfy(Self.isIgnoredWebhook) {
            return StoreCommit(results: Array(repeating: .webhook(.ignored), count: writes.count), changes: [])
        }
        let locks = PostgresLockKeys(writes)
        return try withConnection { (db) throws(StoreError) -> StoreCommit in
            var transaction = PostgresTransaction(db: db)
            do throws(StoreError) {
                // why: two round trips, not one per statement (`PGConnection.pipeline`): BEGIN, the
                // locks and the reads, which need nothing from each other's answers (each still runs
                // after the one before, so the reads see every commit the locks waited for); then the
                // writes, the notifications and COMMIT.
                let reads = PostgresTransaction.prefetchStatements(locks)
                let opened = try db.pipeline(
                    [PGStatement(PGIsolationLevel.readCommitted.beginStatement)] + locks.statements + reads)
                try transaction.prefetched(locks, results: opened.suffix(reads.count))
                let commit = try transaction.apply(writes)
                var closing = try transaction.flushStatements()
                if !commit.changes.isEmpty {
                    // why: NOTIFY inside the transaction is delivered at COMMIT and dropped on
                    // ROLLBACK, so listeners only ever hear of durable changes; one statement sends
                    // them all (PostgreSQL folds identical payloads of one transaction into one).
                    let payloads = commit.changes.map(RecordChangeNotice.encode)
                    closing.append(PGStatement(Self.notifySQL, [Self.changeChannel, Self.textArray(payloads)]))
                }
                closing.append(PGStatement("COMMIT"))
                let closed = try db.pipeline(closing)
                // why: COMMIT of a transaction in which a statement failed answers ROLLBACK.
                guard closed.last?.commandStatus == "COMMIT" else {
                    throw StoreError(.corrupt, "COMMIT on \(db.target) rolled back: a statement in the transaction had failed")
                }
                return commit
            } catch {
                db.rollback()
                throw error
            }
        }
    }

    /// Sends every element of the text array `$2` as a notification on channel `$1`.
    static let notifySQL = "SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload"

    /// `values` as a PostgreSQL array literal (`{"a","b"}`), each element quoted, `"` and `\` escaped.
    static func textArray(_ values: [String]) -> String {
        var array = PostgresArrayLiteral()
        for value in values { array.append(text: value) }
        return array.text
    }

    private static func isIgnoredWebhook(_ write: StoreWrite) -> Bool {
        if case .webhook(let event) = write { return WebhookRules.effect(of: event) == nil }
        return false
    }

    public func session(id: String) throws(StoreError) -> LandingRecord? {
        try withConnection { (db) throws(StoreError) -> LandingRecord? in
            try PostgresTable.sessions.select(id, on: db, forUpdate: false)
        }
    }

    public func item(id: String) throws(StoreError) -> LandingRecord? {
        try withConnection { (db) throws(StoreError) -> LandingRecord? in
            try PostgresTable.items.select(id, on: db, forUpdate: false)
        }
    }

    public func purge(updatedBefore cutoff: Int64) throws(StoreError) -> Int {
        let cutoff = String(cutoff)
        return try withConnection { (db) throws(StoreError) -> Int in
            try db.transaction(.readCommitted) { () throws(StoreError) -> Int in
                var removed = 0
                for table in [PostgresTable.items, PostgresTable.sessions] {
                    removed += try db.executeCached(table.purge, [cutoff]).affectedRows ?? 0
                }
                try db.executeCached(PostgresWebhookSQL.purge, [cutoff])
                return removed
            }
        }
    }

    /// Deletes at most `limit` rows in one short transaction, oldest first through the
    /// `updated_at`/`received_at` indices — unless another instance is purging (it holds
    /// `purgeLockKey`), in which case the run is skipped.
    // why: PostgreSQL has no `DELETE … LIMIT`; a key subquery with ORDER BY/LIMIT does the same.
    // Rows a commit holds `FOR UPDATE` are waited for, not skipped, so a step that deletes fewer
    // than `limit` rows really leaves nothing older than the cutoff. The lock is per step (the
    // `xact` form, released at COMMIT and by a dead connection), so a crashed purger never blocks
    // the others; an instance that finds it taken ends its run at once.
    public func purge(updatedBefore cutoff: Int64, limit: Int) throws(StoreError) -> PurgeBatch {
        let limit = max(1, limit)
        let cutoff = String(cutoff)
        return try withConnection { (db) throws(StoreError) -> PurgeBatch in
            try db.transaction(.readCommitted) { () throws(StoreError) -> PurgeBatch in
                // why: keyed by schema too, so deployments in two schemas of one database purge independently.
                let lock = try db.executeCached(
                    "SELECT pg_try_advisory_xact_lock($1::int4, hashtext(current_schema()))", [String(Self.purgeLockKey)])
                guard lock.text(row: 0, column: 0) == "t" else {
                    return PurgeBatch(records: 0, rows: 0, isComplete: true, skippedForAnotherInstance: true)
                }
                var rows = 0
                for table in [PostgresTable.items, PostgresTable.sessions] where rows < limit {
                    rows += try db.executeCached(table.purgeBatch, [cutoff, String(limit - rows)]).affectedRows ?? 0
                }
                let records = rows
                if rows < limit {
                    rows += try db.executeCached(PostgresWebhookSQL.purgeBatch, [cutoff, String(limit - rows)]).affectedRows ?? 0
                }
                return PurgeBatch(records: records, rows: rows, isComplete: rows < limit)
            }
        }
    }
}
