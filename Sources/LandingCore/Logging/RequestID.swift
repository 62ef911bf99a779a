/// Which request id a request is known by: the caller's `X-Request-Id` when it is a sane token,
/// else the server's own. The chosen id is the one used everywhere: the response's `X-Request-Id`,
/// the access log and the support log lines (`LandingEvent.requestID`).
///
/// Sane means it can be logged and echoed as is: exactly one `X-Request-Id` field, 1 to
/// `maxLength` bytes of `A-Z a-z 0-9 - . _ : / + =` (UUIDs, hex, base64 and base64url ids, a
/// balancer's `Root=1-…`-style ids without separators). Anything else — a second field, an empty
/// or long value, a space, a quote, a control character, a non-ASCII byte — is not repaired or
/// truncated but ignored: the server's own id is used instead.
public enum RequestID {
    /// The request header carrying a caller's id.
    public static let header = "X-Request-Id"
    /// Longest caller id honoured, in bytes.
    public static let maxLength = 128

    /// The caller's id when `headers` carry exactly one sane `X-Request-Id`, else nil. Allocates
    /// nothing (it runs once per request).
    public static func honoured(_ headers: HTTPHeaders) -> String? {
        var found: String?
        for field in headers.fields where HTTPHeaders.equalsIgnoringASCIICase(field.name, header) {
            if found != nil { return nil }
            found = field.value
        }
        guard let found, isSane(found) else { return nil }
        return found
    }

    /// The one value in `values` when there is exactly one and it is sane, else nil.
    public static func honoured(_ values: [String]) -> String? {
        guard values.count == 1, isSane(values[0]) else { return nil }
        return values[0]
    }

    /// 1 to `maxLength` bytes, each one of `A-Z a-z 0-9 - . _ : / + =`.
    public static func isSane(_ value: String) -> Bool {
        let bytes = value.utf8
        guard (1...maxLength).contains(bytes.count) else { return false }
        return bytes.allSatisfy(isAllowed)
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "+"), UInt8(ascii: "="):
            return true
        default:
            return false
        }
    }
}
