import Foundation

extension ConfigLoader {
    /// Builds the `ServerConfig` of `serve`/`check-config` from its layers, later wins:
    /// defaults < `--config` JSON file < `OAUTH_LANDING_*` environment < flags (in command-line
    /// order, so the last of a repeated flag wins). A repeatable option's flags accumulate instead,
    /// and each layer that sets it replaces the whole list of the layers below (flags given → only
    /// the flags' values). Then `validate()` checks the combination.
    static func loadServerConfig(
        flags: [FlagOccurrence], environment: [String: String], readFile: (String) throws -> [UInt8],
        options: [ConfigOption], secretKeys: Set<String>
    ) throws(ConfigError) -> ServerConfig {
        var config = ServerConfig()
        var configFileSetListen = false

        if let file = try configFileLocation(flags: flags, environment: environment, options: options) {
            let bytes: [UInt8]
            do {
                bytes = try readFile(file.path)
            } catch {
                throw .unreadableConfigFile(path: file.path, source: file.source, reason: describe(error))
            }
            configFileSetListen = try applyConfigFile(bytes, path: file.path, to: &config, options: options, secretKeys: secretKeys)
                .contains("listen")
        }

        for option in options {
            guard let text = environment[option.environmentName] else { continue }
            let source = ConfigError.Source.environment(option.environmentName)
            if case .list(_, _, let write) = option.target {
                let items = text.split(separator: ConfigOption.listSeparator, omittingEmptySubsequences: false)
                write(&config, try parseItems(option, items.map(String.init), from: source, secretKeys: secretKeys))
            } else {
                try apply(option, text, from: source, to: &config, secretKeys: secretKeys)
            }
        }

        var listsFromFlags: Set<String> = []
        for flag in flags {
            guard let option = options.first(where: { $0.name == flag.name }) else { continue }
            if case .list(_, _, let write) = option.target {
                // why: all of a list's flags are parsed at its first one, so that the list replaces
                // the lower layers' once and its items keep command-line order.
                guard listsFromFlags.insert(option.name).inserted else { continue }
                let items = flags.filter { $0.name == option.name }.map(\.value)
                write(&config, try parseItems(option, items, from: .flag(option.name), secretKeys: secretKeys))
            } else {
                try apply(option, flag.value, from: .flag(flag.name), to: &config, secretKeys: secretKeys)
            }
        }

        // An `OAUTH_LANDING_*` variable no option reads is most likely a typo of one that would
        // have mattered (a secret, a limit): refuse, unless told other tools share the prefix.
        if !config.allowUnknownEnvironment {
            let known = options.map(\.environmentName)
            let unknown = environment.keys.filter { $0.hasPrefix(environmentPrefix) && !known.contains($0) }.sorted()
            if let name = unknown.first {
                throw .unknownEnvironmentVariable(name, suggestion: ConfigText.closest(to: name, among: known))
            }
        }

        // `--dev` serves unauthenticated QA pages: it listens on loopback unless told otherwise.
        let listenGiven = flags.contains { $0.name == "listen" } || environment[Self.environmentPrefix + "LISTEN"] != nil
            || configFileSetListen
        if config.dev && !listenGiven { config.listen.host = "127.0.0.1" }

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

    /// Applies a `--config` file: a JSON object whose keys are option names; returns the keys it set.
    /// A key starting with `#` is a comment (`"#": "text"`, or `"#listen": "…"` for a setting
    /// commented out): JSON has no comments, and an installed config file needs them.
    @discardableResult
    private static func applyConfigFile(
        _ bytes: [UInt8], path: String, to config: inout ServerConfig, options: [ConfigOption],
        secretKeys: Set<String>
    ) throws(ConfigError) -> Set<String> {
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
            if member.key.hasPrefix("#") { continue }
            guard seen.insert(member.key).inserted else {
                throw .duplicateConfigKey(path: path, key: member.key)
            }
            guard let option = options.first(where: { $0.name == member.key }) else {
                let suggestion = ConfigText.closest(to: member.key, among: options.map(\.name))
                throw .unknownConfigKey(path: path, key: member.key, suggestion: suggestion)
            }
            let source = ConfigError.Source.configFile(path: path, key: member.key)
            switch option.target {
            case .configFile:
                throw .configKeyNotAllowed(path: path, key: member.key)
            case .setting:
                guard let text = jsonText(member.value, kind: option.kind) else {
                    throw .wrongConfigType(
                        path: path, key: member.key, expected: option.jsonExpectation,
                        found: member.value.typeDescription)
                }
                try apply(option, text, from: source, to: &config, secretKeys: secretKeys)
            case .list(_, _, let write):
                let texts = try jsonItems(member.value, option: option, path: path, key: member.key)
                write(&config, try parseItems(option, texts, from: source, secretKeys: secretKeys))
            }
        }
        return seen
    }

    /// The items of a repeatable option's JSON value: one for a string, each element of an array
    /// (which may be empty, for no items at all).
    private static func jsonItems(
        _ value: JSONValue, option: ConfigOption, path: String, key: String
    ) throws(ConfigError) -> [String] {
        guard case .array(let elements) = value else {
            guard let text = jsonText(value, kind: option.kind) else {
                throw .wrongConfigType(
                    path: path, key: key, expected: option.jsonExpectation, found: value.typeDescription)
            }
            return [text]
        }
        var texts: [String] = []
        for element in elements {
            guard let text = jsonText(element, kind: option.kind) else {
                let found = "an array holding \(element.typeDescription)"
                throw .wrongConfigType(path: path, key: key, expected: option.jsonExpectation, found: found)
            }
            texts.append(text)
        }
        return texts
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

    /// Parses the items one source gives a repeatable option, in order, dropping repeats (after
    /// normalization). A refusal names `source` and, when it gave several, which item (1-based);
    /// it repeats the item unless the option is secret or the parser said not to.
    static func parseItems(
        _ option: ConfigOption, _ items: [String], from source: ConfigError.Source, secretKeys: Set<String>
    ) throws(ConfigError) -> [String] {
        guard case .list(let parse, _, _) = option.target else { return [] }
        var parsed: [String] = []
        for (index, item) in items.enumerated() {
            do {
                let value = try parse(item)
                if !parsed.contains(value) { parsed.append(value) }
            } catch {
                let echo = error.echoesValue && !secretKeys.contains(option.name)
                let position = items.count > 1 ? "item \(index + 1) of \(items.count): " : ""
                throw .invalidValue(source: source, value: echo ? item : nil, reason: position + error.reason)
            }
        }
        return parsed
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
