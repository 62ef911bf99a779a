/// A request an HTTP client sends, and its HTTP/1.1 serialization (RFC 9112 §3).
///
/// Field names and values are checked when the request is made (`init` refuses CR, LF, NUL and
/// the other bytes outside RFC 9110 §5.5's field-value), so no caller can split the request.
public struct HTTPClientRequest: Sendable, Equatable {
    public var method: HTTPMethod
    /// The origin-form target: `/items/abc`, with any query.
    public var target: String
    public var headers: HTTPHeaders
    public var body: [UInt8]

    /// Why a request could not be built.
    public enum BuildError: Error, Sendable, Equatable {
        /// The target is not `/` followed by visible ASCII.
        case invalidTarget
        /// A field name is not a token, or a value holds a forbidden byte.
        case invalidHeader(String)
    }

    public init(method: HTTPMethod, target: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) throws(BuildError) {
        // RFC 9112 §3.2.1: origin-form = absolute-path [ "?" query ]; only visible ASCII.
        guard target.utf8.first == HTTPGrammar.slash, target.utf8.allSatisfy(HTTPGrammar.isVisibleASCII) else {
            throw .invalidTarget
        }
        for field in headers {
            // RFC 9110 §5.1 field-name = token; §5.5 field-value = *field-content.
            guard !field.name.isEmpty, field.name.utf8.allSatisfy(HTTPGrammar.isTchar),
                field.value.utf8.allSatisfy(HTTPGrammar.isFieldValueByte)
            else { throw .invalidHeader(field.name) }
        }
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }

    /// The bytes on the wire for `host` (the Host field's value: host, and `:port` when not 443).
    /// Adds `Host`, `Content-Length` (when there is a body or the method usually has one) and
    /// `Connection: close` (one request per connection).
    public func serialized(host: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + body.count)
        out.append(contentsOf: "\(method) \(target) HTTP/1.1\r\nHost: \(host)\r\n".utf8)
        for field in headers {
            out.append(contentsOf: "\(field.name): \(field.value)\r\n".utf8)
        }
        // RFC 9110 §8.6: "A user agent SHOULD send Content-Length in a request when the method
        // defines a meaning for enclosed content and it is not sending Transfer-Encoding."
        if !body.isEmpty || method == .post || method == .put {
            out.append(contentsOf: "Content-Length: \(body.count)\r\n".utf8)
        }
        out.append(contentsOf: "Connection: close\r\n\r\n".utf8)
        out.append(contentsOf: body)
        return out
    }
}
