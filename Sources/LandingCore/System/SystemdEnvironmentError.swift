/// Why a variable systemd (or a launcher playing it) set could not be used: one line naming the
/// variable, its value when that is safe (these are numbers, names and socket paths, never secrets),
/// and what to change.
public struct SystemdEnvironmentError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
