/// What the checks `serve` runs before it listens found (`Preflight` in the executable): `serve`
/// stops on the first error, `check-config` prints all of it. One value for both, so the two
/// cannot disagree about whether a configuration starts.
public struct ConfigCheckReport: Sendable, Equatable {
    /// One problem, or one thing the operator should know.
    public struct Finding: Sendable, Equatable {
        public enum Severity: String, Sendable {
            /// `serve` would not start.
            case error
            /// `serve` starts, but something is probably not what the operator wants.
            case warning
        }

        public var severity: Severity
        /// Which check found it: `public-url`, `tls`, `templates`, `store`, `api-keys`, `listen`...
        public var check: String
        /// One line: what is wrong and how to fix it. Never a secret.
        public var message: String
        /// `serve`'s exit status for an error: 2 for the configuration, 1 for the environment
        /// (a database that cannot be reached, an address that cannot be resolved).
        public var exitCode: Int32

        public static func error(_ check: String, _ message: String, exitCode: Int32 = 2) -> Finding {
            Finding(severity: .error, check: check, message: message, exitCode: exitCode)
        }

        public static func warning(_ check: String, _ message: String) -> Finding {
            Finding(severity: .warning, check: check, message: message, exitCode: 0)
        }
    }

    /// The settings as given (secrets are masked when printed).
    public var config: ServerConfig
    /// Values the checks worked out that the settings do not show, in order: what `--dev` derives,
    /// where secrets came from, the templates directory used, the certificate's fingerprint and expiry.
    public var derived: [(name: String, value: String)] = []
    public var findings: [Finding] = []

    public init(config: ServerConfig) {
        self.config = config
    }

    public static func == (a: ConfigCheckReport, b: ConfigCheckReport) -> Bool {
        a.config == b.config && a.findings == b.findings && a.derived.elementsEqual(b.derived) { $0 == $1 }
    }

    public var errors: [Finding] { findings.filter { $0.severity == .error } }
    public var warnings: [Finding] { findings.filter { $0.severity == .warning } }
    /// Whether `serve` would start.
    public var isOK: Bool { errors.isEmpty }
    /// `serve`'s exit status for the first error, 0 when there is none.
    public var exitCode: Int32 { errors.first?.exitCode ?? 0 }

    public mutating func add(_ finding: Finding) { findings.append(finding) }
    public mutating func derive(_ name: String, _ value: String) { derived.append((name, value)) }

    /// For people, what goes to standard output: the effective settings (`name = value`), then
    /// the derived values as `# name: value` comments.
    public func settingsText() -> String {
        var text = config.effectiveDescription
        for (name, value) in derived {
            text += "# \(name): \(Self.oneLine(value))\n"
        }
        return text
    }

    /// For people, what goes to standard error: one `error: CHECK: …` / `warning: CHECK: …` line
    /// per finding (errors first, each as `serve` would print it), then the verdict.
    public func findingsText() -> String {
        var text = ""
        for finding in errors + warnings {
            text += "\(finding.severity.rawValue): \(finding.check): \(Self.oneLine(finding.message))\n"
        }
        if isOK {
            text += warnings.isEmpty ? "OK: serve would start\n" : "OK: serve would start (\(warnings.count) warning\(warnings.count == 1 ? "" : "s"))\n"
        } else {
            text += "FAILED: serve would not start (exit status \(exitCode))\n"
        }
        return text
    }

    /// `text` on one line: control and format characters escaped, so a value cannot forge a line.
    static func oneLine(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.properties.generalCategory == .format {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// For programs: one JSON object, `{"ok", "exitCode", "settings", "derived", "errors",
    /// "warnings"}`; `settings` maps each option name to its value (a number for numeric options, a
    /// boolean for flags, else a string; an array for repeatable options; null when unset), secrets
    /// as `****`.
    public func json() -> String {
        var out: [UInt8] = []
        func quoted(_ s: String) { JSONLine.appendQuoted(s, to: &out) }
        func raw(_ s: String) { out.append(contentsOf: s.utf8) }
        raw("{\"ok\":\(isOK),\"exitCode\":\(exitCode),\"settings\":{")
        for (index, setting) in config.effectiveValues.enumerated() {
            if index > 0 { raw(",") }
            quoted(setting.name)
            raw(":")
            let kind = ConfigOption.all.first { $0.name == setting.name }?.kind
            switch setting.value {
            case .none: raw("null")
            case .single(let value) where kind == .integer || kind == .decimal:
                // The value was parsed as a number, so it is one (no quotes needed, none allowed).
                if Double(value) != nil, value.allSatisfy({ "0123456789.-".contains($0) }) { raw(value) } else { quoted(value) }
            case .single(let value) where kind == .boolean:
                raw(value == "true" ? "true" : "false")
            case .single(let value): quoted(value)
            case .list(let items):
                raw("[")
                for (i, item) in items.enumerated() {
                    if i > 0 { raw(",") }
                    quoted(item)
                }
                raw("]")
            }
        }
        raw("},\"derived\":{")
        for (index, item) in derived.enumerated() {
            if index > 0 { raw(",") }
            quoted(item.name)
            raw(":")
            quoted(item.value)
        }
        raw("}")
        for (key, list) in [("errors", errors), ("warnings", warnings)] {
            raw(",\"\(key)\":[")
            for (index, finding) in list.enumerated() {
                if index > 0 { raw(",") }
                raw("{\"check\":")
                quoted(finding.check)
                raw(",\"message\":")
                quoted(finding.message)
                if finding.severity == .error { raw(",\"exitCode\":\(finding.exitCode)") }
                raw("}")
            }
            raw("]")
        }
        raw("}\n")
        return String(decoding: out, as: UTF8.self)
    }
}
