/// Strict, bounded decoding of Pluggy's JSON bodies, with the repository's own RFC 8259 parser
/// (`JSONValue`: UTF-8 checked, nesting bounded). Members not listed here are ignored: Pluggy adds
/// fields over time.
extension PluggyItem {
    /// Largest body accepted for an item or an `/auth` answer.
    public static let maxBodyBytes = 256 * 1024
    /// Longest `status` / `executionStatus`: upper-case words joined by `_`.
    public static let maxStatusLength = 64
    /// Most characters of a connector name kept for display.
    public static let maxConnectorNameCharacters = 120

    /// Decodes a `GET /items/{id}` body.
    ///
    /// Required: `id` (an item id), `status` (1...64 of `A-Z 0-9 _`). Optional (absent or null):
    /// `executionStatus` (same alphabet), `error` (`{code, message}`: `code` a non-empty string,
    /// sanitized as a callback's error code; `message` a string kept for display), `connector`
    /// (`{name}`, kept for display).
    public static func decode(_ body: [UInt8]) -> Result<PluggyItem, PluggyDecodeError> {
        guard body.count <= maxBodyBytes else { return .failure(.bodyTooLarge) }
        guard case .object(let members)? = try? JSONValue.parse(body), let object = PluggyJSONObject(members) else {
            return .failure(.invalidJSON)
        }

        guard case .string(let id)? = object["id"] else { return .failure(object.missingOrInvalid("id")) }
        guard CallbackParameters.isValidItemId(id) else { return .failure(.invalidField("id")) }
        guard case .string(let status)? = object["status"] else { return .failure(object.missingOrInvalid("status")) }
        guard isStatusWord(status) else { return .failure(.invalidField("status")) }

        var executionStatus: String?
        switch object["executionStatus"] {
        case nil, .null?: break
        case .string(let text)? where isStatusWord(text): executionStatus = text
        default: return .failure(.invalidField("executionStatus"))
        }

        var error: LandingError?
        switch object["error"] {
        case nil, .null?: break
        case .object(let fields)?:
            guard let fields = PluggyJSONObject(fields) else { return .failure(.invalidField("error")) }
            guard case .string(let code)? = fields["code"], !code.isEmpty else { return .failure(.invalidField("error.code")) }
            var message: String?
            switch fields["message"] {
            case nil, .null?: break
            case .string(let text)?: message = CallbackParameters.displayText(text)
            default: return .failure(.invalidField("error.message"))
            }
            error = LandingError(code: CallbackParameters.sanitize(code, maxLength: CallbackParameters.maxErrorCodeLength), description: message)
        default: return .failure(.invalidField("error"))
        }

        var connectorName: String?
        switch object["connector"] {
        case nil, .null?: break
        case .object(let fields)?:
            guard let fields = PluggyJSONObject(fields) else { return .failure(.invalidField("connector")) }
            switch fields["name"] {
            case nil, .null?: break
            case .string(let name)?: connectorName = CallbackParameters.displayText(name, maxCharacters: maxConnectorNameCharacters)
            default: return .failure(.invalidField("connector.name"))
            }
        default: return .failure(.invalidField("connector"))
        }
        return .success(PluggyItem(id: id, status: status, executionStatus: executionStatus, error: error, connectorName: connectorName))
    }

    /// 1...`maxStatusLength` bytes of `A-Z 0-9 _`.
    static func isStatusWord(_ text: String) -> Bool {
        (1...maxStatusLength).contains(text.utf8.count)
            && text.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }
}

/// The answer of `POST /auth`.
public enum PluggyAuthResponse {
    /// Longest API key accepted (Pluggy's keys are JWTs of about a kilobyte).
    public static let maxAPIKeyLength = 8 * 1024

    /// Decodes `{"apiKey": "…"}`: the key must be 1...8 KiB of visible ASCII (it goes into the
    /// `X-API-KEY` header as is: RFC 9110 §5.5 field-vchar, no whitespace).
    public static func decode(_ body: [UInt8]) -> Result<String, PluggyDecodeError> {
        guard body.count <= PluggyItem.maxBodyBytes else { return .failure(.bodyTooLarge) }
        guard case .object(let members)? = try? JSONValue.parse(body), let object = PluggyJSONObject(members) else {
            return .failure(.invalidJSON)
        }
        guard case .string(let key)? = object["apiKey"] else { return .failure(object.missingOrInvalid("apiKey")) }
        guard (1...maxAPIKeyLength).contains(key.utf8.count), key.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            return .failure(.invalidField("apiKey"))
        }
        return .success(key)
    }
}

/// An object's members by name. An object with a repeated name is refused as a whole (RFC 8259
/// §4: "The names within an object SHOULD be unique"; parsers disagree on which one wins, so any
/// answer would be a guess).
struct PluggyJSONObject {
    private let values: [String: JSONValue]

    init?(_ members: [JSONValue.Member]) {
        var values: [String: JSONValue] = [:]
        for member in members {
            guard values.updateValue(member.value, forKey: member.key) == nil else { return nil }
        }
        self.values = values
    }

    /// The member's value; nil when absent.
    subscript(name: String) -> JSONValue? { values[name] }

    /// `missingField` when the member is absent or null, else `invalidField`.
    func missingOrInvalid(_ name: String) -> PluggyDecodeError {
        switch self[name] {
        case nil, .null?: .missingField(name)
        default: .invalidField(name)
        }
    }
}
