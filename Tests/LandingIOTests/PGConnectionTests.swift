import Foundation
import LandingCore
import Testing

@testable import LandingIO

/// The `StoreError` `body` throws, or nil (and a recorded issue) when it does not throw one.
private func storeError(_ body: () throws -> Void) -> StoreError? {
    do {
        try body()
        Issue.record("expected a StoreError, nothing was thrown")
        return nil
    } catch let error as StoreError {
        return error
    } catch {
        Issue.record("expected a StoreError, got \(error)")
        return nil
    }
}

@Suite(.enabled(if: PGTestEnvironment.shouldRun, PGTestEnvironment.skipReason))
struct PGConnectionTests {
    /// The test URL (password authentication over TCP, a password that needs percent-encoding)
    /// connects both as libpq URI text and as a parsed `PostgresLocation`, and answers a ping.
    @Test func connect_PasswordURL_ConnectsAndPings() throws {
        let fromText = try PGTestEnvironment.connect()
        try fromText.ping()
        #expect(fromText.isConnected)
        #expect(fromText.serverVersion >= 100_000)
        let fromLocation = try PGConnection(location: PGTestEnvironment.location())
        try fromLocation.ping()
        let user = try fromLocation.execute("SELECT current_user, current_database()")
        #expect(user.text(row: 0, column: 0) == "landing_test")
        #expect(user.text(row: 0, column: 1) == "landing_test")
        #expect(!fromLocation.target.contains(try PGTestEnvironment.password()))
    }

    /// The URL's application_name wins over the default; without one, the default is applied.
    @Test func connect_Options_AddedOnlyWhenNotGiven() throws {
        let given = try PGTestEnvironment.connect()
        #expect(try given.execute("SHOW application_name").text(row: 0, column: 0) == "landing-tests")
        let parameters = try PGTestEnvironment.location().connectionParameters.filter { $0.keyword != "application_name" }
        let defaulted = try PGConnection(parameters: parameters)
        #expect(try defaulted.execute("SHOW application_name").text(row: 0, column: 0) == "oauth-landing")
        #expect(try defaulted.execute("SHOW client_encoding").text(row: 0, column: 0) == "UTF8")
    }

    /// Text parameters round-trip: Int64 extremes, NULL, UTF-8 (accents, emoji), quotes that
    /// would break a spliced statement; affected-row counts and typed accessors are right.
    @Test func execute_ParameterizedInsertSelect_RoundTrips() throws {
        let connection = try PGTestEnvironment.connect()
        try connection.execute("CREATE TEMP TABLE round_trip (id BIGINT PRIMARY KEY, name TEXT, note TEXT, flag BOOLEAN)")
        let rows: [(Int64, String?, String?, String?)] = [
            (Int64.max, "café ünïcode 🚀 日本", nil, "true"),
            (Int64.min, "'; DROP TABLE round_trip; --", "", nil),
            (0, nil, "line\nbreak\ttab", "false"),
        ]
        for (id, name, note, flag) in rows {
            let insert = try connection.execute(
                "INSERT INTO round_trip (id, name, note, flag) VALUES ($1, $2, $3, $4)", [String(id), name, note, flag])
            #expect(insert.affectedRows == 1)
        }
        let result = try connection.execute("SELECT id, name, note, flag FROM round_trip ORDER BY id")
        #expect(result.rowCount == 3)
        #expect(result.columnCount == 4)
        #expect(result.columnIndex("note") == 2)
        #expect(result.columnIndex("missing") == nil)
        #expect(try result.int64(row: 0, column: 0) == Int64.min)
        #expect(result.text(row: 0, column: 1) == "'; DROP TABLE round_trip; --")
        #expect(result.text(row: 0, column: 2) == "")
        #expect(!result.isNull(row: 0, column: 2))
        #expect(result.isNull(row: 0, column: 3))
        #expect(try result.bool(row: 0, column: 3) == nil)
        #expect(result.isNull(row: 1, column: 1))
        #expect(result.text(row: 1, column: 1) == nil)
        #expect(result.text(row: 1, column: 2) == "line\nbreak\ttab")
        #expect(try result.bool(row: 1, column: 3) == false)
        #expect(try result.int64(row: 2, column: 0) == Int64.max)
        #expect(result.text(row: 2, column: 1) == "café ünïcode 🚀 日本")
        #expect(try result.bool(row: 2, column: 3) == true)
        #expect(result.isNull(row: 2, column: 2))
        #expect(try result.int64(row: 2, column: 2) == nil)
        let notNumber = storeError { _ = try result.int64(row: 2, column: 1) }
        #expect(notNumber?.kind == .corrupt)
        let updated = try connection.execute("UPDATE round_trip SET note = $1 WHERE id <> $2", ["x", "0"])
        #expect(updated.affectedRows == 2)
    }

    /// A statement prepared once runs many times with different parameters; `executeCached`
    /// prepares each SQL text once per session.
    @Test func prepared_Statement_IsReused() throws {
        let connection = try PGTestEnvironment.connect()
        try connection.execute("CREATE TEMP TABLE prepared_items (id BIGINT PRIMARY KEY, hits BIGINT NOT NULL)")
        try connection.prepare(
            name: "bump",
            sql: """
                INSERT INTO prepared_items (id, hits) VALUES ($1, 1)
                ON CONFLICT (id) DO UPDATE SET hits = prepared_items.hits + 1 RETURNING hits
                """)
        var hits: [Int64?] = []
        for id in ["1", "1", "2", "1"] {
            hits.append(try connection.executePrepared(name: "bump", [id]).int64(row: 0, column: 0))
        }
        #expect(hits == [1, 2, 1, 3])

        let select = "SELECT hits FROM prepared_items WHERE id = $1"
        #expect(try connection.executeCached(select, ["1"]).int64(row: 0, column: 0) == 3)
        #expect(try connection.executeCached(select, ["2"]).int64(row: 0, column: 0) == 1)
        #expect(connection.cachedStatementCount == 1)
        let unknown = storeError { try connection.executePrepared(name: "never_prepared") }
        #expect(unknown?.kind == .corrupt)
        #expect(unknown?.message.contains("26000") == true)
    }

    /// A transaction whose body throws is rolled back (nothing written, no transaction left
    /// open); one that returns is committed; a failed statement inside rolls the whole one back.
    @Test func transaction_BodyThrows_IsRolledBack() throws {
        let connection = try PGTestEnvironment.connect()
        try connection.execute("CREATE TEMP TABLE tx_items (id BIGINT PRIMARY KEY)")
        let thrown = storeError {
            try connection.transaction { () throws(StoreError) in
                try connection.execute("INSERT INTO tx_items (id) VALUES ($1)", ["1"])
                throw StoreError(.conflict, "the body gave up")
            }
        }
        #expect(thrown == StoreError(.conflict, "the body gave up"))
        #expect(!connection.isInTransaction)
        #expect(try connection.execute("SELECT count(*) FROM tx_items").int64(row: 0, column: 0) == 0)

        let failed = storeError {
            try connection.transaction(.serializable) { () throws(StoreError) in
                try connection.execute("INSERT INTO tx_items (id) VALUES ($1)", ["2"])
                try connection.execute("INSERT INTO tx_items (id) VALUES ($1)", ["2"])
            }
        }
        #expect(failed?.kind == .conflict)
        #expect(!connection.isInTransaction)
        #expect(try connection.execute("SELECT count(*) FROM tx_items").int64(row: 0, column: 0) == 0)

        let value = try connection.transaction { () throws(StoreError) in
            try connection.execute("INSERT INTO tx_items (id) VALUES ($1)", ["3"])
            return 7
        }
        #expect(value == 7)
        #expect(try connection.execute("SELECT count(*) FROM tx_items").int64(row: 0, column: 0) == 1)
    }

    /// A body that swallows a failed statement cannot commit: COMMIT answers ROLLBACK, and the
    /// transaction reports it rather than claiming success.
    @Test func transaction_SwallowedFailure_DoesNotClaimCommit() throws {
        let connection = try PGTestEnvironment.connect()
        try connection.execute("CREATE TEMP TABLE swallowed (id BIGINT PRIMARY KEY)")
        let error = storeError {
            try connection.transaction { () throws(StoreError) in
                try connection.execute("INSERT INTO swallowed (id) VALUES (1)")
                _ = try? connection.execute("SELECT 1/0")
            }
        }
        #expect(error?.kind == .corrupt)
        #expect(error?.message.contains("rolled back") == true)
        #expect(try connection.execute("SELECT count(*) FROM swallowed").int64(row: 0, column: 0) == 0)
    }

    /// SQLSTATEs map to kinds: a unique violation is `.conflict` (23505), a syntax error or a
    /// division by zero `.corrupt`, and the connection stays usable after each.
    @Test func errors_SQLState_MapsToKind() throws {
        let connection = try PGTestEnvironment.connect()
        try connection.execute("CREATE TEMP TABLE unique_items (id TEXT PRIMARY KEY)")
        try connection.execute("INSERT INTO unique_items (id) VALUES ($1)", ["a"])
        let duplicate = storeError { try connection.execute("INSERT INTO unique_items (id) VALUES ($1)", ["a"]) }
        #expect(duplicate?.kind == .conflict)
        #expect(duplicate?.message.contains("SQLSTATE 23505") == true)
        #expect(duplicate?.message.contains("INSERT INTO unique_items") == true)

        let syntax = storeError { try connection.execute("SELEC 1") }
        #expect(syntax?.kind == .corrupt)
        #expect(syntax?.message.contains("42601") == true)
        let division = storeError { try connection.execute("SELECT 1 / $1::int", ["0"]) }
        #expect(division?.kind == .corrupt)
        #expect(division?.message.contains("22012") == true)
        try connection.ping()
    }

    /// A connection whose backend is terminated from another connection fails its next call with
    /// `.unavailable` and reads as disconnected; `reset` reconnects it (new backend) and cached
    /// statements are prepared again on the new session.
    @Test func terminate_Backend_NextCallUnavailable_ThenResetWorks() throws {
        let victim = try PGTestEnvironment.connect()
        let killer = try PGTestEnvironment.connect()
        let select = "SELECT $1::bigint + 1"
        #expect(try victim.executeCached(select, ["1"]).int64(row: 0, column: 0) == 2)
        let oldPID = victim.backendPID

        // why: the second argument makes pg_terminate_backend wait (up to 5 s) until the backend is gone.
        let terminated = try killer.execute("SELECT pg_terminate_backend($1::int, 5000)", [String(oldPID)])
        #expect(try terminated.bool(row: 0, column: 0) == true)

        let lost = storeError { try victim.ping() }
        #expect(lost?.kind == .unavailable)
        #expect(!victim.isConnected)
        #expect(lost?.message.contains(try PGTestEnvironment.password()) == false)

        try victim.reset()
        #expect(victim.isConnected)
        #expect(victim.backendPID != oldPID)
        try victim.ping()
        #expect(try victim.executeCached(select, ["41"]).int64(row: 0, column: 0) == 42)
    }

    /// A `pg_notify` from another connection reaches a listener with its channel, payload and
    /// sender, through the raw primitives (poll the socket, PQconsumeInput, drain PQnotifies).
    @Test func listen_NotifyFromOtherConnection_IsDelivered() throws {
        let listener = try PGTestEnvironment.connect()
        let sender = try PGTestEnvironment.connect()
        let channel = PGTestEnvironment.uniqueName("landing_wake")
        try listener.listen(channel)
        #expect(listener.socketDescriptor >= 0)
        #expect(listener.drainNotifications().isEmpty)

        try sender.notify(channel, payload: "item:abc-123:7")
        let deadline = Date().addingTimeInterval(5)
        var received: [PGNotification] = []
        while received.isEmpty, Date() < deadline {
            guard try listener.waitForInput(timeout: 1) else { continue }
            try listener.consumeInput()
            received += listener.drainNotifications()
        }
        #expect(received == [PGNotification(channel: channel, payload: "item:abc-123:7", senderPID: sender.backendPID)])
        #expect(listener.drainNotifications().isEmpty)
    }

    /// A notification sent inside a transaction is delivered only at COMMIT, several arrive in
    /// order, and one sent on a rolled-back transaction never arrives.
    @Test func listen_NotifyInTransaction_DeliveredAtCommitOnly() throws {
        let listener = try PGTestEnvironment.connect()
        let sender = try PGTestEnvironment.connect()
        let channel = PGTestEnvironment.uniqueName("landing_tx")
        try listener.listen(channel)

        try sender.execute("BEGIN")
        try sender.notify(channel, payload: "one")
        try sender.notify(channel, payload: "two")
        #expect(try listener.nextNotifications(timeout: 0.3).isEmpty)
        try sender.execute("COMMIT")
        var payloads: [String] = []
        let deadline = Date().addingTimeInterval(5)
        while payloads.count < 2, Date() < deadline {
            payloads += try listener.nextNotifications(timeout: 1).map(\.payload)
        }
        #expect(payloads == ["one", "two"])

        _ = storeError {
            try sender.transaction { () throws(StoreError) in
                try sender.notify(channel, payload: "rolled back")
                throw StoreError(.conflict, "abandon")
            }
        }
        #expect(try listener.nextNotifications(timeout: 0.3).isEmpty)
        try listener.unlisten(channel)
    }

    /// A listener whose backend is terminated reports `.unavailable` from `consumeInput`.
    @Test func listen_TerminatedListener_ConsumeInputUnavailable() throws {
        let listener = try PGTestEnvironment.connect()
        let killer = try PGTestEnvironment.connect()
        try listener.listen(PGTestEnvironment.uniqueName("landing_dead"))
        try killer.execute("SELECT pg_terminate_backend($1::int, 5000)", [String(listener.backendPID)])
        let error = storeError {
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline {
                _ = try listener.waitForInput(timeout: 1)
                try listener.consumeInput()
            }
        }
        #expect(error?.kind == .unavailable)
    }

    /// No message contains the password: a refused login (wrong password), a server error echoing
    /// the password as a value, and a conninfo libpq cannot parse.
    @Test func errors_NeverContainPassword() throws {
        let password = try PGTestEnvironment.password()
        let location = try PGTestEnvironment.location()

        let wrongPassword = "wrong-\(password)"
        let wrong = location.connectionParameters.map { pair in
            pair.keyword == "password" ? (keyword: pair.keyword, value: wrongPassword) : pair
        }
        let refused = storeError { _ = try PGConnection(parameters: wrong) }
        #expect(refused?.kind == .unavailable)
        #expect(refused?.message.contains("landing_test@127.0.0.1") == true)
        #expect(refused?.message.contains("password authentication failed") == true)
        #expect(refused?.message.contains(password) == false)

        let connection = try PGConnection(location: location)
        let echoed = storeError { try connection.execute("SELECT $1::int", [password]) }
        #expect(echoed?.kind == .corrupt)
        #expect(echoed?.message.contains("***") == true)
        #expect(echoed?.message.contains(password) == false)

        let unparsable = storeError { _ = try PGConnection(conninfo: "postgres://u:sup3r%zzsecret@h/db") }
        #expect(unparsable?.kind == .corrupt)
        #expect(unparsable?.message.contains("sup3r") == false)
        let badKeyword = storeError { _ = try PGConnection(conninfo: "host=h password=sup3rsecret bogus=1") }
        #expect(badKeyword?.message.contains("sup3rsecret") == false)
    }

    /// A server that is not there is `.unavailable`, quickly (connect_timeout), naming host and port.
    @Test func connect_NothingListening_Unavailable() throws {
        var parameters = try PGTestEnvironment.location().connectionParameters
        parameters = parameters.map { $0.keyword == "port" ? (keyword: "port", value: "1") : $0 }
        let error = storeError { _ = try PGConnection(parameters: parameters) }
        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("127.0.0.1:1/landing_test") == true)
    }
}

@Suite("PostgreSQL parameter strings")
struct PGCStringTests {
    @Test("withCStrings hands libpq each string NUL-terminated, nil as NULL, and a NULL after the last")
    func withCStrings_CopiesEachStringAndKeepsNils() {
        let strings: [String?] = ["item-1", nil, "", "çødé 🎉", String(repeating: "x", count: 5_000), nil]
        let seen: [String?] = PGConnection.withCStrings(strings) { pointers in
            #expect(pointers[strings.count] == nil)
            return (0..<strings.count).map { index in pointers[index].map { String(cString: $0) } }
        }
        #expect(seen == strings)
        #expect(PGConnection.withCStrings([]) { $0[0] == nil })
    }
}
