import Foundation

extension ConfigLoader {
    /// Builds the `ServerConfig` of `serve`/`check-config` from its layers, later wins:
    /// defaults < `--config` JSON file < `OAUTH_LANDING_*` environment < flags (in command-line
    /// order, so the last of a repeated flag wins). Then `validate()` checks the combination.
    static func loadServerConfig(
        flags: [FlagOccurrence], environment: [String: String], readFile: (String) throws -> [UInt8],
        options: [ConfigOption], secretKeys: Set<String>
    ) throws(ConfigError) -> ServerConfig {
        var config = ServerConfig()

        if let file = try configFileLocation(flags: flags, environment: environment, options: options) {
            let bytes: [UInt8]
            do {
                bytes = try readFile(file.path)
            } catch {
                throw .unreadableConfigFile(path: file.path, source: file.source, reason: describe(error))
            }
            try applyConfigFile(bytes, path: file.path, to: &config, options: options, secretKeys: secretKeys)
        }

        for option in options {
            guard let text = environment[option.environmentName] else { continue }
            try apply(option, text, from: .environment(option.environmentName), to: &config, secretKeys: secretKeys)
        }

        for flag in flags {
            guard let option = options.first(where: { $0.name == flag.name }) else { continue }
            try apply(option, flag.value, from: .flag(flag.name), to: &config, secretKeys: secretKeys)
        }

        try config.validate(options: options, secretKeys: secretKeys)
        return config
    }

    /// The `--config` path (last flag), else `OAUTH_LANDING_CONFIG`, else none.
    private static func configFileLocation(
        flags: [FlagOccurrence], environment: [String: String], options: [ConfigOption]
    ) throws(ConfigError) -> (path: String, source: ConfigError.Source)? {
        guard let option = options.first(where: { if case .configFile = $0.target { true } else { false } })
        else { return nil }
        let location: (text: String, source: ConfigError.Source)
        if let flag = flags.last(where: { $0.name == option.name }) {
            location = (flag.value, .flag(option.name))
        } else if let text = environment[option.environmentName] {
            location = (text, .environment(option.environmentName))
        } else {
            return nil
        }
        do {
            return (try ConfigValueParser.path(location.text), location.source)
        } catch {
            throw .invalidValue(source: location.source, value: location.text, reason: error.reason)
        }
    }

    /// Applies a `--config` file: a JSON object whose keys are option names without dashes.
    private static func applyConfigFile(
        _ bytes: [UInt8], path: String, to config: inout ServerConfig, options: [ConfigOption],
        secretKeys: Set<String>
    ) throws(ConfigError) {
        let root: JSONValue
        do {
            root = try JSONValue.parse(bytes)
        } catch {
            throw .malformedConfigFile(path: path, line: error.line, column: error.column, reason: error.reason)
        }
        guard case .object(let members) = root else {
            throw .configFileNotAnObject(path: path, found: root.typeDescription)
        }
        var seen: Set<String> = []
        for member in members {
            guard seen.insert(member.key).inserted else {
                throw .duplicateConfigKey(path: path, key: member.key)
            }
            guard let option = options.first(where: { $0.name == member.key }) else {
                let suggestion = ConfigText.closest(to: member.key, among: options.map(\.name))
                throw .unknownConfigKey(path: path, key: member.key, suggestion: suggestion)
            }
            guard case .setting = option.target else {
                throw .configKeyNotAllowed(path: path, key: member.key)
            }
            guard let text = jsonText(member.value, kind: option.kind) else {
                throw .wrongConfigType(
                    path: path, key: member.key, expected: option.kind.jsonExpectation,
                    found: member.value.typeDescription)
            }
            try apply(option, text, from: .configFile(path: path, key: member.key), to: &config, secretKeys: secretKeys)
        }
    }

    /// The text a JSON value stands for, when its type fits the option; nil otherwise.
    static func jsonText(_ value: JSONValue, kind: ConfigOption.Kind) -> String? {
        switch (kind, value) {
        case (.text, .string(let text)): text
        case (.integer, .number(let text)), (.decimal, .number(let text)): text
        case (.boolean, .bool(let flag)): flag ? "true" : "false"
        case (.boolean, .string(let text)): text
        case (.onOff, .string(let text)): text
        case (.onOff, .bool(let flag)): flag ? "on" : "off"
        default: nil
        }
    }

    /// Parses `text` into `config` through the option; a refusal names `source`, and repeats the
    /// value unless the option is secret or the parser said not to.
    static func apply(
        _ option: ConfigOption, _ text: String, from source: ConfigError.Source, to config: inout ServerConfig,
        secretKeys: Set<String>
    ) throws(ConfigError) {
        guard case .setting(let apply, _) = option.target else { return }
        do {
            try apply(&config, text)
        } catch {
            let echo = error.echoesValue && !secretKeys.contains(option.name)
            throw .invalidValue(source: source, value: echo ? text : nil, reason: error.reason)
        }
    }

    /// One line for whatever `readFile` threw.
    // why: Foundation's file errors print as "Error Domain=NSCocoaErrorDomain Code=260 …" or
    // "(NSCocoaErrorDomain error 256.)"; the POSIX error underneath says what an operator needs.
    static func describe(_ error: any Error) -> String {
        if let cocoa = error as? CocoaError, let underlying = cocoa.underlying {
            return describe(underlying)
        }
        if let posix = error as? POSIXError {
            return String(cString: strerror(posix.code.rawValue))
        }
        if let localized = error as? any LocalizedError, let text = localized.errorDescription {
            return text
        }
        return String(describing: error)
    }
}
