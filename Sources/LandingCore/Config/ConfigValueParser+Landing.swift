extension ConfigValueParser {
    /// `--store`: `sqlite:PATH` (an SQLite database file; `PATH` as for `path(_:)`), `memory:`, or
    /// `postgres://…`/`postgresql://…` (`PostgresLocation`; errors never repeat the value, which
    /// may hold a password). The prefix is exact and lower case.
    static func store(_ text: String) throws(ConfigValueError) -> StoreLocation {
        let expected =
            "expected sqlite:PATH (e.g. sqlite:data/landing.db), memory:, or postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?PARAMS]"
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            do {
                return .postgres(try PostgresLocation(parsing: text))
            } catch {
                throw ConfigValueError(reason: "not a valid PostgreSQL URI: \(error.message)", echoesValue: false)
            }
        }
        guard !text.isEmpty else { throw ConfigValueError(reason: "empty; \(expected)") }
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else {
                throw ConfigValueError(reason: "sqlite: needs a database file path, e.g. sqlite:data/landing.db")
            }
            return .sqlite(path: try self.path(path))
        }
        if text.hasPrefix("memory:") {
            guard text == "memory:" else { throw ConfigValueError(reason: "memory: takes nothing after the colon") }
            return .memory
        }
        throw ConfigValueError(reason: expected)
    }

    /// Accepted lengths of one `--api-key`.
    static let apiKeyLength = 16...256

    /// One `--api-key`: 16–256 visible ASCII characters (`%x21-7E`), no comma. Secret: no message
    /// repeats the key or any part of it.
    static func apiKey(_ text: String) throws(ConfigValueError) -> String {
        let expected =
            "expected \(apiKeyLength.lowerBound) to \(apiKeyLength.upperBound) visible ASCII characters"
            + " without spaces or commas"
        guard !text.isEmpty else { throw ConfigValueError(reason: "empty; \(expected)", echoesValue: false) }
        guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "," }) else {
            throw ConfigValueError(
                reason: "contains a space, a comma, a control or a non-ASCII character; \(expected)",
                echoesValue: false)
        }
        guard apiKeyLength.contains(text.utf8.count) else {
            let problem = text.utf8.count < apiKeyLength.lowerBound ? "too short" : "too long"
            throw ConfigValueError(reason: "\(problem); \(expected)", echoesValue: false)
        }
        return text
    }

    /// `--android-package`: a Java package name, the form of an Android application id:
    ///   `^[a-zA-Z][a-zA-Z0-9_]*(\.[a-zA-Z][a-zA-Z0-9_]*)+$` (two segments at least).
    static func androidPackage(_ text: String) throws(ConfigValueError) -> String {
        let expected =
            "expected a package name like com.example.app: two or more dot-separated parts, each"
            + " a letter followed by letters, digits or '_'"
        guard !text.isEmpty else { throw ConfigValueError(reason: "empty; \(expected)") }
        let parts = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        let valid =
            parts.count >= 2
            && parts.allSatisfy { part in
                guard let first = part.first, HostSyntax.isLetterOrDigit(first), !HostSyntax.isDigit(first) else {
                    return false
                }
                return part.allSatisfy { HostSyntax.isLetterOrDigit($0) || $0 == UInt8(ascii: "_") }
            }
        guard valid else { throw ConfigValueError(reason: expected) }
        return text
    }

    /// First path segments `--callback-path` may not use: the API (`/v1/…`), the health, readiness
    /// and metrics endpoints, and the QA page. Compared without regard to letter case.
    static let reservedCallbackSegments: [String] = ["v1", "healthz", "readyz", "metrics", "qa"]

    /// `--callback-path`: the callback endpoint's path, also the prefix of `PATH/{sessionId}`.
    ///   path    = 1*( "/" segment )               → starts with "/", no trailing "/", no "//"
    ///   segment = 1*( ALPHA / DIGIT / "." / "_" / "~" / "-" ), not "." or ".."
    /// (RFC 3986 §2.3 unreserved characters only, so the path needs no percent-encoding.) Its first
    /// segment may not be one of `reservedCallbackSegments`.
    static func callbackPath(_ text: String) throws(ConfigValueError) -> String {
        let expected = "expected a path like /oauth/callback"
        guard !text.isEmpty else { throw ConfigValueError(reason: "empty; \(expected)") }
        guard text.hasPrefix("/") else { throw ConfigValueError(reason: "must start with '/'; \(expected)") }
        guard text != "/" else {
            throw ConfigValueError(reason: "the root path is the landing page; \(expected)")
        }
        guard !text.hasSuffix("/") else { throw ConfigValueError(reason: "must not end with '/'; \(expected)") }
        let segments = text.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        let allowedMarks = Set("._~-".utf8)
        for segment in segments {
            guard !segment.isEmpty else { throw ConfigValueError(reason: "must not contain '//'; \(expected)") }
            guard segment.allSatisfy({ HostSyntax.isLetterOrDigit($0) || allowedMarks.contains($0) }) else {
                throw ConfigValueError(
                    reason: "a path segment may only hold letters, digits, '.', '_', '~' and '-'; \(expected)")
            }
            let name = String(decoding: segment, as: UTF8.self)
            guard name != ".", name != ".." else {
                throw ConfigValueError(reason: "'.' and '..' segments are not allowed; \(expected)")
            }
        }
        let first = String(decoding: segments[0], as: UTF8.self).lowercased()
        if reservedCallbackSegments.contains(first) {
            let reserved = reservedCallbackSegments.map { "/" + $0 }
            throw ConfigValueError(
                reason: "/\(first) is used by the server itself (\(ConfigText.list(reserved, conjunction: "and"))"
                    + " and the paths under them are reserved)")
        }
        return text
    }

    /// One item of a repeatable option, before its own parser: items cannot hold a comma, since
    /// commas separate them in the environment. `echoesValue` follows the item parser's.
    static func listItem(
        _ text: String, _ parse: (String) throws(ConfigValueError) -> String
    ) throws(ConfigValueError) -> String {
        guard !text.contains(ConfigOption.listSeparator) else {
            throw ConfigValueError(
                reason: "an item cannot contain a comma; give each value on its own (repeat the flag, or use"
                    + " a JSON array; in the environment, commas separate the values)")
        }
        return try parse(text)
    }

    /// A Pluggy client id or secret: 1–256 visible ASCII characters (they are UUID-like). A secret
    /// is never repeated in a message.
    static func pluggyCredential(_ text: String, secret: Bool = false) throws(ConfigValueError) -> String {
        guard (1...256).contains(text.utf8.count), text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw ConfigValueError(reason: "expected 1 to 256 visible ASCII characters", echoesValue: !secret)
        }
        return text
    }
}
