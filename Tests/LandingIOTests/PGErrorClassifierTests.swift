import LandingCore
import Testing

@testable import LandingIO

@Suite struct PGErrorClassifierTests {
    /// Connection, shutdown, resource and timeout SQLSTATEs are "retry later".
    @Test(arguments: ["08000", "08003", "08006", "08001", "08P01", "57P01", "57P02", "57P03", "53000", "53100", "53200", "53300", "57014", "55P03"])
    func kind_TransientSQLState_IsUnavailable(sqlstate: String) {
        #expect(PGErrorClassifier.kind(sqlstate: sqlstate, connectionLost: false) == .unavailable)
    }

    /// Serialization failures, deadlocks and unexpected unique violations are lost races.
    @Test(arguments: ["40001", "40P01", "23505"])
    func kind_RaceSQLState_IsConflict(sqlstate: String) {
        #expect(PGErrorClassifier.kind(sqlstate: sqlstate, connectionLost: false) == .conflict)
    }

    /// Everything else (syntax, constraint, data, undefined objects, odd input) is `.corrupt`.
    @Test(arguments: ["42601", "42P01", "23502", "23503", "23514", "22012", "22P02", "XX000", "58030", "26000", "", "0", "080"])
    func kind_OtherSQLState_IsCorrupt(sqlstate: String) {
        #expect(PGErrorClassifier.kind(sqlstate: sqlstate, connectionLost: false) == .corrupt)
    }

    /// A lost connection is `.unavailable` whatever the SQLSTATE, and no SQLSTATE on a live one is `.corrupt`.
    @Test func kind_ConnectionLost_WinsOverSQLState() {
        #expect(PGErrorClassifier.kind(sqlstate: nil, connectionLost: true) == .unavailable)
        #expect(PGErrorClassifier.kind(sqlstate: "42601", connectionLost: true) == .unavailable)
        #expect(PGErrorClassifier.kind(sqlstate: nil, connectionLost: false) == .corrupt)
    }

    /// Keepalive, timeout and encoding defaults are added only where the location is silent.
    @Test func options_Completing_KeepsGivenValues() {
        let completed = PGConnectionOptions().completing([("host", "h"), ("keepalives_idle", "5"), ("connect_timeout", "2")])
        let values = Dictionary(completed.map { ($0.keyword, $0.value) }, uniquingKeysWith: { first, _ in first })
        #expect(completed.filter { $0.keyword == "keepalives_idle" }.count == 1)
        #expect(values["keepalives_idle"] == "5")
        #expect(values["connect_timeout"] == "2")
        #expect(values["keepalives"] == "1")
        #expect(values["tcp_user_timeout"] == "30000")
        #expect(values["keepalives_interval"] == "10")
        #expect(values["keepalives_count"] == "3")
        #expect(values["client_encoding"] == "UTF8")
        #expect(values["application_name"] == "oauth-landing")
        #expect(completed.first?.keyword == "host")
    }

    /// Messages mask every secret, join libpq's lines, and label statements without values.
    @Test func helpers_ScrubOneLineLabel() {
        #expect(PGConnection.scrub("auth for \"pw1\" and pw1 failed", ["pw1"]) == "auth for \"***\" and *** failed")
        #expect(PGConnection.oneLine("FATAL:  x\nDETAIL:  y\n") == "FATAL:  x DETAIL:  y")
        #expect(PGConnection.label("SELECT a FROM records WHERE id = $1") == "SELECT … FROM records")
        #expect(PGConnection.label("INSERT INTO items (id) VALUES ($1)") == "INSERT INTO items")
        #expect(PGConnection.describe(user: "u", host: "::1", port: nil, database: nil) == "u@[::1]:5432/u")
    }
}
