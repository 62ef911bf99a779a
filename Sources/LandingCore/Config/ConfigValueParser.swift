/// Why one value was refused; `ConfigLoader` wraps it in a `ConfigError` naming the value's source.
struct ConfigValueError: Error, Equatable {
    /// What is wrong and the expected form, e.g. `port 70000 is out of range 0–65535`.
    let reason: String
    /// False when the value must not be repeated in the message (it may hold a password).
    let echoesValue: Bool

    init(reason: String, echoesValue: Bool = true) {
        self.reason = reason
        self.echoesValue = echoesValue
    }
}

/// Parses the text of one setting, whatever its source (flag, environment, JSON file), into a
/// typed value. Strict on purpose: `10s`, ` 10`, `1e3`, `-1`, `nan` and empty values are refused
/// rather than guessed at.
enum ConfigValueParser {
    /// `HOST:PORT`, `[IPv6]:PORT`; port 0–65535 (0: the kernel picks a free port).
    static func listenAddress(_ text: String) throws(ConfigValueError) -> ServerConfig.ListenAddress {
        let expected = "expected HOST:PORT, e.g. 0.0.0.0:8443, localhost:0 or [::1]:8443"
        guard !text.isEmpty else { throw ConfigValueError(reason: "empty; \(expected)") }
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ConfigValueError(reason: "missing ']' after the IPv6 address; \(expected)")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw ConfigValueError(reason: "missing ':PORT' after ']'; \(expected)")
            }
            guard HostSyntax.isIPv6(host) else {
                throw ConfigValueError(reason: "\(ConfigText.quoted(String(host))) is not an IPv6 address")
            }
            port = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ConfigValueError(reason: "missing ':PORT'; \(expected)")
            }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            guard !host.contains(":") else {
                throw ConfigValueError(reason: "an IPv6 address goes in brackets, e.g. [::1]:8443")
            }
            guard !host.isEmpty else {
                throw ConfigValueError(reason: "missing host (use 0.0.0.0 or [::] for every interface); \(expected)")
            }
            guard HostSyntax.isNameOrIPv4(host) else {
                throw ConfigValueError(
                    reason: "\(ConfigText.quoted(String(host))) is neither an IPv4 address nor a host name")
            }
        }
        return ServerConfig.ListenAddress(host: String(host), port: try self.port(port, allowed: 0...65535))
    }

    /// A TCP port: 1–5 ASCII digits within `allowed`.
    static func port(_ text: Substring, allowed: ClosedRange<Int>) throws(ConfigValueError) -> Int {
        guard !text.isEmpty else { throw ConfigValueError(reason: "missing port number after ':'") }
        guard text.utf8.allSatisfy(HostSyntax.isDigit) else {
            throw ConfigValueError(
                reason:
                    "port \(ConfigText.quoted(String(text))) is not a number from \(allowed.lowerBound) to \(allowed.upperBound)"
            )
        }
        guard text.utf8.count <= 5, let value = Int(text), allowed.contains(value) else {
            throw ConfigValueError(
                reason: "port \(text) is out of range \(allowed.lowerBound)–\(allowed.upperBound)")
        }
        return value
    }

    /// A whole number of ASCII digits (no sign, no spaces) within `range`; `unit` names what it
    /// counts in messages ("bytes", "fields", "threads").
    static func integer(_ text: String, in range: ClosedRange<Int>, unit: String) throws(ConfigValueError) -> Int {
        let expected = "expected a whole number of \(unit) from \(range.lowerBound) to \(range.upperBound)"
        guard !text.isEmpty else { throw ConfigValueError(reason: "empty; \(expected)") }
        guard text.utf8.allSatisfy(HostSyntax.isDigit) else {
            throw ConfigValueError(reason: expected)
        }
        // why: Int("99999999999999999999") is nil; digits beyond 18 are out of range anyway.
        guard text.utf8.count <= 18, let value = Int(text), range.contains(value) else {
            throw ConfigValueError(reason: "out of range; \(expected)")
        }
        return value
    }

    /// A duration in seconds written `DIGITS[.DIGITS]` (`10`, `0.3`), within `range`.
    static func seconds(_ text: String, in range: ClosedRange<Double>) throws(ConfigValueError) -> Double {
        let bounds = "from \(ConfigText.decimal(range.lowerBound)) to \(ConfigText.decimal(range.upperBound))"
        let expected = "expected seconds as a decimal number like 10 or 0.5, \(bounds)"
        guard !text.isEmpty else { throw ConfigValueError(reason: "empty; \(expected)") }
        guard text.utf8.count <= 32, isPlainDecimal(text), let value = Double(text) else {
            throw ConfigValueError(reason: expected)
        }
        guard range.contains(value) else {
            throw ConfigValueError(reason: "out of range; \(expected)")
        }
        return value
    }

    /// A duration in seconds like `seconds(_:in:)`, but more than `range.lowerBound` (excluded,
    /// because `why` must finish first) and at most `range.upperBound`.
    static func seconds(
        _ text: String, above range: ClosedRange<Double>, why: String
    ) throws(ConfigValueError) -> Double {
        let bounds =
            "more than \(ConfigText.decimal(range.lowerBound)) (\(why)) and at most \(ConfigText.decimal(range.upperBound))"
        let expected = "expected seconds as a decimal number like 90 or 90.5, \(bounds)"
        guard !text.isEmpty else { throw ConfigValueError(reason: "empty; \(expected)") }
        guard text.utf8.count <= 32, isPlainDecimal(text), let value = Double(text) else {
            throw ConfigValueError(reason: expected)
        }
        guard value > range.lowerBound, value <= range.upperBound else {
            throw ConfigValueError(reason: "out of range; \(expected)")
        }
        return value
    }

    /// `1`, `true`, `0`, `false` (any letter case).
    static func boolean(_ text: String) throws(ConfigValueError) -> Bool {
        switch text.lowercased() {
        case "1", "true": return true
        case "0", "false": return false
        default: throw ConfigValueError(reason: "expected 1, true, 0 or false")
        }
    }

    /// `on` or `off`.
    static func onOff(_ text: String) throws(ConfigValueError) -> Bool {
        switch text {
        case "on": return true
        case "off": return false
        default: throw ConfigValueError(reason: "expected on or off")
        }
    }

    /// One of `ServerConfig.LogLevel`'s names, lower case.
    static func logLevel(_ text: String) throws(ConfigValueError) -> ServerConfig.LogLevel {
        guard let level = ServerConfig.LogLevel(rawValue: text) else {
            let names = ServerConfig.LogLevel.allCases.map(\.rawValue)
            throw ConfigValueError(reason: "expected \(ConfigText.list(names))")
        }
        return level
    }

    /// A file or directory path: not empty, no control characters. Relative paths are relative to
    /// the working directory (also inside a `--config` file).
    static func path(_ text: String) throws(ConfigValueError) -> String {
        guard !text.isEmpty else { throw ConfigValueError(reason: "empty; expected a file path") }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw ConfigValueError(reason: "a path must not contain control characters")
        }
        return text
    }

    /// An address block (`10.0.0.0/8`, `fd00::/8`, `192.0.2.7`), written back in its canonical
    /// form (`192.0.2.7/32`); host bits after the prefix are refused (`CIDRBlock(parsing:)`).
    static func cidrBlock(_ text: String) throws(ConfigValueError) -> String {
        do {
            return try CIDRBlock(parsing: text).description
        } catch {
            throw ConfigValueError(reason: error.description)
        }
    }

    /// `1*DIGIT [ "." 1*DIGIT ]`: what `Double(_:)` would accept minus signs, exponents, hex,
    /// `nan` and `inf`.
    static func isPlainDecimal(_ text: String) -> Bool {
        var sawDot = false
        var digitsInPart = 0
        for byte in text.utf8 {
            if HostSyntax.isDigit(byte) {
                digitsInPart += 1
            } else if byte == UInt8(ascii: "."), !sawDot, digitsInPart > 0 {
                sawDot = true
                digitsInPart = 0
            } else {
                return false
            }
        }
        return digitsInPart > 0
    }
}
