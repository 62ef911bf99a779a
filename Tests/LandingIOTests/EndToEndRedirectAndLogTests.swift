import Foundation
import LandingCore
import Testing

/// The plain-HTTP redirect listener and the access log, observed from outside the process.
@Suite struct EndToEndRedirectAndLogTests {
    /// The --http-listen listener answers 308 to --public-url plus path and query, ignoring Host.
    @Test func endToEnd_RedirectsPlainHTTP_ToPublicURL() throws {
        let server = try ServerProcess(["--http-listen", "127.0.0.1:0", "--public-url", "https://landing.example.test"])
        defer { server.stop() }
        let httpPort = try #require(server.httpPort, "no http_listen in \(server.listeningLine)")
        #expect(httpPort != server.port)
        let transfer = try Curl.fetch("http://127.0.0.1:\(httpPort)/some/path?x=1", ["-H", "Host: evil.example"])
        let response = transfer.response
        #expect(transfer.scheme.uppercased() == "HTTP")
        #expect(response.status == 308)
        #expect(response.header("Location") == "https://landing.example.test/some/path?x=1")
        #expect(!response.description.contains("evil.example"))
        #expect(response.header("X-Request-Id") != nil)
        #expect(response.header("Strict-Transport-Security") == nil, "HSTS over plain HTTP is ignored by browsers and misleading")
        // Without a query, and for the root.
        let root = try Curl.fetch("http://127.0.0.1:\(httpPort)/").response
        #expect(root.status == 308)
        #expect(root.header("Location") == "https://landing.example.test/")
        // The HTTPS listener of the same process still serves.
        #expect(try Curl.fetch(server.baseURL + "/healthz").response.status == 200)
    }

    /// --http-listen without --public-url is a configuration error (the target is never built from Host).
    @Test func endToEnd_ExitsTwo_WhenHTTPListenHasNoPublicURL() throws {
        let certificate = try E2ECertificate()
        let result = try Subprocess.run(try ServerProcess.binaryPath(), [
            "serve", "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--tls-cert", certificate.certificatePath, "--tls-key", certificate.keyPath,
        ], timeout: 20)
        #expect(result.status == 2, "\(result)")
        #expect(result.stderrText.contains("--public-url"), "\(result)")
    }

    /// One JSON access-log line per request, path without query; the query's secret appears in no output.
    @Test func endToEnd_WritesAccessLogLines_WithoutQueryStrings() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let transfers = try Curl.fetch([server.baseURL + "/healthz", server.baseURL + "/", server.baseURL + "/nope?code=SECRET123&state=STATE456"])
        let ids = transfers.compactMap { $0.response.header("X-Request-Id") }
        #expect(ids.count == 3)
        for id in ids { #expect(server.waitForStdout(containing: id), "no log line for \(id): \(server.stdoutText)") }

        let lines = ServerProcess.jsonLines(server.stdoutText)
        #expect(lines.count == 3, "\(server.stdoutText)")
        #expect(server.stdoutText.split(separator: "\n").count == 3, "\(server.stdoutText)")
        let expected: [(path: String, status: Int, bytes: Int)] = zip(transfers, ["/healthz", "/", "/nope"]).map { ($1, $0.response.status, $0.response.body.count) }
        for (id, want) in zip(ids, expected) {
            guard let line = lines.first(where: { $0["request_id"] as? String == id }) else {
                Issue.record("no line with request_id \(id)")
                continue
            }
            #expect(line["method"] as? String == "GET")
            #expect(line["path"] as? String == want.path)
            #expect(line["status"] as? Int == want.status)
            #expect(line["bytes"] as? Int == want.bytes)
            #expect((line["duration_ms"] as? NSNumber).map { $0.doubleValue >= 0 } == true, "\(line)")
            #expect((line["time"] as? String)?.hasSuffix("Z") == true, "\(line)")
        }
        server.stop()
        for secret in ["SECRET123", "STATE456", "code="] {
            #expect(!server.stdoutText.contains(secret), "stdout leaks \(secret)")
            #expect(!server.stderrText.contains(secret), "stderr leaks \(secret)")
        }
    }

    /// A protocol error is access-logged too, and --access-log off writes nothing to stdout.
    @Test func endToEnd_LogsProtocolErrors_AndHonoursAccessLogOff() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        E2EExpect.rejection("GET /x HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", status: 400, server: server)
        #expect(server.waitForStdout(containing: "\"status\":400"), "\(server.stdoutText)")

        let quiet = try ServerProcess(["--access-log", "off"])
        defer { quiet.stop() }
        #expect(try Curl.fetch(quiet.baseURL + "/healthz").response.status == 200)
        #expect(quiet.stop() == 0)
        #expect(quiet.stdoutText.isEmpty, "\(quiet.stdoutText)")
    }

    /// The access line names the client and its User-Agent; a sane incoming X-Request-Id is the request's id everywhere (response header, access log, support log line), an insane one or two of them are replaced by ours.
    @Test func endToEnd_AccessLog_NamesClientAndUserAgent_AndHonoursSaneRequestIds() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let item = "log-rid-\(UUID().uuidString.prefix(8).lowercased())"
        let honoured = try Curl.fetch(
            server.baseURL + "/oauth/callback?itemId=\(item)&code=c", ["-A", "e2e-agent/1.0 (test)", "-H", "X-Request-Id: e2e-Req.42:a/b+c="]
        ).response
        #expect(honoured.header("X-Request-Id") == "e2e-Req.42:a/b+c=", "\(honoured)")
        let insane = try Curl.fetch(server.baseURL + "/healthz", ["-H", "X-Request-Id: has space \"and quotes\""]).response
        let twice = try Curl.fetch(server.baseURL + "/healthz", ["-H", "X-Request-Id: first", "-H", "X-Request-Id: second"]).response
        let long = try Curl.fetch(server.baseURL + "/healthz", ["-H", "X-Request-Id: " + String(repeating: "a", count: 129)]).response
        let ours = try #require(Curl.fetch(server.baseURL + "/healthz").response.header("X-Request-Id"))
        for response in [insane, twice, long] {
            let id = try #require(response.header("X-Request-Id"), "\(response)")
            #expect(!["first", "second"].contains(id) && !id.contains(" ") && id.count < 129, "\(id)")
            // Ours: the process's random tag first (then the loop and a counter).
            #expect(id.split(separator: "-").first == ours.split(separator: "-").first, "\(id) vs \(ours)")
        }
        for id in [honoured, insane, twice, long].compactMap({ $0.header("X-Request-Id") }) {
            #expect(server.waitForStdout(containing: "\"request_id\":\"\(id)\""), "no access line for \(id): \(server.stdoutText)")
        }
        #expect(server.waitForStderr(containing: item), "\(server.stderrText)")

        let access = ServerProcess.jsonLines(server.stdoutText)
        let line = try #require(access.first { $0["request_id"] as? String == "e2e-Req.42:a/b+c=" }, "\(server.stdoutText)")
        #expect(line["client"] as? String == "127.0.0.1", "\(line)")
        #expect(line["user_agent"] as? String == "e2e-agent/1.0 (test)", "\(line)")
        #expect(line["status"] as? Int == 200)
        let callback = try #require(ServerProcess.jsonLines(server.stderrText).first { $0["msg"] as? String == "callback" && $0["item_id"] as? String == item })
        #expect(callback["request_id"] as? String == "e2e-Req.42:a/b+c=", "the support line carries the honoured id: \(callback)")
        #expect(!server.stdoutText.contains("has space") && !server.stdoutText.contains("first"), "\(server.stdoutText)")
    }

    /// A hostile User-Agent (quotes, backslashes, obs-text bytes such as NEL, a fake JSON tail, 10 KB) stays inside one valid access line, cut to 200 bytes.
    @Test func endToEnd_AccessLog_KeepsAHostileUserAgent_OnOneLine() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        var agent: [UInt8] = Array(#"evil"},"status":999,"x":"\"#.utf8) + [0x85, 0xE2, 0x80, 0xA8, 0x9B, 0xFF]
        agent += Array(repeating: UInt8(ascii: "z"), count: 10 * 1024)
        let client = try RawTLSClient(port: server.port)
        try client.send(Array("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: hostile-ua-1\r\nUser-Agent: ".utf8) + agent + Array("\r\nConnection: close\r\n\r\n".utf8))
        #expect(try client.readResponse().status == 200)
        #expect(server.waitForStdout(containing: "hostile-ua-1"), "\(server.stdoutText)")
        server.stop()

        let stdout = server.stdoutText
        #expect(stdout.split(separator: "\n").count == 1, "one request, one line: \(stdout)")
        #expect(!stdout.utf8.contains(0x0D))
        let line = try #require(ServerProcess.jsonLines(stdout).first, "not one JSON line: \(stdout)")
        #expect(line["status"] as? Int == 200)
        #expect(line["request_id"] as? String == "hostile-ua-1")
        // Header bytes above 0x7F are opaque octets, read as Latin-1: one code point each.
        let received = String(String.UnicodeScalarView(agent.map { Unicode.Scalar($0) }))
        let logged = try #require(line["user_agent"] as? String)
        #expect(logged == AccessLogEntry.prefix(received, maxUTF8Bytes: AccessLogEntry.maxUserAgentBytes))
        #expect(logged.utf8.count <= AccessLogEntry.maxUserAgentBytes && logged.utf8.count > 150, "\(logged.utf8.count)")
        #expect(stdout.contains(#"\u0085"#), "NEL is escaped: \(stdout.prefix(300))")
    }
}
