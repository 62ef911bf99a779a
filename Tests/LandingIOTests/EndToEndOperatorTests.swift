import Foundation
import Glibc
import Testing

/// What an operator meets running the real binary: key rotation on SIGHUP, secrets from files and
/// systemd credentials, listen errors with hints, check-config for machines.
@Suite struct EndToEndOperatorTests {
    static func status(_ server: ServerProcess, key: String) throws -> Int {
        try Curl.fetch(server.baseURL + "/v1/items/no-such-item", ["-H", "Authorization: Bearer \(key)"]).response.status
    }

    /// --api-keys-file is read again on SIGHUP: a new key works, a removed one stops; a broken file keeps the previous keys.
    @Test func apiKeysFile_IsReloadedOnSIGHUP() throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("keys")
        let first = "rotation-key-one-0123456789"
        let second = "rotation-key-two-0123456789"
        try "# keys\n\(first)\n".write(toFile: file, atomically: true, encoding: .utf8)
        let server = try ServerProcess(["--api-keys-file", file])
        #expect(try Self.status(server, key: first) == 404)
        #expect(try Self.status(server, key: second) == 401)

        try "\(second)\n".write(toFile: file, atomically: true, encoding: .utf8)
        server.send(signal: SIGHUP)
        #expect(server.waitForStderr(containing: "API keys reloaded"), "\(server.stderrText)")
        #expect(try Self.status(server, key: second) == 404)
        #expect(try Self.status(server, key: first) == 401)

        try "not a key\n".write(toFile: file, atomically: true, encoding: .utf8)
        server.send(signal: SIGHUP)
        #expect(server.waitForStderr(containing: "API key reload failed; keeping the previous keys"), "\(server.stderrText)")
        #expect(try Self.status(server, key: second) == 404)
        #expect(!server.stderrText.contains(first) && !server.stderrText.contains(second))
    }

    /// Secrets come from $CREDENTIALS_DIRECTORY by name: API keys and the webhook secret, never logged.
    @Test func systemdCredentials_ProvideSecrets() throws {
        let directory = try TemporaryDirectory()
        let key = "credential-key-0123456789"
        let secret = "credential-webhook-0123456789"
        try "\(key)\n".write(toFile: directory.file("api-keys"), atomically: true, encoding: .utf8)
        try "\(secret)\n".write(toFile: directory.file("webhook-secret"), atomically: true, encoding: .utf8)
        // An empty keys file keeps the test harness from adding its own key: the credential's is the only one.
        let empty = try TemporaryDirectory()
        try "".write(toFile: empty.file("none"), atomically: true, encoding: .utf8)
        let server = try ServerProcess(["--api-keys-file", empty.file("none")], environment: ["CREDENTIALS_DIRECTORY": directory.path])
        #expect(try Self.status(server, key: key) == 404)
        let body = EndToEndWebhookTests.payload("item/updated", item: "credential-item")
        #expect(try EndToEndWebhookTests.post(server, body, secret: secret).status == 200)
        #expect(try EndToEndWebhookTests.post(server, body, secret: "credential-webhook-wrong-0123").status == 401)
        #expect(!server.stderrText.contains(secret) && !server.stderrText.contains(key))
        #expect(!server.stdoutText.contains(secret) && !server.stdoutText.contains(key))
    }

    /// --webhook-secret-file enables webhooks with the file's first line.
    @Test func webhookSecretFile_EnablesWebhooks() throws {
        let directory = try TemporaryDirectory()
        let secret = "file-webhook-secret-0123456789"
        try "\(secret)\n".write(toFile: directory.file("secret"), atomically: true, encoding: .utf8)
        let server = try ServerProcess(["--webhook-secret-file", directory.file("secret")])
        let body = EndToEndWebhookTests.payload("item/updated", item: "file-item")
        #expect(try EndToEndWebhookTests.post(server, body, secret: secret).status == 200)
        #expect(try EndToEndWebhookTests.post(server, body, secret: nil).status == 401)
    }

    /// SIGHUP with an expired certificate in place keeps serving the previous one, and says why.
    @Test func reloadOfExpiredCertificate_KeepsThePreviousOne() throws {
        let server = try ServerProcess()
        let scratch = try TemporaryDirectory()
        try EndToEndConfigAgreementTests.expiredCertificate(into: scratch)
        let fm = FileManager.default
        try fm.removeItem(atPath: server.certificate.certificatePath)
        try fm.removeItem(atPath: server.certificate.keyPath)
        try fm.copyItem(atPath: scratch.file("expired.pem"), toPath: server.certificate.certificatePath)
        try fm.copyItem(atPath: scratch.file("expired-key.pem"), toPath: server.certificate.keyPath)
        server.send(signal: SIGHUP)
        #expect(server.waitForStderr(containing: "certificate reload failed; keeping the previous certificate"), "\(server.stderrText)")
        #expect(server.stderrText.contains("expired 2020-02-01T00:00:00Z"), "\(server.stderrText)")
        // Handshakes still succeed with the previous (valid) certificate.
        #expect(try Curl.fetch(server.baseURL + "/healthz").response.status == 200)
    }

    /// A port already in use: exit 1 with a hint naming the address and how to find the holder.
    @Test func listenAddressInUse_ExitsOneWithHint() throws {
        let holder = try ServerProcess()
        let certificate = try E2ECertificate()
        let result = try Subprocess.run(try ServerProcess.binaryPath(), [
            "serve", "--listen", "127.0.0.1:\(holder.port)", "--tls-cert", certificate.certificatePath, "--tls-key", certificate.keyPath,
            "--api-key", ServerProcess.apiKey, "--store", "memory:", "--public-url", "https://landing.e2e.test",
            "--templates", ServerProcess.repositoryRoot + "/templates",
        ])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderrText.contains("cannot listen on 127.0.0.1:\(holder.port) (--listen): the address is already in use"), "\(result)")
    }

    /// A port below 1024 without CAP_NET_BIND_SERVICE: exit 1 naming the capability and socket activation.
    @Test func privilegedPortWithoutCapability_ExitsOneWithHint() throws {
        let start = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_unprivileged_port_start", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 1024
        // why: where unprivileged ports start below 443 (some container runtimes set 0) binding 443 needs nothing.
        try #require(start > 443, "ip_unprivileged_port_start is \(start): port 443 needs no privilege on this machine")
        let certificate = try E2ECertificate()
        let result = try Subprocess.run("/usr/bin/setpriv", [
            "--bounding-set=-net_bind_service", try ServerProcess.binaryPath(), "serve", "--listen", "127.0.0.1:443",
            "--tls-cert", certificate.certificatePath, "--tls-key", certificate.keyPath, "--api-key", ServerProcess.apiKey,
            "--store", "memory:", "--public-url", "https://landing.e2e.test", "--templates", ServerProcess.repositoryRoot + "/templates",
        ])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderrText.contains("ports below 1024 need privilege; grant CAP_NET_BIND_SERVICE"), "\(result)")
    }

    /// check-config --format json prints one JSON object a program can act on; it exits like the text form.
    @Test func checkConfig_JSONFormat() throws {
        let certificate = try E2ECertificate()
        let arguments = [
            "check-config", "--format", "json", "--tls-cert", certificate.certificatePath, "--tls-key", certificate.keyPath,
            "--api-key", ServerProcess.apiKey, "--store", "memory:", "--templates", ServerProcess.repositoryRoot + "/templates",
        ]
        let good = try Subprocess.run(try ServerProcess.binaryPath(), arguments + ["--public-url", "https://landing.example.com"])
        #expect(good.status == 0, "\(good)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(good.stdoutText.utf8)) as? [String: Any])
        #expect(object["ok"] as? Bool == true)
        #expect((object["settings"] as? [String: Any])?["api-key"] as? [String] == ["****"])
        #expect((object["derived"] as? [String: Any])?["certificate sha256"] as? String == (try certificate.fingerprint()))
        #expect(!good.stdoutText.contains(ServerProcess.apiKey))
        let bad = try Subprocess.run(try ServerProcess.binaryPath(), arguments)
        #expect(bad.status == 2, "\(bad)")
        let failed = try #require(try JSONSerialization.jsonObject(with: Data(bad.stdoutText.utf8)) as? [String: Any])
        #expect(failed["ok"] as? Bool == false)
        #expect((failed["errors"] as? [[String: Any]])?.first?["check"] as? String == "public-url")
    }
}
