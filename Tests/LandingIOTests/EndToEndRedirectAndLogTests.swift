import Foundation
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
}
