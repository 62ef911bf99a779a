/// Why a `--store postgres://…` location was rejected. The message names the part that is wrong
/// and never repeats the user-info part of the URI (it may hold the password).
public struct PostgresLocationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "invalid PostgreSQL location: \(message)" }
}
