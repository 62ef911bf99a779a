/// Why the parameters of an OAuth callback were refused. Every case maps to HTTP 400 with the
/// OAuth error `invalid_request` (RFC 6749 §3.1, §4.1.2.1).
public enum CallbackParameterError: Error, Sendable, Equatable {
    /// A parameter appears more than once (RFC 6749 §3.1: "Request and response parameters MUST NOT
    /// be included more than once"). `itemId` and `item_id` with different values also land here,
    /// as `repeatedParameter("itemId")`. The name is sanitized (see `CallbackParameters.sanitize`)
    /// and at most 128 characters.
    case repeatedParameter(String)
    /// `itemId`/`item_id` is not 1–128 characters of `A-Z a-z 0-9 . _ -`.
    case invalidItemId
    /// The query string or form body could not be decoded.
    case malformed(FormDecodingError)

    /// A sentence safe to show on a page: it never quotes a value, and quotes a parameter name only
    /// when the name is made of letters, digits, `.`, `_` and `-` alone.
    public var explanation: String {
        switch self {
        case .repeatedParameter(let name):
            let subject = CallbackParameters.isPlainName(name) ? "The parameter '\(name)'" : "A parameter"
            return "\(subject) appears more than once; OAuth parameters must not be repeated."
        case .invalidItemId:
            return "The item id is not valid: it must be 1 to 128 letters, digits, '.', '_' or '-'."
        case .malformed(let error):
            return error.explanation
        }
    }
}

/// The parameters of one OAuth redirect to the landing page (query string or `form_post` body),
/// parsed and sanitized.
///
/// What is kept: the item id, whether `code` and `state` were present (never their values), the
/// OAuth error (sanitized), `error_uri` and `iss` (sanitized), and a small bounded copy of the
/// non-secret parameters for support (`Limits`: about 10 parameters and 4 KiB in all, with a count
/// of what was left out). Parameters that look like return links (`return_to`, `redirect_uri`,
/// `next`, `url`, …) are never interpreted: RFC 9700 §4.11, the return link never comes from the
/// request.
public struct CallbackParameters: Sendable, Equatable {
    /// Bounds on what a callback may carry and on what is kept of it. What is kept is stored with
    /// every record for its whole retention, so it is sized for support (the parameters a bank or
    /// Pluggy actually sends: item id, error, scope, iss…), not for whatever a client can send.
    /// A parameter that does not fit is left out whole (never cut, so a kept value is always the
    /// value received) and counted in `droppedParameters`.
    public struct Limits: Sendable, Equatable {
        /// Name/value pairs the decoder accepts (`parse(encoded:)` only). Default 1000.
        public var maxParameters: Int
        /// Parameters kept in `rawParameters`. Default 10.
        public var maxRawParameters: Int
        /// UTF-8 bytes of a kept parameter's name. Default 64.
        public var maxRawNameBytes: Int
        /// UTF-8 bytes of a kept parameter's value. Default 1024.
        public var maxRawValueBytes: Int
        /// UTF-8 bytes of all kept names and values together. Default 4096.
        public var maxRawTotalBytes: Int

        public init(
            maxParameters: Int = FormDecoder.defaultMaxParameters, maxRawParameters: Int = 10,
            maxRawNameBytes: Int = 64, maxRawValueBytes: Int = 1024, maxRawTotalBytes: Int = 4096
        ) {
            self.maxParameters = maxParameters
            self.maxRawParameters = maxRawParameters
            self.maxRawNameBytes = maxRawNameBytes
            self.maxRawValueBytes = maxRawValueBytes
            self.maxRawTotalBytes = maxRawTotalBytes
        }

        public static let `default` = Limits()
    }

    /// RFC 6749 §4.1.2.1: the error codes an authorization server may return.
    public static let knownErrorCodes: [String] = [
        "invalid_request", "unauthorized_client", "access_denied", "unsupported_response_type",
        "invalid_scope", "server_error", "temporarily_unavailable",
    ]
    /// Longest item id accepted.
    public static let maxItemIdLength = 128
    /// Longest error code kept; longer ones are truncated.
    public static let maxErrorCodeLength = 128
    /// Longest `error_description`, `error_uri` and `iss` kept; longer ones are truncated.
    public static let maxErrorTextLength = 512

    /// Names whose values are secrets: never kept, not even in `rawParameters` (matched ignoring
    /// case). Only the presence of `code` and `state` is recorded.
    public static let secretParameterNames: Set<String> = [
        "code", "state", "id_token", "access_token", "refresh_token", "token", "client_secret",
        "code_verifier", "password",
    ]
    /// Parts of a name that make it secret wherever they appear, ignoring case (`connectToken`,
    /// `apiKey`, `x_client_secret`): a credential under a name this list does not spell out is
    /// still not kept.
    public static let secretNameFragments: [String] = [
        "token", "secret", "password", "passwd", "verifier", "assertion", "apikey", "api_key", "api-key",
        "credential",
    ]

    /// The Pluggy item id (`itemId` or `item_id`), validated.
    public var itemId: String?
    /// A `state` parameter was present (its value is never kept).
    public var statePresent: Bool
    /// A `code` parameter was present (its value is never kept).
    public var codePresent: Bool
    /// `error` and `error_description`, sanitized; nil when there is no `error`.
    public var error: LandingError?
    /// `error_uri`, sanitized.
    public var errorURI: String?
    /// `iss` (RFC 9207), sanitized.
    public var issuer: String?
    /// The non-secret parameters in order, values as received, bounded by `Limits`. They may hold
    /// anything: store them, never render them unescaped.
    public var rawParameters: [RawParameter]
    /// Non-secret parameters left out of `rawParameters` by `Limits`; more than 0 marks a record
    /// whose forensic copy is incomplete. (Secrets are never kept and never counted here.)
    public var droppedParameters: Int

    public init(
        itemId: String? = nil, statePresent: Bool = false, codePresent: Bool = false, error: LandingError? = nil,
        errorURI: String? = nil, issuer: String? = nil, rawParameters: [RawParameter] = [],
        droppedParameters: Int = 0
    ) {
        self.itemId = itemId
        self.statePresent = statePresent
        self.codePresent = codePresent
        self.error = error
        self.errorURI = errorURI
        self.issuer = issuer
        self.rawParameters = rawParameters
        self.droppedParameters = droppedParameters
    }

    /// Whether `error` holds one of RFC 6749's `knownErrorCodes`.
    public var hasKnownErrorCode: Bool {
        error.map { Self.knownErrorCodes.contains($0.code) } ?? false
    }

    /// Decodes a query string (without `?`) or a form body, then parses it.
    public static func parse(
        encoded bytes: some Collection<UInt8>, limits: Limits = .default
    ) -> Result<CallbackParameters, CallbackParameterError> {
        do {
            return parse(try FormDecoder.decode(bytes, maxParameters: limits.maxParameters), limits: limits)
        } catch {
            return .failure(.malformed(error))
        }
    }

    /// Parses decoded name/value pairs, in order.
    public static func parse(
        _ pairs: [(name: String, value: String)], limits: Limits = .default
    ) -> Result<CallbackParameters, CallbackParameterError> {
        // RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were omitted
        // from the request." Done first, so `itemId=&itemId=x` is one parameter, not a repeat.
        let pairs = pairs.filter { !$0.value.isEmpty }

        // RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once."
        // Names are case-sensitive; the repeat of a secret is refused like any other.
        if let repeated = firstRepeat(in: pairs) {
            return .failure(.repeatedParameter(sanitize(repeated, maxLength: maxItemIdLength)))
        }
        // The names read here, each at most once now.
        var camel: String?
        var snake: String?
        var errorCode: String?
        var errorDescription: String?
        var errorURI: String?
        var issuer: String?
        var result = CallbackParameters()
        for pair in pairs {
            switch pair.name {
            case "itemId": camel = pair.value
            case "item_id": snake = pair.value
            case "code": result.codePresent = true
            case "state": result.statePresent = true
            case "error": errorCode = pair.value
            case "error_description": errorDescription = pair.value
            case "error_uri": errorURI = pair.value
            case "iss": issuer = pair.value
            default: break
            }
        }

        // Pluggy's parameter is undocumented: both spellings are accepted. Both present with the
        // same value → accepted (one item); with different values → a repeat of the item id.
        if let camel, let snake, camel != snake { return .failure(.repeatedParameter("itemId")) }
        if let itemId = camel ?? snake {
            guard isValidItemId(itemId) else { return .failure(.invalidItemId) }
            result.itemId = itemId
        }

        // RFC 6749 §4.1.2.1: error = 1*NQSCHAR, error_uri = URI-reference, within %x20-21 /
        // %x23-5B / %x5D-7E. Out-of-set characters become `?`, so what is kept is safe plain ASCII
        // and never the raw text. error_description is shown to the user, whose bank may write it
        // in Portuguese: it keeps its UTF-8 (`displayText`: no controls, no bidi overrides, capped)
        // and is only ever rendered escaped, never put in a header or a URL.
        if let errorCode {
            result.error = LandingError(
                code: sanitize(errorCode, maxLength: maxErrorCodeLength), description: errorDescription.flatMap { displayText($0) })
        }
        result.errorURI = errorURI.map { sanitize($0, maxLength: maxErrorTextLength) }
        result.issuer = issuer.map(sanitizeIssuer)

        (result.rawParameters, result.droppedParameters) = forensics(pairs, limits: limits)
        return .success(result)
    }

    /// The name of the first pair (in order) whose name an earlier pair has, or nil.
    // why: a callback carries a handful of parameters; comparing each name with the earlier ones
    // costs less than hashing them all into a dictionary (done past `linearRepeatCheckLimit`).
    static func firstRepeat(in pairs: [(name: String, value: String)]) -> String? {
        if pairs.count <= linearRepeatCheckLimit {
            for index in pairs.indices where pairs[..<index].contains(where: { $0.name == pairs[index].name }) {
                return pairs[index].name
            }
            return nil
        }
        var seen: Set<String> = []
        seen.reserveCapacity(pairs.count)
        for pair in pairs where !seen.insert(pair.name).inserted { return pair.name }
        return nil
    }

    /// Most pairs `firstRepeat` compares pairwise.
    static let linearRepeatCheckLimit = 16

    /// Item ids: 1–128 characters of `A-Z a-z 0-9 . _ -` (Pluggy's are UUIDs).
    public static func isValidItemId(_ text: String) -> Bool {
        (1...maxItemIdLength).contains(text.utf8.count) && isPlainName(text)
    }

    /// One byte of an item id: `A-Z a-z 0-9 . _ -`.
    public static func isItemIDByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default: false
        }
    }

    /// Only `A-Z a-z 0-9 . _ -`, not empty.
    static func isPlainName(_ text: String) -> Bool {
        // why: a loop over the contiguous bytes; `utf8.allSatisfy` cost ~45 instructions a byte.
        var text = text
        return text.withUTF8 { bytes in !bytes.isEmpty && bytes.allSatisfy(isItemIDByte) }
    }

    /// The non-secret pairs, in order, bounded by `limits`: a pair whose name or value is too long,
    /// or that would take the total past `maxRawTotalBytes`, or that comes after `maxRawParameters`
    /// were kept, is left out and counted. A later, smaller pair may still fit.
    private static func forensics(
        _ pairs: [(name: String, value: String)], limits: Limits
    ) -> ([RawParameter], Int) {
        var kept: [RawParameter] = []
        var dropped = 0
        var total = 0
        for pair in pairs where !isSecret(pair.name) {
            let nameBytes = pair.name.utf8.count
            let valueBytes = pair.value.utf8.count
            if kept.count < limits.maxRawParameters, nameBytes <= limits.maxRawNameBytes,
                valueBytes <= limits.maxRawValueBytes, total + nameBytes + valueBytes <= limits.maxRawTotalBytes
            {
                kept.append(RawParameter(name: pair.name, value: pair.value))
                total += nameBytes + valueBytes
            } else {
                dropped += 1
            }
        }
        return (kept, dropped)
    }

    /// A secret name, ignoring case: one of `secretParameterNames` (`Code`, `STATE` are not
    /// OAuth's parameters, but whoever sent them may still have meant a secret), or a name holding
    /// one of `secretNameFragments`.
    static func isSecret(_ name: String) -> Bool {
        // why: the names this type reads itself are known not to be secret by the rule below
        // (`CallbackParametersTests` checks it); the common callback (`itemId` alone) then skips
        // lowercasing and the searches.
        !knownPlainNames.contains(name) && matchesSecretRule(name)
    }

    /// The names `isSecret` answers without `matchesSecretRule`.
    static let knownPlainNames = ["itemId", "item_id", "error", "error_description", "error_uri", "iss"]

    /// `isSecret`'s rule, for any name.
    static func matchesSecretRule(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return secretParameterNames.contains(lowered) || secretNameFragments.contains { TextSearch.contains(lowered, $0) }
    }
}
