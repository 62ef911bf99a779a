import Foundation
import LandingCore
import Testing

/// The `/etc/oauth-landing/config.json` the Debian package installs (packaging/debian/config.json).
@Suite struct PackagedConfigTests {
    static let path = "/etc/oauth-landing/config.json"

    static func shippedText() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("packaging/debian/config.json"), encoding: .utf8)
    }

    /// The text with every commented-out setting (`"#name":`) turned on.
    static func uncommented(_ text: String) -> String {
        text.replacingOccurrences(of: ##""#([a-z][a-z-]*)":"##, with: #""$1":"#, options: .regularExpression)
    }

    /// The shipped file loads as it is: absolute paths under /etc/oauth-landing and /var/lib/oauth-landing, no public URL yet, templates found beside the binary.
    @Test func shippedConfig_Loads_WithInstalledPaths() throws {
        let config = try serveConfig(["--config", Self.path], files: [Self.path: try Self.shippedText()])
        #expect(config.tlsCertificatePath == "/etc/oauth-landing/server.pem")
        #expect(config.tlsKeyPath == "/etc/oauth-landing/server-key.pem")
        #expect(config.store == .sqlite(path: "/var/lib/oauth-landing/landing.db"))
        #expect(config.apiKeysFile == "/etc/oauth-landing/api-keys")
        // Unset until the operator sets it, so serve refuses to start half-configured.
        #expect(config.publicURL == nil)
        #expect(config.templatesDirectory == nil)
    }

    /// Every commented-out setting names a real option with a valid example value: turning them all on still loads.
    @Test func shippedConfig_CommentedSettingsAreValid_WhenAllTurnedOn() throws {
        let text = Self.uncommented(try Self.shippedText())
        let config = try serveConfig(["--config", Self.path], files: [Self.path: text])
        #expect(config.publicURL == "https://landing.example.com")
        #expect(config.listen.port == 443)
        #expect(config.webhookSecretFile == "/etc/oauth-landing/webhook-secret")
        #expect(config.templatesDirectory == "/etc/oauth-landing/templates")
    }

    /// Each setting an operator must decide on is in the file, set or commented out.
    @Test func shippedConfig_MentionsEverySettingAnOperatorMustSet() throws {
        let text = try Self.shippedText()
        for name in ["public-url", "listen", "tls-cert", "tls-key", "store", "api-keys-file", "webhook-secret-file"] {
            #expect(text.contains("\"\(name)\":") || text.contains("\"#\(name)\":"), "\(name)")
        }
    }
}
