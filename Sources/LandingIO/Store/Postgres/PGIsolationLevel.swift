/// The isolation level a `PGConnection.transaction` starts with.
enum PGIsolationLevel: Sendable {
    case readCommitted
    case repeatableRead
    case serializable

    /// The statement that opens a transaction at this level.
    var beginStatement: String {
        switch self {
        case .readCommitted: "BEGIN ISOLATION LEVEL READ COMMITTED"
        case .repeatableRead: "BEGIN ISOLATION LEVEL REPEATABLE READ"
        case .serializable: "BEGIN ISOLATION LEVEL SERIALIZABLE"
        }
    }
}
