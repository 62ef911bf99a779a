/// Turns the command line, the environment and an optional `--config` JSON file into a `Command`.
/// Pure: the file is read through the injected `readFile`, nothing is printed, nothing exits.
///
/// Grammar (`[…]` optional; `serve` is implied when the first argument is a flag or there is none):
///
///     oauth-landing [serve] [OPTION…]      oauth-landing check-config [OPTION…]
///     oauth-landing dev-cert [--out DIR]   oauth-landing help [SUBCOMMAND]
///     oauth-landing qa-links [--base URL]  oauth-landing [SUBCOMMAND] --help | -h
///     oauth-landing --version
///
/// - An option is `--name value` or `--name=value`; a boolean is `--name` or `--name=true|false`.
///   A value may not start with `--` in the first form (`--name=--x` passes one).
/// - A flag given twice: the last one wins, as with any later source. A repeatable option
///   (`--api-key`, `--allowed-return-url`, `--opener-origin`) accumulates instead.
/// - `--` ends the options; any argument after it is an error, since no subcommand takes positional
///   arguments.
/// - `--help`/`-h`/`--version` win over anything else on the line, including unknown options and
///   bad values, so help is always reachable.
/// - Settings, later wins: defaults < `--config` file < `OAUTH_LANDING_*` environment < flags.
///   A repeatable option's list is replaced whole by each source that sets it: its variable is a
///   comma-separated list (`OAUTH_LANDING_API_KEY=k1,k2`), its JSON key a string or an array of
///   strings, and flags given → only the flags' values.
///   The file's path is `--config`, else `OAUTH_LANDING_CONFIG`. Unknown `OAUTH_LANDING_*`
///   variables are ignored (other tools may share the prefix); unknown flags and keys are errors.
public enum ConfigLoader {
    /// Prefix of every environment variable the loader reads.
    public static let environmentPrefix = "OAUTH_LANDING_"

    /// Parses one invocation.
    /// - Parameters:
    ///   - arguments: the command line without `argv[0]`.
    ///   - environment: the process environment (`ProcessInfo.processInfo.environment`).
    ///   - readFile: reads the `--config` file; whatever it throws is reported as unreadable.
    public static func parse(
        arguments: [String], environment: [String: String], readFile: (String) throws -> [UInt8]
    ) throws(ConfigError) -> Command {
        try parse(
            arguments: arguments, environment: environment, readFile: readFile,
            options: ConfigOption.all, secretKeys: ServerConfig.secretKeys)
    }

    /// `parse` over an explicit option table and secret set (tests add fake secrets).
    static func parse(
        arguments: [String], environment: [String: String], readFile: (String) throws -> [UInt8],
        options: [ConfigOption], secretKeys: Set<String>
    ) throws(ConfigError) -> Command {
        func load(_ flags: [FlagOccurrence]) throws(ConfigError) -> ServerConfig {
            try loadServerConfig(
                flags: flags, environment: environment, readFile: readFile, options: options,
                secretKeys: secretKeys)
        }
        guard let first = arguments.first else {
            return .serve(try load([]))
        }
        if first == "help" {
            return try helpCommand(topicArguments: arguments.dropFirst())
        }
        if first.hasPrefix("-"), first != "-" {
            // why: implied `serve`; its help is the whole text, as for `oauth-landing --help`.
            switch try scanFlags(arguments[...], subcommand: .serve, specs: options.map(FlagSpec.init)) {
            case .help: return .help(topic: nil)
            case .version: return .version
            case .flags(let flags): return .serve(try load(flags))
            }
        }
        guard let subcommand = Subcommand(rawValue: first) else {
            let names = Subcommand.allCases.map(\.rawValue) + ["help"]
            throw .unknownSubcommand(first, suggestion: ConfigText.closest(to: first, among: names))
        }
        let rest = arguments.dropFirst()
        switch subcommand {
        case .serve:
            switch try scanFlags(rest, subcommand: subcommand, specs: options.map(FlagSpec.init)) {
            case .help: return .help(topic: subcommand.rawValue)
            case .version: return .version
            case .flags(let flags): return .serve(try load(flags))
            }
        case .checkConfig:
            let specs = options.map(FlagSpec.init) + [FlagSpec.checkConfigFormat]
            switch try scanFlags(rest, subcommand: subcommand, specs: specs) {
            case .help: return .help(topic: subcommand.rawValue)
            case .version: return .version
            case .flags(let flags):
                var format = CheckConfigFormat.text
                for flag in flags where flag.name == FlagSpec.checkConfigFormat.name {
                    guard let chosen = CheckConfigFormat(rawValue: flag.value) else {
                        throw .invalidValue(
                            source: .flag(flag.name), value: flag.value,
                            reason: "expected " + ConfigText.list(CheckConfigFormat.allCases.map(\.rawValue)))
                    }
                    format = chosen
                }
                let config = try load(flags.filter { $0.name != FlagSpec.checkConfigFormat.name })
                return .checkConfig(config, format: format)
            }
        case .devCert:
            switch try scanFlags(rest, subcommand: .devCert, specs: [FlagSpec.devCertOut]) {
            case .help: return .help(topic: subcommand.rawValue)
            case .version: return .version
            case .flags(let flags):
                var directory = Subcommand.defaultDevCertDirectory
                for flag in flags {
                    do {
                        directory = try ConfigValueParser.path(flag.value)
                    } catch {
                        throw .invalidValue(source: .flag(flag.name), value: flag.value, reason: error.reason)
                    }
                }
                return .devCert(outDirectory: directory)
            }
        case .qaLinks:
            switch try scanFlags(rest, subcommand: .qaLinks, specs: [FlagSpec.qaLinksBase]) {
            case .help: return .help(topic: subcommand.rawValue)
            case .version: return .version
            case .flags(let flags):
                var base = Subcommand.defaultQALinksBase
                for flag in flags {
                    do {
                        base = try ConfigValueParser.publicURL(flag.value)
                    } catch {
                        throw .invalidValue(source: .flag(flag.name), value: flag.value, reason: error.reason)
                    }
                }
                return .qaLinks(base: base)
            }
        }
    }

    /// `help [SUBCOMMAND]`.
    private static func helpCommand(topicArguments: ArraySlice<String>) throws(ConfigError) -> Command {
        guard let topic = topicArguments.first else { return .help(topic: nil) }
        if topic == "--help" || topic == "-h" || topic == "help" { return .help(topic: nil) }
        guard Subcommand(rawValue: topic) != nil else { throw .unknownHelpTopic(topic) }
        if let extra = topicArguments.dropFirst().first {
            throw .unexpectedArgument(extra, subcommand: "help")
        }
        return .help(topic: topic)
    }

    /// How one flag is written: its name and whether it consumes a value.
    struct FlagSpec {
        let name: String
        let takesValue: Bool
        let valueName: String

        init(name: String, takesValue: Bool, valueName: String) {
            self.name = name
            self.takesValue = takesValue
            self.valueName = valueName
        }

        init(_ option: ConfigOption) {
            self.init(name: option.name, takesValue: option.takesValue, valueName: option.valueName)
        }

        /// `dev-cert --out DIR`.
        static let devCertOut = FlagSpec(name: "out", takesValue: true, valueName: "DIR")

        /// `check-config --format text|json`.
        static let checkConfigFormat = FlagSpec(name: "format", takesValue: true, valueName: "text|json")

        /// `qa-links --base URL`.
        static let qaLinksBase = FlagSpec(name: "base", takesValue: true, valueName: "URL")
    }

    /// One `--name value` as written; `value` is `"true"` for a bare boolean flag.
    struct FlagOccurrence: Equatable {
        let name: String
        let value: String
    }

    /// What a subcommand's arguments ask for, before any value is interpreted.
    enum FlagScan: Equatable {
        case help
        case version
        case flags([FlagOccurrence])
    }

    /// Splits arguments into flags and their raw values. Syntax errors (unknown flag, missing
    /// value, positional argument) are held back until the end: a `--help`, `-h` or `--version`
    /// anywhere on the line wins over them.
    static func scanFlags(
        _ arguments: ArraySlice<String>, subcommand: Subcommand, specs: [FlagSpec]
    ) throws(ConfigError) -> FlagScan {
        var occurrences: [FlagOccurrence] = []
        var firstError: ConfigError?
        var afterDoubleDash = false
        var index = arguments.startIndex
        func record(_ error: ConfigError) {
            if firstError == nil { firstError = error }
        }
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            if afterDoubleDash || !argument.hasPrefix("-") || argument == "-" {
                if argument == "help", !afterDoubleDash { return .help }
                record(.unexpectedArgument(argument, subcommand: subcommand.rawValue))
                continue
            }
            if argument == "--" {
                afterDoubleDash = true
                continue
            }
            if argument == "-h" { return .help }
            guard argument.hasPrefix("--") else {
                record(.unknownFlag(argument, subcommand: subcommand.rawValue))
                continue
            }
            let body = argument.dropFirst(2)
            let name: String
            let inlineValue: String?
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                inlineValue = String(body[body.index(after: equals)...])
            } else {
                name = String(body)
                inlineValue = nil
            }
            if name == "help" || name == "version" {
                if inlineValue != nil {
                    record(.unexpectedFlagValue(flag: "--" + name))
                    continue
                }
                return name == "help" ? .help : .version
            }
            guard let spec = specs.first(where: { $0.name == name }) else {
                let suggestion = ConfigText.closest(to: name, among: specs.map(\.name) + ["help", "version"])
                record(
                    .unknownFlag("--" + name, subcommand: subcommand.rawValue, suggestion: suggestion.map { "--" + $0 })
                )
                continue
            }
            if !spec.takesValue {
                occurrences.append(FlagOccurrence(name: name, value: inlineValue ?? "true"))
            } else if let inlineValue {
                occurrences.append(FlagOccurrence(name: name, value: inlineValue))
            } else if index < arguments.endIndex, !arguments[index].hasPrefix("--") {
                occurrences.append(FlagOccurrence(name: name, value: arguments[index]))
                index += 1
            } else {
                record(.missingValue(flag: "--" + name, valueName: spec.valueName))
            }
        }
        if let firstError { throw firstError }
        return .flags(occurrences)
    }
}

/// The subcommands that take options (`help` is handled before them).
enum Subcommand: String, CaseIterable, Sendable {
    case serve
    case checkConfig = "check-config"
    case devCert = "dev-cert"
    case qaLinks = "qa-links"

    /// `dev-cert --out` when not given.
    static let defaultDevCertDirectory = "certs"
    /// `qa-links --base` when not given: the `--dev` server's address.
    static let defaultQALinksBase = "https://localhost:8443"
}
