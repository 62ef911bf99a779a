/// Where a PostgreSQL store lives: `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?PARAMS]` (also
/// `postgresql://`), in libpq's URI syntax — percent-encoding in every part, an IPv6 host in
/// brackets (`[::1]`), libpq connection parameters in the query (`sslmode`, `sslrootcert`,
/// `connect_timeout`, `application_name`, …). Pure: parsing and validation only; the shell hands
/// `connectionParameters` to libpq.
///
/// The password is a secret. It is kept out of `description`, `debugDescription`, the mirror
/// (`dump`), `redacted` and every error message; only `connectionParameters` carries it, as a
/// keyword/value pair for libpq (never as URI or conninfo text). It can come from the URI or, so
/// it need not be on the command line, from a file's contents (`withPassword(fileContents:)`).
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// One `?name=value` connection parameter, decoded.
    public struct Parameter: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// libpq's default port.
    public static let defaultPort = 5432

    /// `postgres` or `postgresql`, as written.
    public var scheme: String
    public var user: String
    /// The host name, IP address (an IPv6 address without its brackets) or, when it starts with
    /// `/`, the directory of a unix socket (written percent-encoded: `%2Fvar%2Frun%2Fpostgresql`).
    public var host: String
    /// The port as written; nil means libpq's default (`defaultPort`).
    public var port: Int?
    public var database: String
    /// The query's connection parameters, decoded, in the order written.
    public var parameters: [Parameter]
    /// The secret; see the type's documentation for where it may appear.
    private var password: String?

    /// Parameters whose value is a secret too: masked in `redacted` like the password.
    static let secretParameters: Set<String> = ["sslpassword"]

    /// Parts of the location that have their own place in the URI (or, for the password, in a
    /// file) and so are refused as query parameters, where they would silently win.
    static let refusedParameters: Set<String> = ["user", "password", "host", "port", "dbname"]

    /// The connection parameters libpq 15 accepts in a URI query (libpq's `PQconninfoOptions`),
    /// less `refusedParameters`: anything else is a typo that libpq would reject only at connect.
    static let knownParameters: Set<String> = [
        "application_name", "channel_binding", "client_encoding", "connect_timeout", "fallback_application_name",
        "gssencmode", "gsslib", "hostaddr", "keepalives", "keepalives_count", "keepalives_idle",
        "keepalives_interval", "krbsrvname", "options", "passfile", "replication", "requirepeer", "requiressl",
        "service", "ssl_max_protocol_version", "ssl_min_protocol_version", "sslcert", "sslcompression", "sslcrl",
        "sslcrldir", "sslkey", "sslmode", "sslpassword", "sslrootcert", "sslsni", "target_session_attrs",
        "tcp_user_timeout",
    ]

    /// The values libpq accepts for `sslmode`.
    static let sslModes: Set<String> = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

    /// Parameters whose value must be a non-negative integer (seconds, a count or milliseconds).
    static let integerParameters: Set<String> = [
        "connect_timeout", "keepalives", "keepalives_count", "keepalives_idle", "keepalives_interval",
        "tcp_user_timeout",
    ]

    /// Parses and validates a location. Throws for anything libpq would reject or read differently
    /// from what was meant: another scheme, a missing user, host or database, several hosts, a bad
    /// port, a bad percent-encoding, an unknown or repeated parameter, a bad `sslmode`.
    public init(parsing text: String) throws(PostgresLocationError) {
        let schemes = ["postgresql://", "postgres://"]
        guard let prefix = schemes.first(where: { text.hasPrefix($0) }) else {
            throw PostgresLocationError("it must start with postgres:// or postgresql://")
        }
        scheme = String(prefix.dropLast(3))
        var rest = Substring(text.dropFirst(prefix.count))
        guard !rest.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }) else {
            throw PostgresLocationError("it contains white space (percent-encode it as %20)")
        }
        guard !rest.contains("#") else {
            throw PostgresLocationError("it contains '#' (percent-encode it as %23)")
        }

        var query: Substring?
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        guard let slash = rest.firstIndex(of: "/") else {
            throw PostgresLocationError("the database name is missing (…@HOST[:PORT]/DB)")
        }
        let authority = rest[..<slash]
        let path = rest[rest.index(after: slash)...]

        let ats = authority.filter { $0 == "@" }.count
        guard ats > 0 else {
            throw PostgresLocationError("the user is missing (postgres://USER[:PASSWORD]@HOST…)")
        }
        guard ats == 1 else {
            throw PostgresLocationError("the user or password contains '@': percent-encode it as %40")
        }
        let at = authority.firstIndex(of: "@")!
        let userInfo = authority[..<at]
        let hostPort = authority[authority.index(after: at)...]

        // User and password: never echoed in a message, since the password is in this part.
        let rawUser: Substring
        if let colon = userInfo.firstIndex(of: ":") {
            rawUser = userInfo[..<colon]
            let rawPassword = userInfo[userInfo.index(after: colon)...]
            guard let decoded = Self.percentDecoded(rawPassword) else {
                throw PostgresLocationError("the password has an invalid percent-encoding")
            }
            password = decoded.isEmpty ? nil : decoded
        } else {
            rawUser = userInfo
            password = nil
        }
        guard let decodedUser = Self.percentDecoded(rawUser) else {
            throw PostgresLocationError("the user has an invalid percent-encoding")
        }
        guard !decodedUser.isEmpty else {
            throw PostgresLocationError("the user is missing (postgres://USER[:PASSWORD]@HOST…)")
        }
        user = decodedUser

        // Host and port.
        let rawHost: Substring
        let rawPort: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else {
                throw PostgresLocationError("the IPv6 address in '\(hostPort)' lacks its closing ']'")
            }
            rawHost = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if after.isEmpty {
                rawPort = nil
            } else if after.hasPrefix(":") {
                rawPort = after.dropFirst()
            } else {
                throw PostgresLocationError("unexpected '\(after)' after the IPv6 address (expected :PORT)")
            }
            guard !rawHost.isEmpty, rawHost.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." || $0 == "%" })
            else {
                throw PostgresLocationError("'\(rawHost)' is not an IPv6 address")
            }
            // A zone is percent-encoded: [fe80::1%25eth0].
            guard let decodedHost = Self.percentDecoded(rawHost) else {
                throw PostgresLocationError("the IPv6 address '\(rawHost)' has an invalid percent-encoding")
            }
            host = decodedHost
        } else {
            if let colon = hostPort.firstIndex(of: ":") {
                rawHost = hostPort[..<colon]
                rawPort = hostPort[hostPort.index(after: colon)...]
            } else {
                rawHost = hostPort
                rawPort = nil
            }
            guard !rawHost.contains(",") else {
                throw PostgresLocationError("several hosts are not supported; give one HOST[:PORT]")
            }
            guard let decodedHost = Self.percentDecoded(rawHost) else {
                throw PostgresLocationError("the host '\(rawHost)' has an invalid percent-encoding")
            }
            guard !decodedHost.isEmpty else {
                throw PostgresLocationError("the host is missing (…@HOST[:PORT]/DB)")
            }
            guard decodedHost.hasPrefix("/") || !decodedHost.contains(where: { $0 == "/" || $0 == "[" || $0 == "]" })
            else {
                throw PostgresLocationError("'\(decodedHost)' is not a host name, an IP address or a socket directory")
            }
            host = decodedHost
        }
        if let rawPort {
            guard !rawPort.isEmpty, rawPort.count <= 5, rawPort.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(rawPort), (1...65535).contains(value)
            else {
                throw PostgresLocationError("the port '\(rawPort)' is not a number from 1 to 65535")
            }
            port = value
        } else {
            port = nil
        }

        // Database.
        guard let decodedDatabase = Self.percentDecoded(path) else {
            throw PostgresLocationError("the database name has an invalid percent-encoding")
        }
        guard !decodedDatabase.isEmpty else {
            throw PostgresLocationError("the database name is missing (…@HOST[:PORT]/DB)")
        }
        database = decodedDatabase

        // Parameters.
        parameters = []
        if let query {
            for pair in query.split(separator: "&", omittingEmptySubsequences: false) {
                try parameters.append(Self.parameter(pair, after: parameters))
            }
        }
    }

    /// One `name=value` pair of the query, validated against the ones before it.
    private static func parameter(_ pair: Substring, after earlier: [Parameter]) throws(PostgresLocationError)
        -> Parameter
    {
        guard let equals = pair.firstIndex(of: "=") else {
            throw PostgresLocationError("the parameter '\(pair)' has no '=' (use NAME=VALUE, joined by '&')")
        }
        guard let name = percentDecoded(pair[..<equals]), !name.isEmpty else {
            throw PostgresLocationError("a parameter name in '\(pair)' is empty or badly percent-encoded")
        }
        if refusedParameters.contains(name) {
            if name == "password" {
                throw PostgresLocationError(
                    "give the password in the user part (USER:PASSWORD@) or in a password file, not as ?password=")
            }
            throw PostgresLocationError("give '\(name)' in the URI itself, not as a ?\(name)= parameter")
        }
        guard knownParameters.contains(name) else {
            throw PostgresLocationError("unknown connection parameter '\(name)'")
        }
        guard !earlier.contains(where: { $0.name == name }) else {
            throw PostgresLocationError("the parameter '\(name)' is given twice")
        }
        let isSecret = secretParameters.contains(name)
        guard let value = percentDecoded(pair[pair.index(after: equals)...]) else {
            throw PostgresLocationError(
                isSecret ? "the value of '\(name)' has an invalid percent-encoding"
                    : "the value in '\(pair)' has an invalid percent-encoding")
        }
        if name == "sslmode", !sslModes.contains(value) {
            throw PostgresLocationError(
                "sslmode '\(value)' is not one of \(sslModes.sorted().joined(separator: ", "))")
        }
        if integerParameters.contains(name) {
            guard !value.isEmpty, value.count <= 9, value.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw PostgresLocationError("\(name) '\(value)' is not a non-negative whole number")
            }
        }
        return Parameter(name, value)
    }

    /// Whether a password was given (in the URI or from a file).
    public var hasPassword: Bool { password != nil }

    /// The port libpq will use.
    public var effectivePort: Int { port ?? Self.defaultPort }

    /// The value of the query parameter `name`, if given.
    public func parameter(_ name: String) -> String? {
        parameters.first { $0.name == name }?.value
    }

    /// This location with the password read from a password file's `contents` (its first line,
    /// without the line end), so the password need not appear on the command line or in the URI.
    /// Refuses an empty password, and a location whose URI already has one (one place only).
    public func withPassword(fileContents contents: String) throws(PostgresLocationError) -> PostgresLocation {
        guard password == nil else {
            throw PostgresLocationError("the URI already has a password; give it either there or in the password file")
        }
        var line = Substring(contents)
        if let end = line.firstIndex(where: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            line = line[..<end]
        }
        guard !line.isEmpty else {
            throw PostgresLocationError("the password file is empty")
        }
        guard !line.contains("\0") else {
            throw PostgresLocationError("the password file contains a NUL byte")
        }
        var copy = self
        copy.password = String(line)
        return copy
    }

    /// Keyword/value pairs for libpq's `PQconnectdbParams`: host, port, dbname, user, password (when
    /// known), then the query's parameters. The only place the password leaves this type.
    public var connectionParameters: [(keyword: String, value: String)] {
        var result: [(keyword: String, value: String)] = [("host", host)]
        if let port { result.append(("port", String(port))) }
        result.append(("dbname", database))
        result.append(("user", user))
        if let password { result.append(("password", password)) }
        for parameter in parameters { result.append((parameter.name, parameter.value)) }
        return result
    }

    /// The location as a URI for logs, `check-config` and errors, with the password (and any secret
    /// parameter) shown as `***`: `postgres://user:***@host:5432/db?sslmode=require`. The port is
    /// always shown (libpq's default when none was written).
    public var redacted: String {
        var text = scheme + "://" + Self.percentEncoded(user)
        if password != nil { text += ":***" }
        text += "@"
        text += host.contains(":") ? "[\(host)]" : Self.percentEncoded(host)
        text += ":\(effectivePort)/" + Self.percentEncoded(database)
        if !parameters.isEmpty {
            let pairs = parameters.map { parameter in
                let value = Self.secretParameters.contains(parameter.name) ? "***" : Self.percentEncoded(parameter.value)
                return Self.percentEncoded(parameter.name) + "=" + value
            }
            text += "?" + pairs.joined(separator: "&")
        }
        return text
    }

    /// `user@host:port/database`, to name the server in messages.
    public var target: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(user)@\(shownHost):\(effectivePort)/\(database)"
    }

    public var description: String { redacted }
    public var debugDescription: String { "PostgresLocation(\(redacted))" }

    /// The fields without the password (and secret parameters masked), so `dump` and test failure
    /// output cannot show them.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "scheme": scheme, "user": user, "host": host, "port": port as Any, "database": database,
                "parameters": parameters.map { Self.secretParameters.contains($0.name) ? "\($0.name)=***" : "\($0.name)=\($0.value)" },
                "hasPassword": hasPassword,
            ])
    }

    // MARK: Percent-encoding (RFC 3986, section 2.1)

    /// `text` with every `%XX` decoded; nil when an escape is malformed, decodes to NUL (libpq
    /// refuses it) or the result is not UTF-8.
    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            let decoded = high << 4 | low
            guard decoded != 0 else { return nil }
            bytes.append(decoded)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `text` with everything but RFC 3986's unreserved characters percent-encoded.
    static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = Array("0123456789ABCDEF".unicodeScalars)
                result += "%"
                result.unicodeScalars.append(digits[Int(byte >> 4)])
                result.unicodeScalars.append(digits[Int(byte & 0xF)])
            }
        }
        return result
    }
}
