import Foundation
import LandingCore
import Testing

@testable import LandingIO

/// The PostgreSQL server the tests run against: `LANDING_TEST_POSTGRES_URL`, set by `scripts/test.sh`
/// (which starts a throw-away server with `scripts/postgres-test-server.sh`). Without it the
/// PostgreSQL tests are skipped on a developer machine and fail on CI (`CI` set and not
/// "false"/"0"), so CI cannot pass without having run them.
enum PGTestEnvironment {
    /// Shown when the tests are skipped.
    static let skipReason: Comment =
        "LANDING_TEST_POSTGRES_URL is not set: run scripts/test.sh, or scripts/postgres-test-server.sh start DIR and export the URL it prints"

    /// The server's URL (with the test role's password), if given.
    static var url: String? {
        let value = ProcessInfo.processInfo.environment["LANDING_TEST_POSTGRES_URL"] ?? ""
        return value.isEmpty ? nil : value
    }

    static var isCI: Bool {
        let value = (ProcessInfo.processInfo.environment["CI"] ?? "").lowercased()
        return !value.isEmpty && value != "false" && value != "0"
    }

    /// For `.enabled(if:)`: run when there is a server, and always on CI (where a missing one fails).
    static var shouldRun: Bool { url != nil || isCI }

    /// The URL, or a recorded failure (on CI without a server) and a thrown error.
    static func requireURL() throws -> String {
        guard let url else {
            Issue.record("LANDING_TEST_POSTGRES_URL is not set on CI: the PostgreSQL tests must run there (scripts/test.sh starts the server)")
            throw StoreError(.unavailable, "no test PostgreSQL server")
        }
        return url
    }

    /// The URL as a validated location.
    static func location() throws -> PostgresLocation {
        try PostgresLocation(parsing: requireURL())
    }

    /// The test role's password (decoded from the URL), to check that messages never contain it.
    static func password() throws -> String {
        let parameters = try location().connectionParameters
        return try #require(parameters.first { $0.keyword == "password" }?.value)
    }

    /// A new connection to the test database, from the URL text (parsed by libpq).
    static func connect() throws -> PGConnection {
        try PGConnection(conninfo: requireURL())
    }

    /// A name no other test uses (tables, channels), since tests run in parallel on one database.
    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(UInt64.random(in: 0...UInt64.max) & 0xFFFF_FFFF_FFFF)"
    }
}
