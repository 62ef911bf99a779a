/// One option of `serve`/`check-config`: its flag (`--name`), environment variable
/// (`OAUTH_LANDING_NAME`), `--config` JSON key (`name`), how its text becomes part of a
/// `ServerConfig`, and how its effective value reads back. `ConfigLoader`, `UsageText`,
/// `ServerConfig.validate()` and `ServerConfig.effectiveDescription` all work from the one table
/// (`ConfigOption.all`), so they cannot disagree.
///
/// A repeatable option (target `.list`) sets a `[String]` field: its flag may be given several
/// times and the values accumulate; its environment variable is a comma-separated list; its JSON
/// key takes a string (one item) or an array of strings. Each source replaces the whole list of
/// the sources below it (defaults < file < environment < flags), so an item cannot hold a comma.
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

        /// For "must be …" messages about the JSON types of a repeatable option.
        var jsonListExpectation: String {
            switch self {
            case .text: "a string or an array of strings"
            default: "\(jsonExpectation), or an array of such values"
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
        /// A repeatable `[String]` field of `ServerConfig`. `parse` checks one item and returns it
        /// normalized (it refuses commas, which separate items in the environment); `read` gives
        /// the effective items, each text `parse` accepts back; `write` replaces the whole list.
        case list(
            parse: @Sendable (String) throws(ConfigValueError) -> String,
            read: @Sendable (ServerConfig) -> [String],
            write: @Sendable (inout ServerConfig, [String]) -> Void
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

    /// True for a `.list` option: repeated flags accumulate instead of the last one winning.
    var isRepeatable: Bool {
        if case .list = target { true } else { false }
    }

    /// What the option's JSON key must hold, for "must be …" messages.
    var jsonExpectation: String { isRepeatable ? kind.jsonListExpectation : kind.jsonExpectation }

    /// Separates the items of a repeatable option's environment variable (`KEY1,KEY2`).
    static let listSeparator: Character = ","
}
