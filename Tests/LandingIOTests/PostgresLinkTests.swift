import Foundation
import LandingCore
import Synchronization
import Testing

@testable import LandingIO

/// A switch shared with closures on other threads.
final class TestFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isOn: Bool { value.load(ordering: .acquiring) }
    func set(_ on: Bool) { value.store(on, ordering: .releasing) }
}

/// A counter shared with closures on other threads.
final class TestCounter: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .acquiring) }
    /// Adds one and returns the new value.
    @discardableResult func increment() -> Int { count.add(1, ordering: .acquiringAndReleasing).newValue }
}

/// Server-side helpers for cutting links: terminate a backend from an admin connection and wait
/// until it is really gone, so the next use of its connection is sure to fail.
enum PGBackends {
    /// Terminates backend `pid` and waits (up to 5 s) until `pg_stat_activity` no longer lists it.
    static func terminate(pid: Int32) throws {
        let admin = try PGTestEnvironment.connect()
        let result = try admin.execute("SELECT pg_terminate_backend($1)", [String(pid)])
        #expect(result.text(row: 0, column: 0) == "t", "pg_terminate_backend(\(pid)) refused")
        try waitGone(admin, "pid = $1::int", [String(pid)])
    }

    /// Terminates every backend whose `application_name` is `name` and waits until none is left;
    /// returns how many it terminated.
    @discardableResult
    static func terminate(applicationName name: String) throws -> Int {
        let admin = try PGTestEnvironment.connect()
        let result = try admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()", [name])
        try waitGone(admin, "application_name = $1", [name])
        return result.rowCount
    }

    /// The pids of backends with `application_name` `name`.
    static func pids(applicationName name: String) throws -> [Int32] {
        let admin = try PGTestEnvironment.connect()
        let result = try admin.execute("SELECT pid FROM pg_stat_activity WHERE application_name = $1", [name])
        return (0..<result.rowCount).compactMap { result.text(row: $0, column: 0).flatMap { Int32($0) } }
    }

    private static func waitGone(_ admin: PGConnection, _ condition: String, _ parameters: [String?]) throws {
        let deadline = monotonicNow() + 5
        while monotonicNow() < deadline {
            let left = try admin.execute("SELECT count(*) FROM pg_stat_activity WHERE \(condition)", parameters)
            if left.text(row: 0, column: 0) == "0" { return }
            Thread.sleep(forTimeInterval: 0.005)
        }
        Issue.record("the terminated backend(s) are still listed after 5 s")
    }

    /// A connector to `schema` (its `search_path`) with `application_name` `name` (default: unique),
    /// failing with `.unavailable` while `refuse` is set, counting its calls in `calls`.
    static func connector(
        _ schema: PostgresTestSchema?, applicationName name: String = PGTestEnvironment.uniqueName("landing_test_app"),
        refuse: TestFlag? = nil, calls: TestCounter? = nil, setup: String? = nil
    ) throws -> PostgresStore.Connector {
        // why: the test URL sets its own application_name, which would win over the options' one.
        let parameters = try PGTestEnvironment.location().connectionParameters.filter { $0.keyword != "application_name" }
            + [(keyword: "application_name", value: name)]
        let schemaName = schema?.name
        return { () throws(StoreError) -> PGConnection in
            calls?.increment()
            if refuse?.isOn == true {
                throw StoreError(.unavailable, "connecting to the test server failed: connection refused (test)")
            }
            let connection = try PGConnection(parameters: parameters)
            if let schemaName { try connection.execute("SELECT set_config('search_path', $1, false)", [schemaName]) }
            if let setup { try connection.executeScript(setup) }
            return connection
        }
    }
}

/// A settable monotonic clock for `LinkPolicy.clock`.
private final class LinkClock: Sendable {
    private let now = Mutex<Double>(1_000)
    func read() -> Double { now.withLock { $0 } }
    func advance(_ seconds: Double) { now.withLock { $0 += seconds } }
}

/// Log lines, collected.
private final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    var sink: @Sendable (String) -> Void { { line in self.lines.withLock { $0.append(line) } } }
}

private func callback(_ itemId: String, sessionId: String? = nil, at time: Int64 = 1_000) -> CallbackEvent {
    CallbackEvent(itemId: itemId, sessionId: sessionId, error: nil, receivedAt: time)
}

/// The `StoreError` `body` throws, or nil (and a recorded issue) when it throws none.
private func storeError<T>(_ body: () throws(StoreError) -> T) -> StoreError? {
    do throws(StoreError) {
        let value = try body()
        Issue.record("expected a StoreError, got \(value)")
        return nil
    } catch {
        return error
    }
}

/// Notifications on `PostgresStore.changeChannel` whose payload mentions `marker`, read from
/// `listener` until `count` have arrived (or `timeout` passes).
private func notifications(on listener: PGConnection, mentioning marker: String, count: Int, timeout: Double = 5) throws -> [PGNotification] {
    var found: [PGNotification] = []
    let deadline = monotonicNow() + timeout
    while found.count < count, monotonicNow() < deadline {
        let batch = try listener.nextNotifications(timeout: 0.05)
        found += batch.filter { $0.channel == PostgresStore.changeChannel && $0.payload.contains(marker) }
    }
    return found
}

@Suite("PostgresStore link", .enabled(if: PGTestEnvironment.shouldRun, PGTestEnvironment.skipReason))
struct PostgresLinkTests {
    /// A read on a connection whose backend was terminated succeeds through one immediate replay on a new connection; health records one loss and one restore.
    @Test func read_SucceedsAfterBackendTerminated_ByReplay() throws {
        let schema = try PostgresTestSchema()
        defer { schema.remove() }
        let health = StoreHealth()
        let log = LogLines()
        let store = try PostgresStore(connector: PGBackends.connector(schema), health: health, log: log.sink)
        _ = try store.recordCallback(callback("link-read"))
        let pid = try #require(store.backendPID)
        try PGBackends.terminate(pid: pid)
        #expect(try store.item(id: "link-read")?.hits == 1)
        #expect(health.losses == 1)
        #expect(health.reconnects == 1)
        #expect(health.isAvailable)
        #expect(store.isConnected)
        #expect(store.backendPID != nil && store.backendPID != pid)
        #expect(log.all.count == 2, "\(log.all)")
        #expect(log.all.first?.hasPrefix("store connection lost") == true)
        #expect(log.all.last?.hasPrefix("store connection restored") == true)
    }

    /// A commit on a terminated connection is replayed once on a new connection and applied exactly once.
    @Test func commit_SucceedsAfterBackendTerminated_AppliedOnce() throws {
        let schema = try PostgresTestSchema()
        defer { schema.remove() }
        let health = StoreHealth()
        let store = try PostgresStore(connector: PGBackends.connector(schema), health: health)
        _ = try store.item(id: "warm-up")
        try PGBackends.terminate(pid: try #require(store.backendPID))
        let result = try store.recordCallback(callback("link-commit"))
        guard case .recorded(let record, let first) = result else {
            Issue.record("unexpected \(result)")
            return
        }
        #expect(first)
        #expect(record.hits == 1 && record.version == 1)
        #expect(try schema.store().item(id: "link-commit")?.hits == 1)
        #expect(health.losses == 1 && health.reconnects == 1 && health.isAvailable)
    }

    /// A failure that leaves the connection alive (a lock timeout, `.unavailable`; a duplicate session, `.conflict`) is not a loss: no reconnect, no health report.
    @Test func failureOnLiveConnection_IsNotALoss() throws {
        let schema = try PostgresTestSchema()
        defer { schema.remove() }
        let health = StoreHealth()
        let calls = TestCounter()
        let store = try PostgresStore(
            connector: PGBackends.connector(schema, calls: calls, setup: "SET lock_timeout = '100ms'"), health: health)
        let pid = try #require(store.backendPID)
        let session = NewSession(id: "dup", clientUserId: nil, returnURL: nil, createdAt: 1_000, expiresAt: 9_000_000_000_000)
        _ = try store.createSession(session)
        #expect(storeError { () throws(StoreError) in try store.createSession(session) }?.kind == .conflict)

        let locker = try schema.connect()
        try locker.execute("BEGIN")
        try locker.execute("LOCK TABLE items IN ACCESS EXCLUSIVE MODE")
        let timedOut = storeError { () throws(StoreError) in try store.item(id: "x") }
        try locker.execute("ROLLBACK")
        #expect(timedOut?.kind == .unavailable)
        #expect(timedOut?.message.contains("55P03") == true, "\(timedOut?.message ?? "")")

        #expect(try store.item(id: "x") == nil)
        #expect(store.backendPID == pid)
        #expect(calls.value == 1)
        #expect(health.losses == 0 && health.isAvailable)
    }

    /// Without a connector, a lost connection stays lost: the call fails with `.unavailable` and so do later ones, without reconnecting.
    @Test func store_WithoutConnector_StaysDown() throws {
        let schema = try PostgresTestSchema()
        defer { schema.remove() }
        let health = StoreHealth()
        let store = try PostgresStore(connection: schema.connect(), health: health)
        try PGBackends.terminate(pid: try #require(store.backendPID))
        #expect(storeError { () throws(StoreError) in try store.item(id: "x") }?.kind == .unavailable)
        let again = storeError { () throws(StoreError) in try store.item(id: "x") }
        #expect(again?.kind == .unavailable)
        #expect(again?.message.contains("unreachable") == true, "\(again?.message ?? "")")
        store.maintain(now: monotonicNow() + 3_600)
        #expect(!store.isConnected)
        #expect(health.losses == 1 && health.reconnects == 0 && !health.isAvailable)
    }

    /// While the database cannot be reached, calls fail fast with `.unavailable` ("unreachable") without trying to connect; `maintain` past the backoff restores the link once it can.
    @Test func store_FailsFastWhileUnreachable_ThenMaintainRestores() throws {
        let schema = try PostgresTestSchema()
        defer { schema.remove() }
        let health = StoreHealth()
        let clock = LinkClock()
        var policy = PostgresStore.LinkPolicy()
        policy.clock = { clock.read() }
        let refuse = TestFlag()
        let calls = TestCounter()
        let log = LogLines()
        let store = try PostgresStore(
            connector: PGBackends.connector(schema, refuse: refuse, calls: calls), health: health, policy: policy, log: log.sink)
        #expect(calls.value == 1)
        refuse.set(true)
        try PGBackends.terminate(pid: try #require(store.backendPID))

        // The call that notices the loss tries once more at once (the replay), and fails with the connector's error.
        let first = storeError { () throws(StoreError) in try store.item(id: "x") }
        #expect(first?.kind == .unavailable)
        #expect(calls.value == 2)
        #expect(!health.isAvailable)
        #expect(health.losses == 1)
        #expect(!store.isConnected)
        #expect(store.backendPID == nil)

        // Within the backoff: fail at once, no connect attempt.
        for _ in 0..<3 {
            let fast = storeError { () throws(StoreError) in try store.recordCallback(callback("y")) }
            #expect(fast?.kind == .unavailable)
            #expect(fast?.message.contains("unreachable") == true, "\(fast?.message ?? "")")
            #expect(fast?.message.contains("connection refused (test)") == true, "\(fast?.message ?? "")")
        }
        #expect(calls.value == 2)
        store.maintain(now: clock.read())
        #expect(calls.value == 2)

        // Past the backoff but still refused: maintain tries once, stays down, counts no second loss.
        clock.advance(60)
        store.maintain(now: clock.read())
        #expect(calls.value == 3)
        #expect(!health.isAvailable && health.losses == 1 && health.reconnects == 0)

        // The database is back: maintain past the backoff reconnects.
        refuse.set(false)
        clock.advance(60)
        store.maintain(now: clock.read())
        #expect(calls.value == 4)
        #expect(store.isConnected)
        #expect(health.isAvailable)
        #expect(health.losses == 1 && health.reconnects == 1)
        #expect(try store.item(id: "x") == nil)
        #expect(log.all.last?.hasPrefix("store connection restored") == true, "\(log.all)")
    }

    /// A call past the backoff reconnects on its own (without `maintain`) once the database is back.
    @Test func store_CallPastBackoff_Reconnects() throws {
        let schema = try PostgresTestSchema()
        defer { schema.remove() }
        let health = StoreHealth()
        let clock = LinkClock()
        var policy = PostgresStore.LinkPolicy()
        policy.clock = { clock.read() }
        let refuse = TestFlag()
        let store = try PostgresStore(connector: PGBackends.connector(schema, refuse: refuse), health: health, policy: policy)
        refuse.set(true)
        try PGBackends.terminate(pid: try #require(store.backendPID))
        #expect(storeError { () throws(StoreError) in try store.item(id: "x") }?.kind == .unavailable)
        refuse.set(false)
        clock.advance(1)  // the first delays are at most 0.2 s
        _ = try store.recordCallback(callback("after"))
        #expect(try store.item(id: "after")?.hits == 1)
        #expect(health.isAvailable && health.reconnects == 1)
    }

    /// `maintain` pings a connection idle for `pingInterval`: a terminated backend is noticed (and reported) without any traffic.
    @Test func maintain_PingsIdleConnection_AndNoticesLoss() throws {
        let schema = try PostgresTestSchema()
        defer { schema.remove() }
        let health = StoreHealth()
        let clock = LinkClock()
        var policy = PostgresStore.LinkPolicy()
        policy.clock = { clock.read() }
        policy.pingInterval = 10
        let refuse = TestFlag()
        let store = try PostgresStore(connector: PGBackends.connector(schema, refuse: refuse), health: health, policy: policy)
        refuse.set(true)
        try PGBackends.terminate(pid: try #require(store.backendPID))
        store.maintain(now: clock.read() + 5)  // not idle long enough: no ping
        #expect(health.isAvailable)
        #expect(store.isConnected)
        clock.advance(10)
        store.maintain(now: clock.read())
        #expect(!health.isAvailable)
        #expect(health.losses == 1)
        #expect(!store.isConnected)
        refuse.set(false)
        clock.advance(60)
        store.maintain(now: clock.read())
        #expect(health.isAvailable && health.reconnects == 1)
        #expect(store.isConnected)
    }

    /// After `close()` the store never reconnects: calls fail with `.unavailable` and `maintain` does nothing.
    @Test func close_StopsReconnecting() throws {
        let schema = try PostgresTestSchema()
        defer { schema.remove() }
        let calls = TestCounter()
        let store = try PostgresStore(connector: PGBackends.connector(schema, calls: calls))
        #expect(store.isConnected)
        store.close()
        #expect(!store.isConnected)
        #expect(store.backendPID == nil)
        let error = storeError { () throws(StoreError) in try store.item(id: "x") }
        #expect(error?.kind == .unavailable)
        store.maintain(now: monotonicNow() + 3_600)
        #expect(!store.isConnected)
        #expect(calls.value == 1)
    }

    /// A commit sends one notification per changed record on the change channel, `item:ID:VERSION` / `session:ID:VERSION`, from the store's backend.
    @Test func commit_NotifiesEachChangedRecord() throws {
        let schema = try PostgresTestSchema()
        defer { schema.remove() }
        let store = try PostgresStore(connector: PGBackends.connector(schema))
        let listener = try PGTestEnvironment.connect()
        try listener.listen(PostgresStore.changeChannel)
        let marker = PGTestEnvironment.uniqueName("notify")
        let item = "\(marker)-item"
        let session = "\(marker)-session"
        _ = try store.createSession(NewSession(id: session, clientUserId: nil, returnURL: nil, createdAt: 1_000, expiresAt: 9_000_000_000_000))
        _ = try store.recordCallback(callback(item))
        _ = try store.recordCallback(callback(item, sessionId: session, at: 2_000))
        let got = try notifications(on: listener, mentioning: marker, count: 4)
        #expect(got.count == 4)
        #expect(Set(got.map(\.payload)) == ["session:\(session):1", "item:\(item):1", "item:\(item):2", "session:\(session):2"])
        #expect(got.allSatisfy { $0.senderPID == store.backendPID })
        #expect(got.allSatisfy { RecordChangeNotice.decode($0.payload) != nil })
    }

    /// A commit that changes nothing (an ignored webhook, a callback for an unknown session) sends no notification.
    @Test func commit_WithoutChanges_NotifiesNothing() throws {
        let schema = try PostgresTestSchema()
        defer { schema.remove() }
        let store = try PostgresStore(connector: PGBackends.connector(schema))
        let listener = try PGTestEnvironment.connect()
        try listener.listen(PostgresStore.changeChannel)
        let marker = PGTestEnvironment.uniqueName("quiet")
        #expect(try store.applyWebhook(WebhookEvent(event: "connector/status_updated", eventId: "\(marker)-ev", itemId: "\(marker)-i", receivedAt: 1_000)) == .ignored)
        #expect(try store.recordCallback(callback("\(marker)-i", sessionId: "\(marker)-nope")) == .unknownSession)
        _ = try store.recordCallback(callback("\(marker)-end"))
        let got = try notifications(on: listener, mentioning: marker, count: 1)
        #expect(got.map(\.payload) == ["item:\(marker)-end:1"])
    }

    /// Record ids with quotes, backslashes, commas, braces and spaces reach listeners intact (the text-array literal is escaped).
    @Test func commit_NotifiesIdsNeedingEscaping_Intact() throws {
        let schema = try PostgresTestSchema()
        defer { schema.remove() }
        let store = try PostgresStore(connector: PGBackends.connector(schema))
        let listener = try PGTestEnvironment.connect()
        try listener.listen(PostgresStore.changeChannel)
        let marker = PGTestEnvironment.uniqueName("esc")
        let ids = ["\(marker)\"q", "\(marker)\\b", "\(marker),c", "\(marker){d}", "\(marker) e", "\(marker)NULL", "\(marker)'f", "\(marker)ü:g"]
        _ = try store.recordCallbacks(ids.map { callback($0) })
        let got = try notifications(on: listener, mentioning: marker, count: ids.count)
        #expect(Set(got.map(\.payload)) == Set(ids.map { "item:\($0):1" }))
        #expect(Set(got.compactMap { RecordChangeNotice.decode($0.payload) }) == Set(ids.map { RecordChange(key: .item($0), version: 1) }))
    }

    /// `textArray` quotes every element and escapes `"` and `\`, and PostgreSQL reads the literal back as the same strings.
    @Test func textArray_RoundTripsThroughPostgres() throws {
        #expect(PostgresStore.textArray([]) == "{}")
        #expect(PostgresStore.textArray(["a"]) == "{\"a\"}")
        #expect(PostgresStore.textArray(["a\"b", "c\\d", ""]) == "{\"a\\\"b\",\"c\\\\d\",\"\"}")
        let values = ["plain", "", "NULL", "null", "with space", " lead", "trail ", "a,b", "{x}", "q\"uote", "back\\slash", "\\\"", "ü✓", "x:y:1", "'", "tab\there"]
        let db = try PGTestEnvironment.connect()
        let result = try db.execute("SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n", [PostgresStore.textArray(values)])
        #expect((0..<result.rowCount).map { result.text(row: $0, column: 0) } == values.map { Optional($0) })
    }

    /// A purge step returns `skippedForAnotherInstance` (deleting nothing) while another session holds this schema's purge lock, and purges once it is free.
    @Test func purge_SkipsWhileAnotherSessionHoldsPurgeLock() throws {
        let schema = try PostgresTestSchema()
        defer { schema.remove() }
        let store = try schema.store()
        _ = try store.recordCallback(callback("old", at: 1_000))
        // The lock is per schema: taken on a connection whose current schema is the test's.
        let other = try schema.connect()
        let lock = "SELECT pg_advisory_lock($1::int4, hashtext(current_schema()))"
        try other.execute(lock, [String(PostgresStore.purgeLockKey)])
        let skipped = Result { () throws(StoreError) in try store.purge(updatedBefore: 5_000, limit: 10) }
        try other.execute(lock.replacingOccurrences(of: "pg_advisory_lock", with: "pg_advisory_unlock"), [String(PostgresStore.purgeLockKey)])
        #expect(try skipped.get() == PurgeBatch(records: 0, rows: 0, isComplete: true, skippedForAnotherInstance: true))
        #expect(try store.item(id: "old") != nil)
        #expect(try store.purge(updatedBefore: 5_000, limit: 10) == PurgeBatch(records: 1, rows: 1, isComplete: true))
        #expect(try store.item(id: "old") == nil)
    }

    /// The purge lock's first key is the ASCII of "purg".
    @Test func purgeLockKey_IsPurg() {
        let bytes = withUnsafeBytes(of: PostgresStore.purgeLockKey.bigEndian) { Array($0) }
        #expect(String(decoding: bytes, as: UTF8.self) == "purg")
    }
}
