import Testing

@testable import LandingCore

/// `--pluggy-client-id`, `--pluggy-client-secret` (secret), `--pluggy-client-secret-file` and
/// `--pluggy-api-url`: parsing, secrecy, and the combinations refused.
@Suite struct ConfigLoaderPluggyTests {
    static let secret = "pluggy-s3cret-0f9e8d7c"

    /// Nothing given: no Pluggy credentials, the API at https://api.pluggy.ai.
    @Test func configLoader_HasNoPluggyCredentials_ByDefault() throws {
        let config = try serveConfig([])
        #expect(config.pluggyClientId == nil)
        #expect(config.pluggyClientSecret == nil)
        #expect(config.pluggyClientSecretFile == nil)
        #expect(config.pluggyAPIURL == "https://api.pluggy.ai")
    }

    /// The four options parse from flags, the environment and a config file.
    @Test func configLoader_ParsesPluggyOptions_FromEverySource() throws {
        let flags = try serveConfig([
            "--pluggy-client-id", "client-0123", "--pluggy-client-secret-file", "/run/secrets/pluggy",
            "--pluggy-api-url", "https://sandbox.pluggy.example:8443/v1",
        ])
        #expect(flags.pluggyClientId == "client-0123")
        #expect(flags.pluggyClientSecretFile == "/run/secrets/pluggy")
        #expect(flags.pluggyClientSecret == nil)
        #expect(flags.pluggyAPIURL == "https://sandbox.pluggy.example:8443/v1")

        let environment = try serveConfig(
            [], environment: ["OAUTH_LANDING_PLUGGY_CLIENT_ID": "env-id", "OAUTH_LANDING_PLUGGY_CLIENT_SECRET": Self.secret])
        #expect(environment.pluggyClientId == "env-id")
        #expect(environment.pluggyClientSecret == Self.secret)

        let file = try serveConfig(
            ["--config", "c.json"],
            files: ["c.json": #"{"pluggy-client-id": "file-id", "pluggy-client-secret": "\#(Self.secret)", "pluggy-api-url": "https://127.0.0.1:9443"}"#])
        #expect(file.pluggyClientId == "file-id")
        #expect(file.pluggyClientSecret == Self.secret)
        #expect(file.pluggyAPIURL == "https://127.0.0.1:9443")
    }

    /// OAUTH_LANDING_PLUGGY_CLIENT_SECRET gives the secret beside a --pluggy-client-id flag.
    @Test func configLoader_ReadsPluggySecret_FromEnvironment() throws {
        let config = try serveConfig(["--pluggy-client-id", "client-0123"], environment: ["OAUTH_LANDING_PLUGGY_CLIENT_SECRET": Self.secret])
        #expect(config.pluggyClientId == "client-0123")
        #expect(config.pluggyClientSecret == Self.secret)
    }

    /// check-config's printout shows the id and masks the secret as ****; unset values are (none).
    @Test func effectiveDescription_MasksPluggySecret() throws {
        let config = try serveConfig(["--pluggy-client-id", "client-0123", "--pluggy-client-secret", Self.secret])
        let text = config.effectiveDescription
        #expect(text.contains("pluggy-client-id = client-0123\n"))
        #expect(text.contains("pluggy-client-secret = ****\n"))
        #expect(text.contains("pluggy-client-secret-file = (none)\n"))
        #expect(text.contains("pluggy-api-url = https://api.pluggy.ai\n"))
        #expect(!text.contains(Self.secret))
        #expect(ServerConfig.secretKeys.contains("pluggy-client-secret"))
        #expect(ServerConfig().effectiveDescription.contains("pluggy-client-secret = (none)\n"))
    }

    /// A malformed secret is refused without repeating it, from a flag, the environment or a config file.
    @Test func configLoader_NeverEchoesPluggySecret_InErrors() {
        for bad in ["has space-\(Self.secret)", "tab\t\(Self.secret)", "çñ-\(Self.secret)", String(repeating: "x", count: 257)] {
            let fromFlag = parseErrorMessage(["--pluggy-client-id", "id", "--pluggy-client-secret", bad])
            #expect(fromFlag == "invalid value for --pluggy-client-secret: expected 1 to 256 visible ASCII characters")
            let fromEnvironment = parseErrorMessage(["--pluggy-client-id", "id"], environment: ["OAUTH_LANDING_PLUGGY_CLIENT_SECRET": bad])
            #expect(
                fromEnvironment
                    == "invalid value for environment variable OAUTH_LANDING_PLUGGY_CLIENT_SECRET: expected 1 to 256 visible ASCII characters")
            let escaped = bad.replacingOccurrences(of: "\t", with: "\\t")
            let fromFile = parseErrorMessage(["--config", "c.json"], files: ["c.json": #"{"pluggy-client-id": "id", "pluggy-client-secret": "\#(escaped)"}"#])
            for message in [fromFlag, fromEnvironment, fromFile] {
                #expect(!message.isEmpty)
                #expect(!message.contains(Self.secret) && !message.contains("xxxxxxxx"), "\(message)")
            }
        }
        #expect(parseErrorMessage(["--pluggy-client-secret", ""]).hasPrefix("invalid value for --pluggy-client-secret: "))
    }

    /// A malformed client id is refused (it is not secret, so it may be quoted).
    @Test func configLoader_RefusesMalformedPluggyClientId() {
        #expect(
            parseErrorMessage(["--pluggy-client-id", "a b", "--pluggy-client-secret", Self.secret])
                == "invalid value 'a b' for --pluggy-client-id: expected 1 to 256 visible ASCII characters")
        #expect(parseErrorMessage(["--pluggy-client-id", "", "--pluggy-client-secret", Self.secret]).hasPrefix("invalid value"))
    }

    /// The id and the secret come together, and the secret from one place; each conflict says what to do, never the secret.
    @Test func configLoader_RefusesIncompletePluggyCredentials() {
        // An id alone parses: its secret may be a systemd credential, which the start-up checks look for.
        #expect((try? serveConfig(["--pluggy-client-id", "client-0123"]))?.pluggyClientId == "client-0123")
        #expect(
            parseErrorMessage(["--pluggy-client-secret", Self.secret])
                == "a Pluggy client secret is given without --pluggy-client-id")
        #expect(
            parseErrorMessage([], environment: ["OAUTH_LANDING_PLUGGY_CLIENT_SECRET": Self.secret])
                == "a Pluggy client secret is given without --pluggy-client-id")
        #expect(
            parseErrorMessage(["--pluggy-client-secret-file", "/run/secrets/pluggy"])
                == "a Pluggy client secret is given without --pluggy-client-id")
        let both = parseErrorMessage([
            "--pluggy-client-id", "client-0123", "--pluggy-client-secret", Self.secret, "--pluggy-client-secret-file", "/run/secrets/pluggy",
        ])
        #expect(both == "--pluggy-client-secret and --pluggy-client-secret-file both give the Pluggy secret; keep one (the file)")
        #expect(!both.contains(Self.secret))
    }

    /// A --pluggy-api-url that is not https://HOST (http, no scheme, no host, user info, a query) is refused.
    @Test func configLoader_RefusesNonHTTPSPluggyURL() {
        let reason = "expected an https:// URL with a host (e.g. https://api.pluggy.ai)"
        for url in ["http://api.pluggy.ai", "api.pluggy.ai", "ftp://api.pluggy.ai", "https://", "https://user:pw@api.pluggy.ai", "https://api.pluggy.ai/?x=1"] {
            #expect(parseErrorMessage(["--pluggy-api-url", url]) == "invalid value '\(url)' for --pluggy-api-url: \(reason)", "\(url)")
        }
        #expect(
            parseErrorMessage([], environment: ["OAUTH_LANDING_PLUGGY_API_URL": "http://127.0.0.1:9000"])
                == "invalid value 'http://127.0.0.1:9000' for environment variable OAUTH_LANDING_PLUGGY_API_URL: \(reason)")
    }
}
