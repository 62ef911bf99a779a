import Foundation
import Glibc
import Testing

@testable import LandingIO

/// Confirmation against Pluggy's API end to end: the real server started with
/// `--pluggy-client-id`, `--pluggy-client-secret-file` and `--pluggy-api-url` pointing at a
/// `FakePluggyServer` (certificate for 127.0.0.1 from the test CA), trusting that CA only through
/// `SSL_CERT_FILE` in its environment.
@Suite struct EndToEndPluggyTests {
    /// A server confirming items against `pluggy`, trusting the CA at `trustedCA` (`SSL_CERT_FILE`);
    /// the secret file lives in `directory`.
    static func server(pluggy: FakePluggyServer, trustedCA: PluggyTestCA, directory: TemporaryDirectory) throws -> ServerProcess {
        let secretFile = directory.file("pluggy-secret")
        try (pluggy.clientSecret + "\n").write(toFile: secretFile, atomically: true, encoding: .utf8)
        return try ServerProcess(
            [
                "--pluggy-client-id", pluggy.clientId, "--pluggy-client-secret-file", secretFile,
                "--pluggy-api-url", "https://127.0.0.1:\(pluggy.port)",
            ] + ServerProcess.metricsListen,
            environment: ["SSL_CERT_FILE": trustedCA.certificatePath])
    }

    /// Pluggy's item document for `id`, UPDATED at "Banco Teste".
    static func updatedItem(_ id: String) -> String {
        #"{"id":"\#(id)","status":"UPDATED","executionStatus":"SUCCESS","error":null,"connector":{"id":201,"name":"Banco Teste"}}"#
    }

    static func checks(_ result: String) -> String { "landing_pluggy_checks_total{result=\"\(result)\"}" }

    /// Polls the status API until `condition` holds for the item's document (5 s at most); returns the last one.
    static func itemDocument(_ server: ServerProcess, _ id: String, until condition: ([String: Any]) -> Bool) throws -> [String: Any] {
        let deadline = Date(timeIntervalSinceNow: 5)
        while true {
            let response = try LandingE2E.item(server, id)
            let document = response.status == 200 ? try LandingE2E.json(response) : [:]
            if condition(document) || Date() >= deadline { return document }
            usleep(50_000)
        }
    }

    /// The secret, as written and as a JSON log line would escape it.
    static func secretForms(_ secret: String) -> [String] {
        [secret, secret.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""), String(secret.prefix(4))]
    }

    /// A callback for an item Pluggy reports UPDATED is confirmed by the API (connector kept), counted once, and the client secret never reaches the logs.
    @Test func endToEndPluggy_ConfirmsCallbackItem_ThroughAPI() throws {
        let pluggy = try FakePluggyServer()
        defer { pluggy.stop() }
        let directory = try TemporaryDirectory("landing-e2e-pluggy")
        let server = try Self.server(pluggy: pluggy, trustedCA: .shared, directory: directory)
        defer { server.stop() }
        let id = LandingE2E.uniqueItemId("pluggy")
        pluggy.setItem(id, json: Self.updatedItem(id))

        let page = try LandingE2E.get(server, "/oauth/callback?itemId=\(id)")
        #expect(page.status == 200, "\(page)")
        let document = try Self.itemDocument(server, id) { $0["confirmed"] as? Bool == true }
        #expect(document["confirmed"] as? Bool == true, "\(document)")
        #expect(document["confirmedBy"] as? String == "api", "\(document)")
        #expect(document["connector"] as? String == "Banco Teste", "\(document)")
        #expect(document["executionStatus"] as? String == "SUCCESS", "\(document)")
        #expect(document["status"] as? String == "completed", "\(document)")

        let scrape = try EndToEndMetricsTests.scrape(try server.metricsURL, until: { $0[Self.checks("completed")] == 1 })
        #expect(scrape[Self.checks("completed")] == 1, "\(scrape.response.bodyText)")
        #expect(scrape[Self.checks("unavailable")] == 0)
        #expect(scrape["landing_pluggy_tracked_items"] == 0)
        #expect(pluggy.counts == (auth: 1, items: 1))

        server.stop()
        for form in Self.secretForms(pluggy.clientSecret) {
            #expect(!server.stdoutText.contains(form), "stdout shows the secret (\(form))")
            #expect(!server.stderrText.contains(form), "stderr shows the secret (\(form))")
        }
    }

    /// An applied webhook also sets off a check (secret given through OAUTH_LANDING_PLUGGY_CLIENT_SECRET): the waiting item ends completed, confirmed by the API.
    @Test func endToEndPluggy_ConfirmsWebhookItem_WithSecretFromEnvironment() throws {
        let pluggy = try FakePluggyServer()
        defer { pluggy.stop() }
        let server = try ServerProcess(
            [
                "--webhook-secret", EndToEndWebhookTests.secret, "--pluggy-client-id", pluggy.clientId,
                "--pluggy-api-url", "https://127.0.0.1:\(pluggy.port)",
            ],
            environment: ["SSL_CERT_FILE": PluggyTestCA.shared.certificatePath, "OAUTH_LANDING_PLUGGY_CLIENT_SECRET": pluggy.clientSecret])
        defer { server.stop() }
        let id = LandingE2E.uniqueItemId("pluggy-webhook")
        pluggy.setItem(id, json: Self.updatedItem(id))

        let response = try EndToEndWebhookTests.post(server, EndToEndWebhookTests.payload("item/waiting_user_action", item: id))
        #expect(EndToEndWebhookTests.json(response)["status"] as? String == "applied", "\(response)")
        let document = try Self.itemDocument(server, id) { $0["confirmed"] as? Bool == true }
        #expect(document["status"] as? String == "completed", "\(document)")
        #expect(document["confirmedBy"] as? String == "api", "\(document)")
        #expect(document["connector"] as? String == "Banco Teste", "\(document)")
        #expect(pluggy.counts == (auth: 1, items: 1))
    }

    /// With SSL_CERT_FILE naming another CA the certificate does not verify: checks end `unavailable`, Pluggy sees no request, the record stays unconfirmed.
    @Test func endToEndPluggy_VerifiesCertificate_AgainstSystemTrust() throws {
        let pluggy = try FakePluggyServer()
        defer { pluggy.stop() }
        let directory = try TemporaryDirectory("landing-e2e-pluggy")
        let server = try Self.server(pluggy: pluggy, trustedCA: .other, directory: directory)
        defer { server.stop() }
        let id = LandingE2E.uniqueItemId("pluggy-untrusted")
        pluggy.setItem(id, json: Self.updatedItem(id))

        #expect(try LandingE2E.get(server, "/oauth/callback?itemId=\(id)").status == 200)
        let scrape = try EndToEndMetricsTests.scrape(try server.metricsURL, until: { $0.value(Self.checks("unavailable")) >= 1 })
        #expect(scrape.value(Self.checks("unavailable")) >= 1, "\(scrape.response.bodyText)")
        #expect(scrape[Self.checks("completed")] == 0)
        #expect(scrape["landing_pluggy_tracked_items"] == 1, "still followed, to be retried")
        let document = try LandingE2E.json(try LandingE2E.item(server, id))
        #expect(document["status"] as? String == "completed", "\(document)")
        #expect(document["confirmed"] as? Bool == false, "\(document)")
        #expect(document["confirmedBy"] is NSNull, "\(document)")
        #expect(document["connector"] is NSNull, "\(document)")
        #expect(pluggy.counts == (auth: 0, items: 0))
    }
}
