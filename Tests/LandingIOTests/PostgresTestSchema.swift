import LandingCore
import Testing

@testable import LandingIO

/// A fresh, empty PostgreSQL schema for one test, so tests run in parallel on one database without
/// seeing each other's rows. Connections from `connect()` have it as their `search_path`, so a
/// `PostgresStore` on them migrates and uses its own copy of the tables. `remove()` (also run by
/// `deinit`, as a backstop) drops it with everything in it.
final class PostgresTestSchema: @unchecked Sendable {  // why: immutable after init; `remove` is idempotent server-side.
    let name: String

    init() throws {
        name = PGTestEnvironment.uniqueName("landing_store")
        let admin = try PGTestEnvironment.connect()
        try admin.executeScript("CREATE SCHEMA \(name)")
    }

    /// A new connection whose `search_path` is this schema.
    func connect() throws -> PGConnection {
        let connection = try PGTestEnvironment.connect()
        try connection.execute("SELECT set_config('search_path', $1, false)", [name])
        return connection
    }

    /// A `PostgresStore` on a new connection to this schema.
    func store() throws -> PostgresStore {
        try PostgresStore(connection: connect())
    }

    func remove() {
        guard let admin = try? PGTestEnvironment.connect() else { return }
        _ = try? admin.executeScript("DROP SCHEMA IF EXISTS \(name) CASCADE")
    }

    deinit { remove() }
}
