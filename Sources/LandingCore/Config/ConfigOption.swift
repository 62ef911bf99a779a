/// One option of `serve`/`check-config`: its flag (`--name`), environment variable
/// (`OAUTH_LANDING_NAME`), `--config` JSON key (`name`), how its text becomes part of a
/// `ServerConfig`, and how its effective value reads back. `ConfigLoader`, `UsageText`,
/// `ServerConfig.validate()` and `ServerConfig.effectiveDescription` all work from the one table
/// (`ConfigOption.all`), so they cannot disagree.
struct ConfigOption: Sendable {
    /// The value's shape: decides the flag syntax (booleans take no separate argument) and which
    /// JSON types a config file may use.
    enum Kind: Sendable, Equatable {
        /// A string (address, path, URL, name). JSON: string.
        case text
        /// A whole number. JSON: number.
        case integer
        /// Seconds, `DIGITS[.DIGITS]`. JSON: number.
        case decimal
        /// `--name` alone means true; text `1`/`true`/`0`/`false`. JSON: boolean, or one of those strings.
        case boolean
        /// `on`/`off`. JSON: `"on"`/`"off"`, or a boolean.
        case onOff

        /// For "must be …" messages about JSON types.
        var jsonExpectation: String {
            switch self {
            case .text: "a string"
            case .integer: "a whole number"
            case .decimal: "a number"
            case .boolean: "a boolean (or \"1\", \"true\", \"0\", \"false\")"
            case .onOff: "\"on\" or \"off\" (or a boolean)"
            }
        }
    }

    /// What the option sets.
    enum Target: Sendable {
        /// `--config FILE`: read by the loader itself, before everything else.
        case configFile
        /// A `ServerConfig` field. `apply` parses text into it; `read` gives the effective value as
        /// text `apply` accepts back, or nil when unset.
        case setting(
            apply: @Sendable (inout ServerConfig, String) throws(ConfigValueError) -> Void,
            read: @Sendable (ServerConfig) -> String?
        )
    }

    /// The flag without dashes; also the JSON key.
    let name: String
    let kind: Kind
    /// The placeholder in the usage and in "needs a value" messages (`HOST:PORT`); unused for booleans.
    let valueName: String
    /// One or two sentences for the usage text.
    let summary: String
    let target: Target

    /// `--name`.
    var flag: String { "--" + name }

    /// `OAUTH_LANDING_` + the name in upper case with dashes as underscores.
    var environmentName: String {
        ConfigLoader.environmentPrefix + String(name.uppercased().map { $0 == "-" ? "_" : $0 })
    }

    /// True when the flag consumes a value (`--listen X`); booleans only take `--dev=false`.
    var takesValue: Bool { kind != .boolean }
}
