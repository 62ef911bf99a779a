/// A secret kept in a file (`--webhook-secret-file`, `--pluggy-client-secret-file`, a systemd
/// credential), so it is on no command line: the file's first line (a trailing newline, CRLF or
/// not, is not part of it), checked by the same rule as the option that takes it directly.
/// Errors name the file, never the value.
public enum SecretFile {
    public enum Kind: Sendable {
        /// Like `--webhook-secret`.
        case webhookSecret
        /// Like `--pluggy-client-secret`.
        case pluggyClientSecret

        var what: String {
            switch self {
            case .webhookSecret: "webhook secret"
            case .pluggyClientSecret: "Pluggy client secret"
            }
        }
    }

    public static func value(fileContents: String, kind: Kind, file: String) throws(ConfigError) -> String {
        // why: "\r\n" is one Character in Swift, and a newline, so this splits CRLF files too.
        let line = fileContents.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).first.map(String.init) ?? ""
        guard !line.isEmpty else {
            throw .conflict("\(file): the first line should hold the \(kind.what), and it is empty")
        }
        do {
            switch kind {
            case .webhookSecret: return try ConfigValueParser.apiKey(line)
            case .pluggyClientSecret: return try ConfigValueParser.pluggyCredential(line, secret: true)
            }
        } catch {
            throw .conflict("\(file): the \(kind.what) on its first line is invalid: \(error.reason)")
        }
    }
}
