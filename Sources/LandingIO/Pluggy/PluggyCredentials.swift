/// Pluggy's client id and secret. The secret never appears in `description`, `debugDescription`
/// or a mirror (`dump`, string interpolation of a containing value), so it cannot reach a log by
/// accident.
public struct PluggyCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let clientId: String
    public let clientSecret: String

    public init(clientId: String, clientSecret: String) {
        self.clientId = clientId
        self.clientSecret = clientSecret
    }

    public var description: String { "PluggyCredentials(clientId: \(clientId), clientSecret: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["clientId": clientId, "clientSecret": "<redacted>"]) }
}
