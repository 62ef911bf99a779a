/// Why a response body from Pluggy's API was refused. The body itself is never echoed (it may be
/// large, or hold a secret).
public enum PluggyDecodeError: Error, Sendable, Equatable {
    /// Larger than `PluggyItem.maxBodyBytes`.
    case bodyTooLarge
    /// Not a JSON text (RFC 8259), or not an object at the top.
    case invalidJSON
    /// A required member is missing or null.
    case missingField(String)
    /// A member has the wrong type, or a value outside its bounds or alphabet.
    case invalidField(String)
}
