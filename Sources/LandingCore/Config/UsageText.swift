/// The text `help`, `--help`, `-h` and `SUBCOMMAND --help` print, also printed after a
/// `ConfigError`. Generated from `ConfigOption.all`, so every option, its default and its
/// environment variable are always listed. Lines are at most `width` columns.
public enum UsageText {
    /// Column limit of the text.
    public static let width = 100

    /// The whole text when `topic` is nil (or not a subcommand); else one subcommand's part.
    public static func text(for topic: String?) -> String {
        text(for: topic, options: ConfigOption.all)
    }

    static func text(for topic: String?, options: [ConfigOption]) -> String {
        var lines: [String]
        switch topic.flatMap(Subcommand.init(rawValue:)) {
        case .serve?:
            lines = ["Usage: oauth-landing [serve] [OPTION...]", ""]
            lines += paragraph("Runs the HTTPS server for OAuth redirects until SIGTERM or SIGINT.")
            lines += [""] + optionsSection(options) + [""] + sourcesSection()
        case .checkConfig?:
            lines = ["Usage: oauth-landing check-config [--format text|json] [OPTION...]", ""]
            lines += paragraph(
                "Runs every check serve runs before it listens (settings, certificate and key, templates,"
                    + " store, API keys, public URL, return links) without listening or writing anything,"
                    + " and prints the effective settings (secrets as ****, derived values included),"
                    + " then each problem. Exits 0 only if serve would start; otherwise with serve's"
                    + " exit status (2: configuration, 1: the environment, such as an unreachable store)."
                    + " It does not bind the listen addresses (a running server holds them)."
                    + " --format json prints one JSON object instead. Takes the options of serve.")
            lines += [""] + optionsSection(options) + [""] + sourcesSection()
        case .devCert?:
            lines = ["Usage: oauth-landing dev-cert [--out DIR]", ""]
            lines += paragraph("Writes a self-signed certificate and key for local development.")
            lines += ["", "Options:"] + devCertOptions()
        case .qaLinks?:
            lines = ["Usage: oauth-landing qa-links [--base URL]", ""]
            lines += paragraph(
                "Prints the URL of every QA scenario on a server started with --qa (or --dev), one"
                    + " 'label<TAB>url' line each, each with a fresh test item id.")
            lines += ["", "Options:"] + qaLinksOptions()
        case nil:
            lines = overview() + [""] + optionsSection(options) + [""] + ["Options of dev-cert:"]
            lines += devCertOptions() + [""] + ["Options of qa-links:"] + qaLinksOptions() + [""] + sourcesSection()
        }
        lines += [""] + exitStatusSection()
        return lines.joined(separator: "\n") + "\n"
    }

    private static func overview() -> [String] {
        let commands: [(String, String)] = [
            ("oauth-landing [serve] [OPTION...]", "Run the server (the default subcommand)."),
            ("oauth-landing check-config [OPTION...]", "Run serve's start-up checks (exit 0: serve would start)."),
            ("oauth-landing dev-cert [--out DIR]", "Write a self-signed certificate for development."),
            ("oauth-landing qa-links [--base URL]", "Print the QA scenario URLs (label<TAB>url)."),
            ("oauth-landing help [SUBCOMMAND]", "Show this text, or one subcommand's (also --help, -h)."),
            ("oauth-landing --version", "Print the version."),
        ]
        var lines = ["oauth-landing: an HTTPS server that lands OAuth redirects.", "", "Usage:"]
        for (synopsis, summary) in commands {
            lines.append("  " + synopsis.padded(to: 42) + summary)
        }
        return lines
    }

    private static func optionsSection(_ options: [ConfigOption]) -> [String] {
        var lines = ["Options of serve and check-config:"]
        for option in options {
            let header = option.takesValue ? "\(option.flag) \(option.valueName)" : option.flag
            lines.append("  " + header)
            lines += ConfigText.wrap(option.summary, width: width, indent: 6)
            var facts: [String] = []
            switch option.target {
            case .configFile:
                facts.append("Environment: \(option.environmentName).")
            case .setting(_, let read):
                facts.append("Default: \(read(ServerConfig()) ?? "none").")
                facts.append("Environment: \(option.environmentName).")
            case .list(_, let read, _):
                let defaults = read(ServerConfig())
                facts.append("Repeatable.")
                facts.append("Default: \(defaults.isEmpty ? "none" : defaults.joined(separator: ", ")).")
                facts.append("Environment: \(option.environmentName) (comma-separated).")
            }
            lines += ConfigText.wrap(facts.joined(separator: " "), width: width, indent: 6)
        }
        return lines
    }

    private static func devCertOptions() -> [String] {
        ["  --out DIR"]
            + ConfigText.wrap(
                "Directory that receives the certificate and its key."
                    + " Default: \(Subcommand.defaultDevCertDirectory).", width: width, indent: 6)
    }

    private static func qaLinksOptions() -> [String] {
        ["  --base URL"]
            + ConfigText.wrap(
                "The server's external https base URL. Default: \(Subcommand.defaultQALinksBase).", width: width, indent: 6)
    }

    private static func sourcesSection() -> [String] {
        ["Settings:"]
            + paragraph(
                "Every option can be written --name value or --name=value, set in the environment as"
                    + " \(ConfigLoader.environmentPrefix)<NAME> (upper case, dashes as underscores, e.g."
                    + " \(ConfigLoader.environmentPrefix)TLS_CERT), or given as a key of the --config JSON"
                    + " object, named without dashes. Later sources win: defaults < config file <"
                    + " environment < flags; of a flag given twice, the last one wins. -- ends the options."
                    + " A repeatable option's flags add up instead (--api-key K1 --api-key K2); its"
                    + " variable holds a comma-separated list (\(ConfigLoader.environmentPrefix)API_KEY=K1,K2) and"
                    + " its key a string or an array of strings; the items of one source replace those of"
                    + " the sources before it, so when the flag is given only the flags' values count.")
    }

    private static func exitStatusSection() -> [String] {
        [
            "Exit status:",
            "  0  success (also for help and --version)",
            "  2  bad command line or configuration; the message says what is wrong",
        ]
    }

    private static func paragraph(_ text: String) -> [String] {
        ConfigText.wrap(text, width: width, indent: 2)
    }
}

extension String {
    /// `self` followed by spaces up to `length` characters (one space at least).
    fileprivate func padded(to length: Int) -> String {
        self + String(repeating: " ", count: Swift.max(1, length - count))
    }
}
