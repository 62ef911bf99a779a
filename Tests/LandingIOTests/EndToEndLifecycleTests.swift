import Foundation
import Glibc
import Testing

/// The process's life: graceful drain on SIGTERM/SIGINT, and the exit status and message of each
/// startup mistake.
@Suite struct EndToEndLifecycleTests {
    // MARK: - Drain

    /// An idle server exits 0 promptly on SIGTERM, logging "draining" and "stopped".
    @Test(arguments: [SIGTERM, SIGINT])
    func endToEnd_ExitsZero_WhenIdleServerIsSignalled(_ signal: Int32) throws {
        let server = try ServerProcess()
        defer { server.stop() }
        #expect(try Curl.fetch(server.baseURL + "/healthz").response.status == 200)
        server.send(signal: signal)
        #expect(server.waitForExit(timeout: 10) == 0, "stderr: \(server.stderrText)")
        #expect(!server.child.exitedBySignal)
        #expect(server.stderrText.contains("\"msg\":\"draining\""))
        #expect(server.stderrText.contains("\"msg\":\"stopped\""))
    }

    /// An idle keep-alive connection is closed at SIGTERM (the server does not wait for it).
    @Test func endToEnd_ClosesIdleKeepAliveConnection_OnSIGTERM() throws {
        let server = try ServerProcess(["--shutdown-grace", "30"])
        defer { server.stop() }
        let client = try RawTLSClient(port: server.port)
        try client.send(Request.get("/healthz"))
        #expect(try client.readResponse().status == 200)
        server.send(signal: SIGTERM)
        #expect(client.waitForClose(timeout: 10))
        #expect(server.waitForExit(timeout: 10) == 0, "stderr: \(server.stderrText)")
    }

    /// A head in flight at SIGTERM is answered with `Connection: close` once completed, then the process exits 0.
    @Test func endToEnd_FinishesInFlightHead_AfterSIGTERM() throws {
        let server = try ServerProcess(["--shutdown-grace", "30"])
        defer { server.stop() }
        let client = try RawTLSClient(port: server.port)
        try client.sendWithPartialHead("GET /healthz HTTP/1.1\r\nHost: x\r\n")
        server.send(signal: SIGTERM)
        #expect(server.waitUntilRefusingConnections(), "the server did not start draining")
        #expect(client.staysOpen(for: 0.3))
        #expect(!server.hasExited)
        try client.send("\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.bodyText.hasPrefix("ok"))
        #expect(response.closesConnection)
        #expect(client.waitForClose(timeout: 5))
        #expect(server.waitForExit(timeout: 10) == 0, "stderr: \(server.stderrText)")
    }

    /// A POST body half sent at SIGTERM is answered in full with `Connection: close`, then the process exits 0.
    @Test func endToEnd_FinishesInFlightBody_AfterSIGTERM() throws {
        let server = try ServerProcess(["--shutdown-grace", "30"])
        defer { server.stop() }
        let client = try RawTLSClient(port: server.port)
        try client.sendWithPartialHead("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234")
        server.send(signal: SIGTERM)
        #expect(server.waitUntilRefusingConnections(), "the server did not start draining")
        #expect(client.staysOpen(for: 0.3))
        try client.send("56789")
        let response = try client.readResponse()
        #expect(response.status == 405)
        #expect(response.header("Allow") != nil)
        #expect(response.body.count == Int(response.header("Content-Length") ?? "") ?? -1)
        #expect(response.closesConnection)
        #expect(client.waitForClose(timeout: 5))
        #expect(server.waitForExit(timeout: 10) == 0, "stderr: \(server.stderrText)")
    }

    /// `/readyz` is 200 while serving and 503 (with `Connection: close`) when answered during the drain.
    @Test func endToEnd_ReadyzIs503_WhileDraining() throws {
        let server = try ServerProcess(["--shutdown-grace", "30"])
        defer { server.stop() }
        #expect(try Curl.fetch(server.baseURL + "/readyz").response.status == 200)
        let client = try RawTLSClient(port: server.port)
        try client.sendWithPartialHead("GET /readyz HTTP/1.1\r\nHost: x\r\n")
        server.send(signal: SIGTERM)
        #expect(server.waitUntilRefusingConnections(), "the server did not start draining")
        try client.send("\r\n")
        let response = try client.readResponse()
        #expect(response.status == 503)
        #expect(response.closesConnection)
        #expect(client.waitForClose(timeout: 5))
        #expect(server.waitForExit(timeout: 10) == 0)
    }

    /// While draining, connects are refused even though an in-flight request keeps the process alive.
    @Test func endToEnd_RefusesNewConnections_WhileDraining() throws {
        let server = try ServerProcess(["--shutdown-grace", "30"])
        defer { server.stop() }
        let client = try RawTLSClient(port: server.port)
        try client.sendWithPartialHead("GET /healthz HTTP/1.1\r\nHost: x\r\n")
        server.send(signal: SIGTERM)
        #expect(server.waitForStderr(containing: "\"msg\":\"draining\""))
        let refused = server.waitUntilRefusingConnections(timeout: 15)  // why: the loops ack the drain first; a loaded CI machine is slow
        #expect(refused, "new connections were still accepted while draining")
        #expect(!server.hasExited, "the server exited with a request in flight")
        try client.send("\r\n")
        #expect(try client.readResponse().status == 200)
        #expect(server.waitForExit(timeout: 10) == 0)
    }

    /// A request still incomplete when --shutdown-grace runs out is cut, and the process still exits 0.
    @Test func endToEnd_CutsStalledRequest_WhenGraceRunsOut() throws {
        let server = try ServerProcess(["--shutdown-grace", "0.5", "--header-timeout", "60"])
        defer { server.stop() }
        let client = try RawTLSClient(port: server.port)
        try client.sendWithPartialHead("GET /healthz HTTP/1.1\r\nHost: x\r\n")
        server.send(signal: SIGTERM)
        #expect(server.waitForExit(timeout: 10) == 0, "stderr: \(server.stderrText)")
        #expect(client.waitForClose(timeout: 5))
        let stopped = ServerProcess.jsonLines(server.stderrText).first { $0["msg"] as? String == "stopped" }
        #expect(stopped?["connections_cut"] as? Int == 1, "\(String(describing: stopped))")
        #expect(server.stderrText.contains(#""connections_cut":1"#), "a count is a JSON number")
    }

    // MARK: - Startup

    /// Runs the binary; `serve`/`check-config` get a `--public-url` unless the test gives one or `--dev`.
    static func run(_ arguments: [String], workingDirectory: String? = nil) throws -> SubprocessResult {
        var arguments = arguments
        if ["serve", "check-config"].contains(arguments.first ?? ""), !arguments.contains("--no-default-public-url") {
            arguments += ServerProcess.defaultPublicURL(unlessIn: arguments)
        }
        if ["serve", "check-config"].contains(arguments.first ?? ""),
            !arguments.contains("--api-key") && !arguments.contains("--api-keys-file") && !arguments.contains("--dev")
        {
            arguments += ["--api-key", ServerProcess.apiKey, "--store", "memory:"]
        }
        arguments.removeAll { $0 == "--no-default-public-url" }
        return try Subprocess.run(try ServerProcess.binaryPath(), arguments, timeout: 20, workingDirectory: workingDirectory)
    }

    /// serve and check-config refuse a production configuration without --public-url, in one line and without the whole help.
    @Test func endToEnd_RefusesToStart_WithoutPublicURL() throws {
        let certificate = try E2ECertificate()
        for command in ["serve", "check-config"] {
            let result = try Self.run([
                command, "--no-default-public-url", "--listen", "127.0.0.1:0", "--tls-cert", certificate.certificatePath,
                "--tls-key", certificate.keyPath, "--api-key", ServerProcess.apiKey, "--store", "memory:",
            ])
            #expect(result.status == 2, "\(command): \(result)")
            #expect(result.stderrText.contains("serve needs --public-url https://HOST[:PORT]"), "\(command): \(result)")
            #expect(!result.stderrText.contains("\"msg\":\"listening\""))
        }
    }

    /// check-config warns (and still exits 0) when no return link can exist for mobile users; with --return-url it does not.
    @Test func endToEnd_CheckConfigWarns_WhenNoReturnLinkCanExist() throws {
        let certificate = try E2ECertificate()
        let base = ["check-config", "--tls-cert", certificate.certificatePath, "--tls-key", certificate.keyPath]
        let bare = try Self.run(base)
        #expect(bare.status == 0, "\(bare)")
        #expect(bare.stderrText.contains("warning: return-url: no --return-url and no --allowed-return-url"), "\(bare)")
        let configured = try Self.run(base + ["--return-url", "https://app.example.com/done"])
        #expect(configured.status == 0, "\(configured)")
        #expect(!configured.stderrText.contains("warning: return-url"), "\(configured)")
        let sameHost = try Self.run(base + ["--public-url", "https://landing.example.com", "--return-url", "https://landing.example.com/app/done"])
        #expect(sameHost.status == 0, "\(sameHost)")
        #expect(sameHost.stderrText.contains("is on the landing page's own host"), "\(sameHost)")
    }

    /// A usage error is one line and a pointer to the help, not the whole option list.
    @Test func endToEnd_UsageError_IsOneLineAndAPointer() throws {
        let result = try Self.run(["serve", "--no-such-option"])
        #expect(result.status == 2)
        let lines = result.stderrText.split(separator: "\n")
        #expect(lines.count == 2, "\(result)")
        #expect(lines.last == "Run 'oauth-landing help serve' for all options.")
    }

    /// A missing certificate file: exit 2, and the message names the file.
    @Test func endToEnd_ExitsTwo_WhenCertificateFileIsMissing() throws {
        let certificate = try E2ECertificate()
        let missing = certificate.directory.file("no-such-cert.pem")
        let result = try Self.run(["serve", "--listen", "127.0.0.1:0", "--tls-cert", missing, "--tls-key", certificate.keyPath])
        #expect(result.status == 2, "\(result)")
        #expect(!result.uncaughtSignal)
        #expect(result.stderrText.contains(missing), "\(result)")
        #expect(!result.stderrText.contains("\"msg\":\"listening\""))
    }

    /// A missing key file: exit 2, and the message names the file.
    @Test func endToEnd_ExitsTwo_WhenKeyFileIsMissing() throws {
        let certificate = try E2ECertificate()
        let missing = certificate.directory.file("no-such-key.pem")
        let result = try Self.run(["serve", "--listen", "127.0.0.1:0", "--tls-cert", certificate.certificatePath, "--tls-key", missing])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderrText.contains(missing), "\(result)")
    }

    /// A key that does not match the certificate: exit 2 with a message saying so.
    @Test func endToEnd_ExitsTwo_WhenKeyDoesNotMatchCertificate() throws {
        let certificate = try E2ECertificate()
        let other = try E2ECertificate()
        let result = try Self.run(["serve", "--listen", "127.0.0.1:0", "--tls-cert", certificate.certificatePath, "--tls-key", other.keyPath])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderrText.lowercased().contains("match") || result.stderrText.contains("mismatch"), "\(result)")
        #expect(!result.stderrText.contains("\"msg\":\"listening\""))
    }

    /// An unknown flag: exit 2, the message names it.
    @Test func endToEnd_ExitsTwo_WhenFlagIsUnknown() throws {
        let result = try Self.run(["serve", "--no-such-flag"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderrText.contains("--no-such-flag"), "\(result)")
    }

    /// An invalid value (a negative timeout): exit 2.
    @Test func endToEnd_ExitsTwo_WhenValueIsInvalid() throws {
        let certificate = try E2ECertificate()
        let result = try Self.run(["serve", "--listen", "127.0.0.1:0", "--tls-cert", certificate.certificatePath, "--tls-key", certificate.keyPath, "--header-timeout", "-1"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderrText.contains("header-timeout"), "\(result)")
    }

    /// An address already in use: a non-zero exit with a message, not a crash.
    @Test func endToEnd_ExitsNonZero_WhenAddressIsInUse() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let certificate = try E2ECertificate()
        let result = try Self.run(["serve", "--listen", "127.0.0.1:\(server.port)", "--tls-cert", certificate.certificatePath, "--tls-key", certificate.keyPath])
        #expect(result.status != 0, "\(result)")
        #expect(!result.uncaughtSignal, "\(result)")
        #expect(!result.stderrText.isEmpty)
    }

    /// `check-config` prints the effective settings (flags applied) and exits 0.
    @Test func endToEnd_CheckConfigPrintsSettings_AndExitsZero() throws {
        let certificate = try E2ECertificate()
        let result = try Self.run([
            "check-config", "--listen", "127.0.0.1:0", "--tls-cert", certificate.certificatePath, "--tls-key", certificate.keyPath,
            "--max-body-bytes", "1234", "--idle-timeout", "7.5",
        ])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdoutText.contains("max-body-bytes = 1234"), "\(result)")
        #expect(result.stdoutText.contains("idle-timeout = 7.5"), "\(result)")
        #expect(result.stdoutText.contains("tls-cert = \(certificate.certificatePath)"), "\(result)")
        #expect(result.stdoutText.contains(try certificate.fingerprint()), "\(result)")
    }

    /// `check-config` with a missing certificate exits 2.
    @Test func endToEnd_CheckConfigExitsTwo_WhenCertificateIsMissing() throws {
        let directory = try TemporaryDirectory()
        let result = try Self.run(["check-config", "--tls-cert", directory.file("x.pem"), "--tls-key", directory.file("x-key.pem")])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderrText.contains(directory.file("x.pem")), "\(result)")
    }

    /// `--version` prints the version and exits 0; `--help` prints usage and exits 0.
    @Test func endToEnd_VersionAndHelp_ExitZero() throws {
        let version = try Self.run(["--version"])
        #expect(version.status == 0, "\(version)")
        #expect(version.stdoutText.range(of: #"^oauth-landing \d+\.\d+\.\d+"#, options: .regularExpression) != nil, "\(version)")
        let help = try Self.run(["--help"])
        #expect(help.status == 0, "\(help)")
        #expect(help.stdoutText.contains("--tls-cert"))
    }
}

extension RawTLSClient {
    /// Sends a complete `GET /healthz` and `partial` in one TLS write, and reads the first response.
    /// Once that response is in, the server has read and parsed `partial` too (same read), so a
    /// signal sent next finds the request in flight rather than racing its bytes.
    func sendWithPartialHead(_ partial: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try send(Request.get("/healthz") + partial)
        let first = try readResponse()
        #expect(first.status == 200, sourceLocation: sourceLocation)
    }
}
