/// What one run of `oauth-landing` is asked to do, fully parsed and validated by
/// `ConfigLoader.parse(arguments:environment:readFile:)`; the executable only performs it.
public enum Command: Equatable, Sendable {
    /// Run the server (`serve`, also when the first argument is a flag or there are none).
    case serve(ServerConfig)
    /// Write a self-signed development certificate and key into `outDirectory` (`dev-cert --out DIR`).
    case devCert(outDirectory: String)
    /// Print the QA scenario URLs on `base`, one `label<TAB>url` line each (`qa-links --base URL`).
    case qaLinks(base: String)
    /// Run every check `serve` runs before it listens and report them with the effective settings
    /// (`check-config [--format text|json]`).
    case checkConfig(ServerConfig, format: CheckConfigFormat = .text)
    /// Print the version (`--version`).
    case version
    /// Print `UsageText.text(for: topic)`: nil for the whole text, else a subcommand's name
    /// (`help`, `--help`, `-h`, `help serve`, `serve --help`).
    case help(topic: String?)
}
