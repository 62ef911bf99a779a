import LandingCore

/// Maps a PostgreSQL failure to the `StoreError.Kind` a caller acts on, from its SQLSTATE
/// (PostgreSQL's documentation, appendix A "PostgreSQL Error Codes") and the connection's state.
enum PGErrorClassifier {
    /// - `connectionLost` (PQstatus is CONNECTION_BAD) → `.unavailable`, whatever the SQLSTATE.
    /// - Class 08 (connection exception), 57P01/57P02/57P03 (admin/crash shutdown, cannot connect
    ///   now), class 53 (insufficient resources: disk full, out of memory, too many connections),
    ///   57014 (statement timeout/cancel) and 55P03 (lock timeout) → `.unavailable`: busy or down
    ///   now, nothing was written.
    /// - 40001 (serialization failure), 40P01 (deadlock), 23505 (a unique violation the statement
    ///   did not expect) → `.conflict`: lost a race; an idempotent retry is safe.
    /// - Anything else, including no SQLSTATE on a live connection (a client-side failure) →
    ///   `.corrupt`.
    static func kind(sqlstate: String?, connectionLost: Bool) -> StoreError.Kind {
        if connectionLost { return .unavailable }
        guard let sqlstate, sqlstate.utf8.count == 5 else { return .corrupt }
        switch sqlstate {
        case "57P01", "57P02", "57P03", "57014", "55P03": return .unavailable
        case "40001", "40P01", "23505": return .conflict
        default: break
        }
        if sqlstate.hasPrefix("08") || sqlstate.hasPrefix("53") { return .unavailable }
        return .corrupt
    }
}
