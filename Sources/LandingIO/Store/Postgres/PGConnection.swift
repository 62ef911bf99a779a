import CLibPQ
import Glibc
import LandingCore

/// Owns one libpq connection (`PGconn*`): connected in `init`, closed (`PQfinish`) in `deinit`.
/// Blocking: every call may wait on the network, so it belongs on a store thread, never on an event
/// loop. Not thread-safe: one thread uses it at a time.
///
/// Statements take text parameters (`$1`, `$2`, … bound by libpq, never spliced into the SQL) and
/// return text results (`PGResult`). Failures are `StoreError`s whose kind comes from the SQLSTATE
/// (`PGErrorClassifier`); messages name the call and `user@host:port/db` (`target`), never the
/// password or the conninfo text — and any password that a server message might echo is masked.
final class PGConnection {
    /// The libpq handle (`PGConnection+Pipeline.swift` sends on it too).
    let conn: OpaquePointer
    /// `user@host:port/db`, for messages.
    let target: String
    /// Strings that must never appear in a message (the password), masked by `scrub`.
    private var secrets: [String]
    /// Statements prepared on this session by `executeCached`: SQL text and statement name; a
    /// dozen or so.
    // why: a list scanned with `==`, not a dictionary (as `SQLiteConnection`'s cache): hashing a
    // record statement's ~700 bytes of SQL on every use cost more than the scan (the texts differ
    // early or share their storage).
    var cachedStatements: [(sql: String, name: String)] = []
    /// The number in the next prepared statement's name (`landing_N`), never reused on a session.
    var nextStatementNumber = 1

    /// Connects with libpq keyword/value pairs (`PostgresLocation.connectionParameters`), adding
    /// `options`' keepalive, timeout and encoding parameters the pairs do not set.
    init(parameters given: [(keyword: String, value: String)], options: PGConnectionOptions = PGConnectionOptions())
        throws(StoreError)
    {
        let parameters = options.completing(given)
        let value = { (keyword: String) in parameters.last { $0.keyword == keyword }?.value }
        target = Self.describe(user: value("user"), host: value("host") ?? value("hostaddr"), port: value("port"), database: value("dbname"))
        secrets = [value("password"), value("sslpassword")].compactMap { $0 }.filter { !$0.isEmpty }

        // why: expand_dbname = 0, so a dbname value is a name, not a second conninfo that could
        // override what we validated.
        let handle = Self.withCStrings(parameters.map(\.keyword)) { keywords in
            Self.withCStrings(parameters.map(\.value)) { values in
                PQconnectdbParams(keywords, values, 0)
            }
        }
        guard let handle else {
            throw StoreError(.unavailable, "PQconnectdbParams(\(target)) failed: out of memory")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(handle))
            PQfinish(handle)
            // why: libpq gives no SQLSTATE for a failed connection, and a server that is down,
            // starting or full looks the same as a refused password from here: all are "retry
            // later" for the caller, and the message says which one it was.
            throw StoreError(.unavailable, "connecting to \(target) failed: \(Self.scrub(Self.oneLine(message), secrets))")
        }
        conn = handle
        // why: libpq prints server NOTICEs ("relation … already exists, skipping") to stderr by
        // default, bypassing our log; they are informational, so they are dropped.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        // A password libpq found on its own (PGPASSFILE, ~/.pgpass) is a secret too.
        if let used = PQpass(conn).map({ String(cString: $0) }), !used.isEmpty, !secrets.contains(used) {
            secrets.append(used)
        }
    }

    /// Connects with a libpq URI (`postgres://…`) or `key=value` conninfo string. The text is parsed
    /// by libpq (`PQconninfoParse`) and never echoed: a parse error says only that it is invalid.
    convenience init(conninfo: String, options: PGConnectionOptions = PGConnectionOptions()) throws(StoreError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let parsed = PQconninfoParse(conninfo, &errorMessage) else {
            // why: libpq's parse errors quote the offending token, which may be the password.
            if let errorMessage { PQfreemem(errorMessage) }
            throw StoreError(.corrupt, "the PostgreSQL connection string is invalid (libpq could not parse it)")
        }
        defer { PQconninfoFree(parsed) }
        var parameters: [(keyword: String, value: String)] = []
        var option = parsed
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                parameters.append((String(cString: keyword), String(cString: value)))
            }
            option += 1
        }
        try self.init(parameters: parameters, options: options)
    }

    /// Connects to a validated `PostgresLocation`.
    convenience init(location: PostgresLocation, options: PGConnectionOptions = PGConnectionOptions()) throws(StoreError) {
        try self.init(parameters: location.connectionParameters, options: options)
    }

    deinit { PQfinish(conn) }

    /// Statements sent on this connection so far (executed, prepared or a script), and the round
    /// trips they took (one each, one per `pipeline`), for tests that count a commit's cost.
    var statementCount = 0
    var roundTripCount = 0

    // MARK: Status

    /// Whether libpq considers the connection usable (`PQstatus` is CONNECTION_OK). A connection
    /// the server dropped reads as usable until a call notices.
    var isConnected: Bool { PQstatus(conn) == CONNECTION_OK }

    /// Whether a transaction is open (or failed and not yet rolled back).
    var isInTransaction: Bool {
        let status = PQtransactionStatus(conn)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// The server process serving this connection (for `pg_terminate_backend`, logs).
    var backendPID: Int32 { PQbackendPID(conn) }

    /// The server's version as an integer (150018 for 15.18).
    var serverVersion: Int { Int(PQserverVersion(conn)) }

    /// A cheap round trip (`SELECT 1`): throws `.unavailable` when the connection is dead.
    func ping() throws(StoreError) {
        let result = try execute("SELECT 1")
        guard result.rowCount == 1, result.text(row: 0, column: 0) == "1" else {
            throw StoreError(.corrupt, "SELECT 1 on \(target) returned an unexpected result")
        }
    }

    /// Reconnects with the same parameters (`PQreset`, blocking). Prepared statements are gone
    /// afterwards (they belonged to the old server session), so the cache is emptied.
    func reset() throws(StoreError) {
        // why: the new backend knows none of the old session's prepared statements; executeCached
        // would otherwise run a name the server has never seen.
        cachedStatements.removeAll()
        PQreset(conn)
        guard isConnected else {
            throw StoreError(.unavailable, "reconnecting to \(target) failed: \(connectionMessage())")
        }
    }

    // MARK: Statements

    /// Runs one statement with text parameters (nil is SQL NULL) and returns its result.
    @discardableResult
    func execute(_ sql: String, _ parameters: [String?] = []) throws(StoreError) -> PGResult {
        statementCount += 1
        roundTripCount += 1
        let result = Self.withCStrings(parameters) { values in
            PQexecParams(conn, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        return try check(result, Self.label(sql))
    }

    /// Runs a script of one or more statements without parameters (migrations, DDL) with the
    /// simple-query protocol; the result of the last statement is returned.
    @discardableResult
    func executeScript(_ sql: String) throws(StoreError) -> PGResult {
        statementCount += 1
        roundTripCount += 1
        return try check(PQexec(conn, sql), Self.label(sql))
    }

    /// Prepares `sql` on this session under `name`, for `executePrepared`.
    func prepare(name: String, sql: String) throws(StoreError) {
        statementCount += 1
        roundTripCount += 1
        try check(PQprepare(conn, name, sql, 0, nil), "PQprepare(\(name))")
    }

    /// Runs the statement prepared as `name` with text parameters.
    @discardableResult
    func executePrepared(name: String, _ parameters: [String?] = []) throws(StoreError) -> PGResult {
        statementCount += 1
        roundTripCount += 1
        let result = Self.withCStrings(parameters) { values in
            PQexecPrepared(conn, name, Int32(parameters.count), values, nil, nil, 0)
        }
        return try check(result, "PQexecPrepared(\(name))")
    }

    /// Runs `sql`, prepared on first use on this session and reused afterwards (until `reset`).
    @discardableResult
    func executeCached(_ sql: String, _ parameters: [String?] = []) throws(StoreError) -> PGResult {
        for statement in cachedStatements where statement.sql == sql {
            return try executePrepared(name: statement.name, parameters)
        }
        let name = "landing_\(nextStatementNumber)"
        nextStatementNumber += 1
        try prepare(name: name, sql: sql)
        cachedStatements.append((sql, name))
        return try executePrepared(name: name, parameters)
    }

    /// The names of the statements `executeCached` has prepared on this session.
    var cachedStatementCount: Int { cachedStatements.count }

    // MARK: Transactions

    /// Runs `body` in a transaction: BEGIN at `isolation`, COMMIT on success, ROLLBACK when `body`
    /// or the commit throws. Durable when this returns (the server runs with fsync and
    /// synchronous_commit on).
    func transaction<T>(_ isolation: PGIsolationLevel = .readCommitted, _ body: () throws(StoreError) -> T)
        throws(StoreError) -> T
    {
        try execute(isolation.beginStatement)
        do throws(StoreError) {
            let value = try body()
            let commit = try execute("COMMIT")
            // why: COMMIT of a transaction in which a statement failed (and `body` swallowed the
            // error) succeeds with the tag ROLLBACK: nothing was written.
            guard commit.commandStatus == "COMMIT" else {
                throw StoreError(.corrupt, "COMMIT on \(target) rolled back: a statement in the transaction had failed")
            }
            return value
        } catch {
            rollback()
            throw error
        }
    }

    /// Rolls back the open transaction, if any, ignoring failures (the caller's error matters more,
    /// and a dead connection has no transaction left).
    func rollback() {
        guard isConnected, isInTransaction else { return }
        _ = try? execute("ROLLBACK")
    }

    // MARK: LISTEN / NOTIFY

    /// `LISTEN channel` (the name is quoted as an identifier, so any text is safe).
    func listen(_ channel: String) throws(StoreError) {
        try executeScript("LISTEN \(try quotedIdentifier(channel))")
    }

    /// `UNLISTEN channel`.
    func unlisten(_ channel: String) throws(StoreError) {
        try executeScript("UNLISTEN \(try quotedIdentifier(channel))")
    }

    /// Sends a notification (`pg_notify`; inside a transaction it is delivered at COMMIT).
    func notify(_ channel: String, payload: String) throws(StoreError) {
        try execute("SELECT pg_notify($1, $2)", [channel, payload])
    }

    /// The socket libpq talks on, for poll/epoll (-1 when there is no connection). Only readable
    /// interest is meaningful; the descriptor stays libpq's.
    var socketDescriptor: Int32 { PQsocket(conn) }

    /// Reads whatever the server has sent without blocking (`PQconsumeInput`), queueing any
    /// notifications for `drainNotifications`. Throws `.unavailable` when the connection is lost.
    func consumeInput() throws(StoreError) {
        guard PQconsumeInput(conn) == 1 else {
            throw StoreError(.unavailable, "PQconsumeInput on \(target) failed: \(connectionMessage())")
        }
    }

    /// Every notification libpq has queued (by `consumeInput` or any statement), oldest first.
    func drainNotifications() -> [PGNotification] {
        var notifications: [PGNotification] = []
        while let notify = PQnotifies(conn) {
            // why: each PGnotify is one malloc'd block that only PQfreemem may free.
            defer { PQfreemem(notify) }
            notifications.append(
                PGNotification(
                    channel: String(cString: notify.pointee.relname),
                    payload: notify.pointee.extra.map { String(cString: $0) } ?? "",
                    senderPID: notify.pointee.be_pid))
        }
        return notifications
    }

    /// Waits up to `timeout` seconds for the socket to become readable. True when it is (call
    /// `consumeInput`, then `drainNotifications`); false on timeout.
    func waitForInput(timeout: Double) throws(StoreError) -> Bool {
        let descriptor = socketDescriptor
        guard descriptor >= 0 else {
            throw StoreError(.unavailable, "no connection to \(target): \(connectionMessage())")
        }
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(max(0, min(timeout, 3_600)) * 1_000)
        do {
            // why: an EINTR restarts the wait with the full timeout; callers loop on a deadline.
            let ready = try syscallBlocking("poll") { poll(&entry, 1, milliseconds) }
            return ready > 0
        } catch {
            throw StoreError(.unavailable, "waiting for \(target): \(error)")
        }
    }

    /// Notifications already queued or arriving within `timeout` seconds (empty on timeout).
    func nextNotifications(timeout: Double) throws(StoreError) -> [PGNotification] {
        try consumeInput()
        var queued = drainNotifications()
        guard queued.isEmpty else { return queued }
        let deadline = monotonicNow() + timeout
        while queued.isEmpty {
            let remaining = deadline - monotonicNow()
            guard remaining > 0, try waitForInput(timeout: remaining) else { break }
            try consumeInput()
            queued = drainNotifications()
        }
        return queued
    }

    // MARK: Errors

    /// The connection's last error, on one line, with secrets masked.
    func connectionMessage() -> String {
        Self.scrub(Self.oneLine(String(cString: PQerrorMessage(conn))), secrets)
    }

    /// `result` as a `PGResult` when it succeeded; otherwise cleared and turned into a `StoreError`.
    @discardableResult
    // why: the label is an autoclosure: building it (splitting the SQL text) on every successful
    // statement cost more than the rest of a COMMIT's client side.
    func check(_ result: OpaquePointer?, _ label: @autoclosure () -> String) throws(StoreError) -> PGResult {
        guard let result else {
            // why: a NULL result means libpq could not even build one (out of memory, or the
            // connection is gone); the kind then depends on the connection alone.
            let kind = PGErrorClassifier.kind(sqlstate: nil, connectionLost: !isConnected)
            throw StoreError(kind, "\(label()) on \(target) failed: \(connectionMessage())")
        }
        let owned = PGResult(takingOwnership: result)
        let status = PQresultStatus(result)
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY {
            return owned
        }
        let sqlstate = landing_pq_sqlstate(result).map { String(cString: $0) }
        let primary = landing_pq_primary_message(result).map { String(cString: $0) }
        let message = primary ?? String(cString: PQresultErrorMessage(result))
        let kind = PGErrorClassifier.kind(sqlstate: sqlstate, connectionLost: !isConnected)
        let code = sqlstate.map { " (SQLSTATE \($0))" } ?? ""
        throw StoreError(kind, "\(label()) on \(target) failed: \(Self.scrub(Self.oneLine(message), secrets))\(code)")
    }

    /// `name` quoted as an SQL identifier by libpq.
    private func quotedIdentifier(_ name: String) throws(StoreError) -> String {
        guard let quoted = PQescapeIdentifier(conn, name, name.utf8.count) else {
            throw StoreError(.corrupt, "PQescapeIdentifier failed: \(connectionMessage())")
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    // MARK: Helpers

    /// `user@host:port/db` with libpq's defaults spelled out where a part is not given.
    static func describe(user: String?, host: String?, port: String?, database: String?) -> String {
        let shownHost = host.map { $0.contains(":") && !$0.hasPrefix("/") ? "[\($0)]" : $0 } ?? "localhost"
        return "\(user ?? "(default user)")@\(shownHost):\(port ?? "5432")/\(database ?? user ?? "(default database)")"
    }

    /// `message` with every secret replaced by `***`.
    static func scrub(_ message: String, _ secrets: [String]) -> String {
        secrets.reduce(message) { text, secret in
            secret.isEmpty ? text : text.replacing(secret, with: "***")
        }
    }

    /// libpq's multi-line messages ("…\nDETAIL: …\n") on one line, without the trailing newline.
    static func oneLine(_ message: String) -> String {
        message.split(whereSeparator: \.isNewline).map { $0.trimmingPrefix(while: \.isWhitespace) }
            .joined(separator: " ")
    }

    /// A short name for `sql` in messages ("INSERT INTO items", "SELECT … FROM records"); never a
    /// value, since values are parameters, not part of the text.
    static func label(_ sql: String) -> String {
        let words = sql.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "(" || $0 == ";" })
        if words.first?.uppercased() == "SELECT", let from = words.firstIndex(where: { $0.uppercased() == "FROM" }),
            from + 1 < words.count
        {
            return "SELECT … FROM \(words[from + 1])"
        }
        return words.prefix(3).joined(separator: " ")
    }

    /// Runs `body` with a C array of NUL-terminated copies of `strings` (nil stays NULL). The
    /// copies are zeroed before they are freed, since one of them may be the password.
    // why: one buffer for all the copies (and one for the pointers), not a strdup per string: a
    // record write passes 21 parameters, and the allocations cost more than the copying.
    static func withCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        var size = 0
        for string in strings { if let string { size += string.utf8.count + 1 } }
        let buffer = UnsafeMutableBufferPointer<CChar>.allocate(capacity: max(size, 1))
        // why: libpq reads the arrays as `const char *const *`; a trailing NULL terminates the
        // keyword/value arrays of PQconnectdbParams and is ignored by the exec calls (which take a count).
        let pointers = UnsafeMutableBufferPointer<UnsafePointer<CChar>?>.allocate(capacity: strings.count + 1)
        defer {
            buffer.update(repeating: 0)
            buffer.deallocate()
            pointers.deallocate()
        }
        var offset = 0
        for (index, string) in strings.enumerated() {
            guard var string else {
                pointers[index] = nil
                continue
            }
            let start = buffer.baseAddress! + offset
            let count = string.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) { source in
                    UnsafeMutableBufferPointer(start: start, count: source.count).update(fromContentsOf: source)
                }
            }
            start[count] = 0
            pointers[index] = UnsafePointer(start)
            offset += count + 1
        }
        pointers[strings.count] = nil
        return body(UnsafePointer(pointers.baseAddress!))
    }
}
