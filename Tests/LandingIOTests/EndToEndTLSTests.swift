import Foundation
import Glibc
import Testing

/// TLS as independent clients see it (`openssl s_client`, curl): protocol versions, ALPN, and the
/// certificate reload on SIGHUP.
@Suite struct EndToEndTLSTests {
    /// s_client options that let OpenSSL's client offer anything (security level 0), so that a
    /// refusal demonstrably comes from the server.
    static let permissive = ["-cipher", "DEFAULT:@SECLEVEL=0", "-brief"]

    /// TLS 1.0 and 1.1 clients get the server's protocol_version alert (not a refusal by the client's own policy).
    @Test(arguments: ["-tls1", "-tls1_1"])
    func endToEnd_RefusesOldTLSVersions(_ version: String) throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let result = try OpenSSLClient.connect(port: server.port, [version] + Self.permissive)
        #expect(result.exitCode != 0, "\(result)")
        #expect(!result.handshakeCompleted, "\(result)")
        #expect(!result.output.contains("Protocol version: TLSv1"), "\(result)")
        // The alert was received from the server ("tlsv1 alert protocol version", alert 70); a
        // client that refused on its own would say "no protocols available" instead.
        #expect(result.output.contains("alert protocol version"), "\(result)")
        #expect(!result.output.contains("no protocols available"), "\(result)")
        #expect(!result.timedOut)
    }

    /// TLS 1.2 and TLS 1.3 clients complete the handshake and get an HTTP answer.
    @Test(arguments: [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")])
    func endToEnd_AcceptsModernTLSVersions(_ option: String, _ expected: String) throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let brief = try OpenSSLClient.connect(port: server.port, [option, "-brief"])
        #expect(brief.exitCode == 0, "\(brief)")
        #expect(brief.output.contains("Protocol version: \(expected)"), "\(brief)")
        let request = try OpenSSLClient.connect(port: server.port, [option, "-quiet"], input: Request.get("/healthz", ["Connection: close"]))
        #expect(request.stdout.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(request)")
        #expect(!request.timedOut, "the server did not close after Connection: close")
    }

    /// A full TLS 1.3 handshake gets exactly one session ticket, and resuming with it works and
    /// brings one fresh ticket (so a client always holds one, as RFC 8446 §C.4's single use wants).
    @Test func endToEnd_IssuesOneTicket_AndResumesWithIt() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let session = FileManager.default.temporaryDirectory.appendingPathComponent("landing-ticket-\(UUID().uuidString).pem").path
        defer { try? FileManager.default.removeItem(atPath: session) }
        // -ign_eof: keep reading after stdin ends, until the server closes, so every ticket is seen.
        let request = Request.get("/healthz", ["Connection: close"])
        let full = try OpenSSLClient.connect(port: server.port, ["-tls1_3", "-msg", "-ign_eof", "-sess_out", session], input: request)
        #expect(full.stdout.contains("New, TLSv1.3"), "\(full)")
        #expect(full.stdout.components(separatedBy: "NewSessionTicket").count - 1 == 1, "\(full)")
        let resumed = try OpenSSLClient.connect(port: server.port, ["-tls1_3", "-msg", "-ign_eof", "-sess_in", session], input: request)
        #expect(resumed.stdout.contains("Reused, TLSv1.3"), "\(resumed)")
        #expect(resumed.stdout.components(separatedBy: "NewSessionTicket").count - 1 == 1, "\(resumed)")
        #expect(resumed.stdout.contains("HTTP/1.1 200 OK"), "\(resumed)")
    }

    /// A client offering ALPN http/1.1 gets http/1.1 selected.
    @Test func endToEnd_SelectsALPNHTTP11() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let result = try OpenSSLClient.connect(port: server.port, ["-alpn", "http/1.1"])
        #expect(result.stdout.contains("ALPN protocol: http/1.1"), "\(result)")
        let both = try OpenSSLClient.connect(port: server.port, ["-alpn", "h2,http/1.1"])
        #expect(both.stdout.contains("ALPN protocol: http/1.1"), "\(both)")
        let client = try RawTLSClient(port: server.port, alpn: ["h2", "http/1.1"])
        #expect(client.negotiatedALPN == "http/1.1")
        #expect(client.protocolVersion == "TLSv1.3")
    }

    /// A client offering only h2 is refused with the no_application_protocol alert.
    @Test func endToEnd_RefusesHandshake_WhenALPNOffersOnlyH2() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let result = try OpenSSLClient.connect(port: server.port, ["-alpn", "h2", "-brief"])
        #expect(result.exitCode != 0, "\(result)")
        #expect(!result.handshakeCompleted, "\(result)")
        #expect(result.output.contains("no application protocol"), "\(result)")
        #expect(throws: (any Error).self) { try RawTLSClient(port: server.port, alpn: ["h2"]) }
        // A client without ALPN is still served.
        let plain = try RawTLSClient(port: server.port, alpn: [])
        try plain.send(Request.get("/healthz"))
        #expect(try plain.readResponse().status == 200)
    }

    /// curl left to its defaults (offering h2 and http/1.1) ends up speaking HTTP/1.1.
    @Test func endToEnd_CurlNegotiatesHTTP11_WhenOfferingH2() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let result = try Subprocess.run(Curl.executable, ["-sk", "--http2", "-o", "/dev/null", "-w", "%{http_version} %{http_code}", server.baseURL + "/healthz"])
        #expect(result.succeeded, "\(result)")
        #expect(result.stdoutText == "1.1 200", "\(result)")
    }

    /// SIGHUP serves new files to new connections, open ones keep working, a broken key keeps the last good pair.
    @Test func endToEnd_ReloadsCertificate_OnSIGHUP() throws {
        let certificateA = try E2ECertificate()
        let fingerprintA = try certificateA.fingerprint()
        let server = try ServerProcess(certificate: certificateA)
        defer { server.stop() }
        #expect(try OpenSSLClient.presentedCertificateFingerprint(port: server.port) == fingerprintA)
        #expect(E2ECertificate.normalizeFingerprint(server.listeningLine["certificate_sha256"] as? String ?? "") == fingerprintA)

        let held = try RawTLSClient(port: server.port)
        try held.send(Request.get("/healthz"))
        #expect(try held.readResponse().status == 200)

        let certificateB = try E2ECertificate()
        let fingerprintB = try certificateB.fingerprint()
        #expect(fingerprintA != fingerprintB)
        try certificateA.overwrite(with: certificateB)
        server.send(signal: SIGHUP)
        #expect(server.waitForStderr(containing: "certificate reloaded"), "stderr: \(server.stderrText)")
        #expect(try OpenSSLClient.presentedCertificateFingerprint(port: server.port) == fingerprintB)

        // The connection opened under A still answers.
        try held.send(Request.get("/"))
        #expect(try held.readResponse().status == 200)

        // A broken key: the reload fails, is logged, and B stays.
        try E2ECertificate.replaceAtomically(certificateA.keyPath, with: Array("not a key\n".utf8))
        server.send(signal: SIGHUP)
        #expect(server.waitForStderr(containing: "certificate reload failed"), "stderr: \(server.stderrText)")
        let failure = ServerProcess.jsonLines(server.stderrText).first { ($0["msg"] as? String)?.contains("certificate reload failed") == true }
        #expect(failure?["level"] as? String == "error", "\(String(describing: failure))")
        #expect(try OpenSSLClient.presentedCertificateFingerprint(port: server.port) == fingerprintB)
        try held.send(Request.get("/healthz"))
        #expect(try held.readResponse().status == 200)
        #expect(!server.hasExited)
    }

    /// SIGHUP with a key file that no longer exists keeps the current pair and logs the failure.
    @Test func endToEnd_KeepsCertificate_WhenReloadedKeyIsMissing() throws {
        let certificate = try E2ECertificate()
        let fingerprint = try certificate.fingerprint()
        let server = try ServerProcess(certificate: certificate)
        defer { server.stop() }
        #expect(unlink(certificate.keyPath) == 0)
        server.send(signal: SIGHUP)
        #expect(server.waitForStderr(containing: "certificate reload failed"), "stderr: \(server.stderrText)")
        #expect(try OpenSSLClient.presentedCertificateFingerprint(port: server.port) == fingerprint)
        #expect(try Curl.fetch(server.baseURL + "/healthz").response.status == 200)
    }
}
