import Foundation
import Glibc
import LandingCore
import Testing

@testable import LandingIO

/// Where end-to-end servers keep their records in PostgreSQL: a `postgres://` URL, its password
/// moved into a file (`--store-password-file`, so it is not on the command line), and optionally
/// a schema of its own (`PostgresTestSchema`, named in the URL as `options=-c search_path=…`), so
/// tests sharing the test database never see each other's rows.
final class PostgresE2EStore: @unchecked Sendable {  // why: immutable after init.
    /// The URL with its password (for the test's own connections).
    let url: String
    /// The URL the servers get: no password, plus the schema's `search_path` when there is one.
    let serverURL: String
    /// The schema (nil: the database's default `public`).
    let schema: PostgresTestSchema?
    private let directory: TemporaryDirectory
    /// The role's password (decoded), to check that no output contains it.
    let password: String?
    let passwordFile: String?

    /// A fresh schema in `LANDING_TEST_POSTGRES_URL`'s database.
    convenience init() throws {
        try self.init(url: PGTestEnvironment.requireURL(), schema: PostgresTestSchema())
    }

    /// `url` as is (its default schema) or with `schema`.
    init(url: String, schema: PostgresTestSchema?) throws {
        self.url = url
        self.schema = schema
        directory = try TemporaryDirectory("landing-e2e-pg")
        let (bare, password) = try Self.splitPassword(url)
        var serverURL = bare
        if let schema {
            serverURL += (bare.contains("?") ? "&" : "?") + "options=-c%20search_path%3D\(schema.name)"
        }
        self.serverURL = serverURL
        self.password = password
        if let password {
            let file = directory.file("password")
            guard FileManager.default.createFile(atPath: file, contents: Data((password + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                throw E2EError("cannot write \(file)")
            }
            passwordFile = file
        } else {
            passwordFile = nil
        }
    }

    /// The `serve` options that put the store here.
    var arguments: [String] {
        ["--store", serverURL] + (passwordFile.map { ["--store-password-file", $0] } ?? [])
    }

    /// A new connection of the test's own to the same place (the schema as `search_path`).
    func connect() throws -> PGConnection {
        let connection = try PGConnection(conninfo: url)
        if let schema { try connection.execute("SELECT set_config('search_path', $1, false)", [schema.name]) }
        return connection
    }

    /// Every item id in the `items` table.
    func itemIds() throws -> Set<String> {
        let connection = try connect()
        let result = try connection.execute("SELECT item_id FROM items")
        return Set((0..<result.rowCount).compactMap { result.text(row: $0, column: 0) })
    }

    /// One item's row as text columns (`hits`, `version`, `status`, …), nil when absent.
    func itemRow(_ id: String) throws -> [String: String]? {
        let connection = try connect()
        let result = try connection.execute(
            "SELECT status, hits::text, version::text, confirmed::text, coalesce(error_code, '') FROM items WHERE item_id = $1", [id])
        guard result.rowCount == 1 else { return nil }
        let names = ["status", "hits", "version", "confirmed", "error_code"]
        var row: [String: String] = [:]
        for (column, name) in names.enumerated() { row[name] = result.text(row: 0, column: column) }
        return row
    }

    /// How many rows `webhook_events` has for `eventId`.
    func webhookEventCount(_ eventId: String) throws -> Int {
        let connection = try connect()
        let result = try connection.execute("SELECT count(*) FROM webhook_events WHERE event_id = $1", [eventId])
        return Int(try result.int64(row: 0, column: 0) ?? -1)
    }

    /// `postgres://user:secret@host/…` → (`postgres://user@host/…`, decoded `secret`).
    static func splitPassword(_ url: String) throws -> (String, String?) {
        guard let scheme = url.range(of: "://") else { throw E2EError("not a postgres:// URL") }
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@") else { return (url, nil) }
        let userinfo = authority[..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return (url, nil) }
        guard let password = String(userinfo[userinfo.index(after: colon)...]).removingPercentEncoding else {
            throw E2EError("the URL's password is not valid percent-encoding")
        }
        let bare = String(url[..<scheme.upperBound]) + userinfo[..<colon] + rest[at...]
        return (bare, password)
    }
}

/// Two `oauth-landing` processes (A and B) on one PostgreSQL store, with the same API key and
/// webhook secret, as a deployment behind a load balancer runs them. `stop()` (also run when
/// released) stops both before the store's schema is dropped.
final class PostgresServerPair: @unchecked Sendable {  // why: immutable after init; ServerProcess is thread-safe.
    static let webhookSecret = "e2e-pg-webhook-secret-0123456789"

    let store: PostgresE2EStore
    let a: ServerProcess
    let b: ServerProcess

    /// Starts A with `arguments + aArguments` and B with `arguments + bArguments`.
    init(store: PostgresE2EStore? = nil, arguments: [String] = [], aArguments: [String] = [], bArguments: [String] = []) throws {
        let store = try store ?? PostgresE2EStore()
        self.store = store
        let common = store.arguments + ["--webhook-secret", Self.webhookSecret] + arguments
        a = try ServerProcess(common + aArguments)
        b = try ServerProcess(common + bArguments)
    }

    var both: [ServerProcess] { [a, b] }

    func stop() {
        a.stop()
        b.stop()
    }

    deinit { stop() }
}

/// A throw-away PostgreSQL server of a test's own (`scripts/postgres-test-server.sh` in a
/// temporary directory), for tests that stop and start it (`down`, `up`: same port, same
/// password). `stop()` (also run when released) stops it and removes its directory.
final class ThrowawayPostgres: @unchecked Sendable {  // why: immutable after init; the script serializes nothing, tests call it from one thread.
    static let script = ServerProcess.repositoryRoot + "/scripts/postgres-test-server.sh"

    private let directory: TemporaryDirectory
    /// The test role's URL (with its password).
    let url: String
    let port: Int
    private var stopped = false

    init() throws {
        directory = try TemporaryDirectory("landing-e2e-pgserver")
        let started = try Self.run("start", directory.path, timeout: 120)
        guard let line = started.stdoutText.split(separator: "\n").last(where: { $0.hasPrefix("postgres") }) else {
            throw E2EError("postgres-test-server.sh start printed no URL: \(started)")
        }
        url = String(line)
        let portText = (try? String(contentsOfFile: directory.file("port"), encoding: .utf8)) ?? ""
        guard let port = Int(portText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw E2EError("no port file in \(directory.path)")
        }
        self.port = port
    }

    /// Runs `script` after closing every descriptor above 2 it inherited.
    // why: Foundation's `Process` (Linux) learns that a child exited when a socket it hands the child
    // reaches EOF, i.e. when every process holding it has exited; `start` and `up` leave a
    // PostgreSQL server running that would hold it (and the script would never seem to finish).
    static let closingDescriptors = #"for fd in $(ls /proc/$$/fd); do if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi; done; exec /bin/bash "$@""#

    private static func run(_ command: String, _ path: String, timeout: Double = 60) throws -> SubprocessResult {
        let result = try Subprocess.run("/bin/bash", ["-c", closingDescriptors, "postgres-test-server", script, command, path], timeout: timeout)
        guard result.succeeded else { throw E2EError("postgres-test-server.sh \(command) failed: \(result)") }
        return result
    }

    /// Stops the server (fast shutdown: clients are disconnected), keeping its data.
    func down() throws { _ = try Self.run("down", directory.path) }

    /// Starts it again on the same port with the same password.
    func up() throws { _ = try Self.run("up", directory.path) }

    /// A superuser connection over the server's unix socket (trusted; for setup the test role may
    /// not do, e.g. `ALTER ROLE`), to the test database.
    func superuserConnection() throws -> PGConnection {
        try PGConnection(conninfo: "host=\(directory.path) port=\(port) dbname=landing_test user=postgres")
    }

    /// The server's log (for failure messages).
    var serverLog: String { (try? String(contentsOfFile: directory.file("server.log"), encoding: .utf8)) ?? "" }

    func stop() {
        guard !stopped else { return }
        stopped = true
        _ = try? Self.run("stop", directory.path)
    }

    deinit { stop() }
}
