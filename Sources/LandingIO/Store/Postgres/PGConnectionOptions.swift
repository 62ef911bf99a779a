/// The connection parameters `PGConnection` adds when the location does not give them, so a dead
/// peer or a black-holed network is noticed in seconds rather than after the kernel's two hours.
/// Each applies only when the location (URI, conninfo or `PostgresLocation`) leaves it unset.
struct PGConnectionOptions: Sendable, Equatable {
    /// libpq `connect_timeout`: seconds to wait for a connection (per host). Default 10.
    var connectTimeoutSeconds = 10
    /// libpq `keepalives_idle`: seconds of silence before the first TCP keepalive probe. Default 30.
    var keepalivesIdleSeconds = 30
    /// libpq `keepalives_interval`: seconds between unanswered probes. Default 10.
    var keepalivesIntervalSeconds = 10
    /// libpq `keepalives_count`: unanswered probes before the connection is dropped. Default 3.
    var keepalivesCount = 3
    /// libpq `tcp_user_timeout` (TCP_USER_TIMEOUT): milliseconds transmitted data may stay
    /// unacknowledged before the connection is dropped. Default 30 000.
    var tcpUserTimeoutMilliseconds = 30_000
    /// libpq `application_name`, shown in `pg_stat_activity`. Default `oauth-landing`.
    var applicationName = "oauth-landing"

    /// The defaults as libpq keyword/value pairs.
    var parameters: [(keyword: String, value: String)] {
        [
            ("connect_timeout", String(connectTimeoutSeconds)),
            ("keepalives", "1"),
            ("keepalives_idle", String(keepalivesIdleSeconds)),
            ("keepalives_interval", String(keepalivesIntervalSeconds)),
            ("keepalives_count", String(keepalivesCount)),
            ("tcp_user_timeout", String(tcpUserTimeoutMilliseconds)),
            // why: results are read as UTF-8 text; a server or PGCLIENTENCODING set to another
            // encoding would otherwise hand us bytes in it.
            ("client_encoding", "UTF8"),
            ("application_name", applicationName),
        ]
    }

    /// `given` with every default whose keyword `given` lacks appended.
    func completing(_ given: [(keyword: String, value: String)]) -> [(keyword: String, value: String)] {
        let present = Set(given.map(\.keyword))
        return given + parameters.filter { !present.contains($0.keyword) }
    }
}
