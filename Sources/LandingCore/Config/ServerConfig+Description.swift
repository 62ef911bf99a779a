extension ServerConfig {
    /// Names (option names, as in `ConfigOption.all`) of settings whose values are secret: shown
    /// as `****` by `effectiveDescription` and never repeated in a `ConfigError`. Add passwords and
    /// webhook secrets here when their options are added.
    public static let secretKeys: Set<String> = ["api-key", "webhook-secret", "pluggy-client-secret"]

    /// What a secret's value is shown as.
    public static let secretMask = "****"

    /// What an unset optional setting is shown as.
    public static let unsetValue = "(none)"

    /// The effective settings for `check-config`: one `name = value` line per setting, in option
    /// order, named as the flags are (without dashes). A repeatable setting's items are joined by
    /// `, ` (items hold no comma). Secrets are masked, one `****` per item (`api-key = ****, ****`);
    /// unset settings and empty lists are shown as `(none)`; control characters are escaped so that
    /// a value cannot forge another line.
    public var effectiveDescription: String {
        effectiveDescription(options: ConfigOption.all, secretKeys: Self.secretKeys)
    }

    func effectiveDescription(options: [ConfigOption], secretKeys: Set<String>) -> String {
        var text = ""
        for option in options {
            let items: [String]
            switch option.target {
            case .configFile: continue
            case .setting(_, let read): items = read(self).map { [$0] } ?? []
            case .list(_, let read, _): items = read(self)
            }
            let value: String
            if items.isEmpty {
                value = Self.unsetValue
            } else if secretKeys.contains(option.name) {
                value = items.map { _ in Self.secretMask }.joined(separator: ", ")
            } else {
                value = items.map { ConfigText.escaped($0) }.joined(separator: ", ")
            }
            text += "\(option.name) = \(value)\n"
        }
        return text
    }

    /// One setting's effective value, for `check-config --format json`.
    public enum EffectiveValue: Equatable, Sendable {
        /// Unset (or an empty list).
        case none
        case single(String)
        /// A repeatable option's items.
        case list([String])
    }

    /// Every setting in option order with its value, secrets masked (`****` per item); the
    /// structured twin of `effectiveDescription`.
    public var effectiveValues: [(name: String, value: EffectiveValue)] {
        var values: [(name: String, value: EffectiveValue)] = []
        for option in ConfigOption.all {
            let masked: (String) -> String = { Self.secretKeys.contains(option.name) ? Self.secretMask : $0 }
            switch option.target {
            case .configFile: continue
            case .setting(_, let read): values.append((option.name, read(self).map { .single(masked($0)) } ?? .none))
            case .list(_, let read, _):
                let items = read(self)
                values.append((option.name, items.isEmpty ? .none : .list(items.map(masked))))
            }
        }
        return values
    }
}
