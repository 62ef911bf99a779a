import Foundation
import Testing

/// The real executable answering real clients (curl, and an in-process TLS client) over TLS:
/// routes, status codes, standard headers, keep-alive and pipelining.
@Suite struct EndToEndHTTPTests {
    /// The server binary is found next to the test runner, whatever the scratch path.
    @Test func endToEnd_FindsServerBinary_NextToTestRunner() throws {
        let path = try ServerProcess.binaryPath()
        #expect(path.hasSuffix("/oauth-landing"))
        let runnerDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.deletingLastPathComponent().path
        let candidates = ServerProcess.binaryCandidates()
        #expect(candidates.contains(runnerDirectory + "/oauth-landing"), "candidates \(candidates) miss the runner's directory \(runnerDirectory)")
        let version = try Subprocess.run(path, ["--version"])
        #expect(version.succeeded)
        #expect(version.stdoutText.hasPrefix("oauth-landing "))
    }

    /// `GET /healthz` over curl is 200 "ok" with X-Request-Id, Date and Content-Length, and no Server header.
    @Test func endToEnd_AnswersHealthz_WithStandardHeaders() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let transfer = try Curl.fetch(server.baseURL + "/healthz")
        let response = transfer.response
        #expect(transfer.httpVersion == "1.1")
        #expect(response.status == 200)
        #expect(response.bodyText.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
        #expect(!(response.header("X-Request-Id") ?? "").isEmpty)
        #expect(response.header("Date")?.hasSuffix(" GMT") == true)
        #expect(response.header("Content-Length") == "\(response.body.count)")
        #expect(response.header("Server") == nil)
        #expect(response.headers(named: "X-Request-Id").count == 1)
    }

    /// `GET /` is the HTML index page with a matching Content-Length.
    @Test func endToEnd_ServesIndexPage_AsHTML() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let response = try Curl.fetch(server.baseURL + "/").response
        #expect(response.status == 200)
        #expect(response.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(response.bodyText.contains("<!doctype html>"))
        #expect(response.body.count > 1000)
        #expect(response.header("Content-Length") == "\(response.body.count)")
    }

    /// 404 for an unknown path, 405 with Allow for a wrong method, 501 for FOO/TRACE, all with the standard headers.
    @Test func endToEnd_AnswersErrors_404_405_501() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let notFound = try Curl.fetch(server.baseURL + "/nope").response
        #expect(notFound.status == 404)
        let notAllowed = try Curl.fetch(server.baseURL + "/healthz", ["-X", "POST"]).response
        #expect(notAllowed.status == 405)
        let allow = (notAllowed.header("Allow") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(allow.contains("GET"))
        #expect(!allow.contains("POST"))
        let foo = try Curl.fetch(server.baseURL + "/", ["-X", "FOO"]).response
        #expect(foo.status == 501)
        let trace = try Curl.fetch(server.baseURL + "/", ["-X", "TRACE"]).response
        #expect(trace.status == 501)
        for response in [notFound, notAllowed, foo, trace] {
            #expect(response.header("X-Request-Id") != nil, "\(response)")
            #expect(response.header("Date") != nil, "\(response)")
            #expect(response.header("Content-Length") == "\(response.body.count)", "\(response)")
            #expect(response.header("Server") == nil, "\(response)")
        }
    }

    /// HEAD `/` (curl -I) has the Content-Length of GET `/` and no body.
    @Test func endToEnd_AnswersHead_WithGetContentLengthAndNoBody() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let get = try Curl.fetch(server.baseURL + "/").response
        let head = try Curl.fetch(server.baseURL + "/", ["-I"]).response
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "\(get.body.count)")
        #expect(head.body.isEmpty)
        // The in-process client sees the exact bytes: nothing follows the HEAD response's header section.
        let client = try RawTLSClient(port: server.port)
        try client.send(Request.get("/", method: "HEAD") + Request.get("/healthz"))
        let rawHead = try client.readResponse(headOnly: true)
        #expect(rawHead.header("Content-Length") == "\(get.body.count)")
        let next = try client.readResponse()
        #expect(next.status == 200)
        #expect(next.bodyText.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
    }

    /// curl fetching one URL three times in one invocation opens one connection and reuses it.
    @Test func endToEnd_ReusesConnection_ForKeepAlive() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let url = server.baseURL + "/healthz"
        let transfers = try Curl.fetch([url, url, url])
        #expect(transfers.map(\.response.status) == [200, 200, 200])
        #expect(transfers.map(\.numConnects) == [1, 0, 0])
        #expect(transfers.allSatisfy { !$0.response.closesConnection })
        let ids = Set(transfers.compactMap { $0.response.header("X-Request-Id") })
        #expect(ids.count == 3)
    }

    /// Three pipelined requests in one TLS write are answered in order; `Connection: close` then closes.
    @Test func endToEnd_AnswersPipelinedRequests_InOrder() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let client = try RawTLSClient(port: server.port)
        try client.send(Request.get("/healthz") + Request.get("/nope") + Request.get("/"))
        let first = try client.readResponse()
        let second = try client.readResponse()
        let third = try client.readResponse()
        #expect(first.status == 200)
        #expect(first.bodyText.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
        #expect(second.status == 404)
        #expect(third.status == 200)
        #expect(third.bodyText.contains("<!doctype html>"))
        #expect([first, second, third].allSatisfy { !$0.closesConnection })
        let ids = [first, second, third].compactMap { $0.header("X-Request-Id") }
        #expect(ids.count == 3)
        #expect(Set(ids).count == 3)
        #expect(client.staysOpen(for: 0.3))
        #expect(client.received.isEmpty, "unexpected extra bytes: \(String(decoding: client.received, as: UTF8.self))")

        try client.send(Request.get("/healthz", ["Connection: close"]))
        let last = try client.readResponse()
        #expect(last.status == 200)
        #expect(last.closesConnection)
        #expect(client.waitForClose(timeout: 5))
        #expect(client.received.isEmpty)
    }

    /// A request split across many TLS writes (the head byte by byte) is answered like a whole one.
    @Test func endToEnd_AnswersRequest_SplitIntoSingleByteWrites() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let client = try RawTLSClient(port: server.port)
        for byte in Array(Request.get("/healthz").utf8) {
            try client.send([byte])
        }
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.bodyText.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
    }
}
