extension ServerConfig {
    /// Names (option names, as in `ConfigOption.all`) of settings whose values are secret: shown
    /// as `****` by `effectiveDescription` and never repeated in a `ConfigError`. Add API keys,
    /// passwords and webhook secrets here when their options are added.
    public static let secretKeys: Set<String> = []

    /// What a secret's value is shown as.
    public static let secretMask = "****"

    /// What an unset optional setting is shown as.
    public static let unsetValue = "(none)"

    /// The effective settings for `check-config`: one `name = value` line per setting, in option
    /// order, named as the flags are (without dashes). Secrets are masked, unset settings shown as
    /// `(none)`, control characters escaped so that a value cannot forge another line.
    public var effectiveDescription: String {
        effectiveDescription(options: ConfigOption.all, secretKeys: Self.secretKeys)
    }

    func effectiveDescription(options: [ConfigOption], secretKeys: Set<String>) -> String {
        var text = ""
        for option in options {
            guard case .setting(_, let read) = option.target else { continue }
            let value: String
            if let raw = read(self) {
                value = secretKeys.contains(option.name) ? Self.secretMask : ConfigText.escaped(raw)
            } else {
                value = Self.unsetValue
            }
            text += "\(option.name) = \(value)\n"
        }
        return text
    }
}
