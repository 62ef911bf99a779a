/// Why the command line, the `OAUTH_LANDING_*` environment or a `--config` file could not be turned
/// into a `Command`. `description` says exactly what is wrong: which flag, variable or key, the bad
/// value (never for a secret), and the expected form. The executable prints it with the usage and
/// exits with status 2.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    /// Where a value came from, so the operator knows what to fix.
    enum Source: Equatable, Sendable, CustomStringConvertible {
        /// `--name` on the command line (`name` without dashes).
        case flag(String)
        /// An environment variable, by its full name.
        case environment(String)
        /// A key of a `--config` JSON file.
        case configFile(path: String, key: String)
        /// A field of a `ServerConfig` checked by `validate()` (built in code, not parsed).
        case setting(String)

        var description: String {
            switch self {
            case .flag(let name): "--\(name)"
            case .environment(let name): "environment variable \(name)"
            case .configFile(let path, let key): "key \"\(key)\" of config file \(ConfigText.quoted(path))"
            case .setting(let name): "setting \(name)"
            }
        }
    }

    private enum Kind: Equatable {
        case unknownSubcommand(String, suggestion: String?)
        case unknownFlag(String, subcommand: String, suggestion: String?)
        case missingValue(flag: String, valueName: String)
        case unexpectedFlagValue(flag: String)
        case unexpectedArgument(String, subcommand: String)
        case unknownHelpTopic(String)
        case invalidValue(source: Source, value: String?, reason: String)
        case unreadableConfigFile(path: String, source: Source, reason: String)
        case malformedConfigFile(path: String, line: Int, column: Int, reason: String)
        case configFileNotAnObject(path: String, found: String)
        case unknownConfigKey(path: String, key: String, suggestion: String?)
        case configKeyNotAllowed(path: String, key: String)
        case duplicateConfigKey(path: String, key: String)
        case wrongConfigType(path: String, key: String, expected: String, found: String)
        case conflict(String)
        case unknownEnvironmentVariable(String, suggestion: String?)
    }

    private let kind: Kind

    private init(_ kind: Kind) { self.kind = kind }

    /// The first argument is neither a flag nor a known subcommand.
    static func unknownSubcommand(_ name: String, suggestion: String? = nil) -> ConfigError {
        ConfigError(.unknownSubcommand(name, suggestion: suggestion))
    }
    /// A `-x`/`--name` the subcommand does not know (`flag` as typed, `=value` removed).
    static func unknownFlag(_ flag: String, subcommand: String, suggestion: String? = nil) -> ConfigError {
        ConfigError(.unknownFlag(flag, subcommand: subcommand, suggestion: suggestion))
    }
    /// A flag that takes a value came last, or was followed by another `--flag`.
    static func missingValue(flag: String, valueName: String) -> ConfigError {
        ConfigError(.missingValue(flag: flag, valueName: valueName))
    }
    /// `--help=x`, `--version=x`.
    static func unexpectedFlagValue(flag: String) -> ConfigError {
        ConfigError(.unexpectedFlagValue(flag: flag))
    }
    /// A positional argument: no subcommand takes any (other than `help SUBCOMMAND`).
    static func unexpectedArgument(_ argument: String, subcommand: String) -> ConfigError {
        ConfigError(.unexpectedArgument(argument, subcommand: subcommand))
    }
    /// `help NAME` where NAME is not a subcommand.
    static func unknownHelpTopic(_ topic: String) -> ConfigError {
        ConfigError(.unknownHelpTopic(topic))
    }
    /// A value that does not parse or is out of range; `value` is nil for secrets (never echoed).
    static func invalidValue(source: Source, value: String?, reason: String) -> ConfigError {
        ConfigError(.invalidValue(source: source, value: value, reason: reason))
    }
    /// `readFile` threw for the `--config` path.
    static func unreadableConfigFile(path: String, source: Source, reason: String) -> ConfigError {
        ConfigError(.unreadableConfigFile(path: path, source: source, reason: reason))
    }
    /// The `--config` file is not JSON (RFC 8259); `line`/`column` are 1-based.
    static func malformedConfigFile(path: String, line: Int, column: Int, reason: String) -> ConfigError {
        ConfigError(.malformedConfigFile(path: path, line: line, column: column, reason: reason))
    }
    /// The `--config` file is JSON, but not an object.
    static func configFileNotAnObject(path: String, found: String) -> ConfigError {
        ConfigError(.configFileNotAnObject(path: path, found: found))
    }
    /// A key that names no setting.
    static func unknownConfigKey(path: String, key: String, suggestion: String? = nil) -> ConfigError {
        ConfigError(.unknownConfigKey(path: path, key: key, suggestion: suggestion))
    }
    /// A key that names a flag a file cannot set (`config`: files do not include files).
    static func configKeyNotAllowed(path: String, key: String) -> ConfigError {
        ConfigError(.configKeyNotAllowed(path: path, key: key))
    }
    /// A key given twice in the same object (RFC 8259 §4 leaves the meaning open; we refuse).
    static func duplicateConfigKey(path: String, key: String) -> ConfigError {
        ConfigError(.duplicateConfigKey(path: path, key: key))
    }
    /// A key whose JSON type does not fit the setting (`"dev": 1`, `"header-timeout": "5"`).
    static func wrongConfigType(path: String, key: String, expected: String, found: String) -> ConfigError {
        ConfigError(.wrongConfigType(path: path, key: key, expected: expected, found: found))
    }
    /// An `OAUTH_LANDING_*` variable no option reads (a typo would otherwise be ignored silently).
    static func unknownEnvironmentVariable(_ name: String, suggestion: String? = nil) -> ConfigError {
        ConfigError(.unknownEnvironmentVariable(name, suggestion: suggestion))
    }
    /// Settings that are valid one by one but not together.
    public static func conflict(_ message: String) -> ConfigError {
        ConfigError(.conflict(message))
    }

    public var description: String {
        switch kind {
        case .unknownSubcommand(let name, let suggestion):
            "unknown subcommand \(ConfigText.quoted(name)) (expected serve, check-config, dev-cert, qa-links or help)"
                + Self.hint(suggestion)
        case .unknownFlag(let flag, let subcommand, let suggestion):
            "unknown option \(ConfigText.quoted(flag)) for \(subcommand)" + Self.hint(suggestion)
        case .missingValue(let flag, let valueName):
            "option \(flag) needs a value: \(flag) \(valueName) or \(flag)=\(valueName)"
        case .unexpectedFlagValue(let flag):
            "option \(flag) takes no value"
        case .unexpectedArgument(let argument, let subcommand):
            "unexpected argument \(ConfigText.quoted(argument)): \(subcommand) takes options only"
        case .unknownHelpTopic(let topic):
            "no help for \(ConfigText.quoted(topic)) (expected serve, check-config, dev-cert or qa-links)"
        case .invalidValue(let source, let value, let reason):
            if let value {
                "invalid value \(ConfigText.quoted(value)) for \(source): \(reason)"
            } else {
                "invalid value for \(source): \(reason)"
            }
        case .unreadableConfigFile(let path, let source, let reason):
            "cannot read config file \(ConfigText.quoted(path)) (from \(source)): \(reason)"
        case .malformedConfigFile(let path, let line, let column, let reason):
            "config file \(ConfigText.quoted(path)) is not valid JSON: line \(line), column \(column): \(reason)"
        case .configFileNotAnObject(let path, let found):
            "config file \(ConfigText.quoted(path)) must hold a JSON object of settings, found \(found)"
        case .unknownEnvironmentVariable(let name, let suggestion):
            "unknown environment variable \(ConfigText.escaped(name, limit: ConfigText.maxQuotedLength))"
                + (suggestion.map { " (did you mean \($0)?)" } ?? "")
                + "; unset it, or pass --allow-unknown-env if another tool shares the prefix"
        case .unknownConfigKey(let path, let key, let suggestion):
            "unknown key \"\(ConfigText.escaped(key, limit: ConfigText.maxQuotedLength))\" in config file "
                + ConfigText.quoted(path) + Self.hint(suggestion.map { "\"\($0)\"" })
        case .configKeyNotAllowed(let path, let key):
            "key \"\(key)\" is not allowed in config file \(ConfigText.quoted(path)) (config files do not include other files)"
        case .duplicateConfigKey(let path, let key):
            "key \"\(ConfigText.escaped(key, limit: ConfigText.maxQuotedLength))\" appears twice in config file "
                + ConfigText.quoted(path)
        case .wrongConfigType(let path, let key, let expected, let found):
            "key \"\(key)\" of config file \(ConfigText.quoted(path)) must be \(expected), found \(found)"
        case .conflict(let message):
            message
        }
    }

    private static func hint(_ suggestion: String?) -> String {
        suggestion.map { "; did you mean \($0)?" } ?? ""
    }
}
