import Testing
@testable import LandingCore

/// Feeds `input` in the pieces `splits` cuts it into, then (if `close`) ends the input; returns the
/// first response or error.
private func parseResponse(
    _ input: [UInt8], splits: [Int] = [], close: Bool = false, limits: HTTPResponseParserLimits = .default, head: Bool = false
) -> HTTPResponseParseResult {
    var parser = HTTPResponseParser(limits: limits, isResponseToHEAD: head)
    var start = 0
    for cut in splits + [input.count] where cut >= start {
        parser.feed(Array(input[start..<cut]))
        start = cut
        let result = parser.next()
        if result != .needMore { return result }
    }
    if close { parser.endOfInput() }
    return parser.next()
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Every way of cutting `input` in two and in three (bounded), plus byte by byte, gives `expected`.
private func expectEverySplit(_ text: String, close: Bool = false, limits: HTTPResponseParserLimits = .default, _ expected: HTTPResponseParseResult) {
    let input = bytes(text)
    #expect(parseResponse(input, close: close, limits: limits) == expected)
    #expect(parseResponse(input, splits: Array(1..<max(1, input.count)), close: close, limits: limits) == expected, "byte by byte")
    for i in 0...input.count {
        #expect(parseResponse(input, splits: [i], close: close, limits: limits) == expected, "split at \(i)")
    }
    for i in stride(from: 0, through: input.count, by: 7) {
        for j in stride(from: i, through: input.count, by: 5) {
            #expect(parseResponse(input, splits: [i, j], close: close, limits: limits) == expected, "split at \(i), \(j)")
        }
    }
}

private func response(_ code: Int, _ reason: String = "OK", headers: [(String, String)], body: String, closes: Bool = false, version: HTTPVersion = .http1_1) -> HTTPResponseParseResult {
    .response(HTTPClientResponse(version: version, statusCode: code, reasonPhrase: reason, headers: HTTPHeaders(headers), body: bytes(body), closesConnection: closes))
}

@Suite struct HTTPResponseParserTests {
    /// A Content-Length response parses the same whatever way it is split.
    @Test func parser_ReadsContentLengthBody_AtEverySplit() {
        expectEverySplit(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"id\":\"a\"}",
            response(200, headers: [("Content-Type", "application/json"), ("Content-Length", "10")], body: "{\"id\":\"a\"}"))
    }

    /// A chunked response (with an extension and a trailer) decodes at every split; the framing fields become a Content-Length.
    @Test func parser_DecodesChunkedBody_AtEverySplit() {
        expectEverySplit(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n",
            response(200, headers: [("Content-Length", "11")], body: "hello world"))
    }

    /// A response without framing runs until the connection closes, and says the connection closes.
    @Test func parser_ReadsUntilClose_WhenUnframed() {
        expectEverySplit("HTTP/1.1 200 OK\r\n\r\nabc", close: true, response(200, headers: [], body: "abc", closes: true))
        var parser = HTTPResponseParser()
        parser.feed(bytes("HTTP/1.1 200 OK\r\n\r\nabc"))
        #expect(parser.next() == .needMore)
        #expect(parser.bodyEndsAtClose)
    }

    /// Interim 1xx responses are skipped; 204, 304 and HEAD responses have no body whatever they announce.
    @Test func parser_SkipsInterim_AndKnowsBodylessResponses() {
        expectEverySplit(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            response(200, headers: [("Content-Length", "2")], body: "ok"))
        #expect(parseResponse(bytes("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n")) == response(204, "No Content", headers: [("Content-Length", "5")], body: ""))
        #expect(parseResponse(bytes("HTTP/1.1 304 Not Modified\r\n\r\n")) == response(304, "Not Modified", headers: [], body: ""))
        #expect(parseResponse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"), head: true) == response(200, headers: [("Content-Length", "5")], body: ""))
    }

    /// Status lines: empty reason, missing reason, HTTP/1.0 (closes without keep-alive), Connection: close, and a non-ASCII reason.
    @Test func parser_AcceptsStatusLineVariants() {
        #expect(parseResponse(bytes("HTTP/1.1 429 \r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n")) == response(429, "", headers: [("Retry-After", "7"), ("Content-Length", "0")], body: ""))
        #expect(parseResponse(bytes("HTTP/1.1 401\r\nContent-Length: 0\r\n\r\n")) == response(401, "", headers: [("Content-Length", "0")], body: ""))
        #expect(parseResponse(bytes("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")) == response(200, headers: [("Content-Length", "0")], body: "", closes: true, version: .http1_0))
        #expect(parseResponse(bytes("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n")) == response(200, headers: [("Connection", "keep-alive, Close"), ("Content-Length", "0")], body: "", closes: true))
        #expect(parseResponse(bytes("HTTP/1.1 200 Tudo b\u{E9}m\r\nContent-Length: 0\r\n\r\n")) == response(200, "Tudo b\u{E9}m", headers: [("Content-Length", "0")], body: ""))
    }

    /// Two responses on one connection come out one after the other.
    @Test func parser_ReadsConsecutiveResponses() {
        var parser = HTTPResponseParser()
        parser.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nb"))
        #expect(parser.next() == response(200, headers: [("Content-Length", "1")], body: "a"))
        #expect(parser.next() == response(404, "Not Found", headers: [("Content-Length", "1")], body: "b"))
        #expect(parser.next() == .needMore)
    }

    /// Malformed status lines, fields and framing are errors at every split.
    @Test(arguments: [
        ("HTTP/1.1 20 OK\r\n\r\n", HTTPResponseParseError.malformedStatusLine),
        ("HTTP/1.1 200OK\r\n\r\n", .malformedStatusLine),
        ("HTTP/1.1 099 Low\r\n\r\n", .malformedStatusLine),
        ("HTTP/1.1 600 High\r\n\r\n", .malformedStatusLine),
        ("http/1.1 200 OK\r\n\r\n", .malformedStatusLine),
        ("\r\nHTTP/1.1 200 OK\r\n\r\n", .malformedStatusLine),
        ("HTTP/2.0 200 OK\r\n\r\n", .unsupportedVersion),
        ("HTTP/1.1 200 O\u{1}K\r\n\r\n", .malformedStatusLine),
        ("HTTP/1.1 101 Switching Protocols\r\n\r\n", .unexpectedSwitchingProtocols),
        ("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", .bareLineBreak),
        ("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", .bareLineBreak),
        ("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", .invalidHeaderName),
        ("HTTP/1.1 200 OK\r\nName : x\r\n\r\n", .whitespaceBeforeColon),
        ("HTTP/1.1 200 OK\r\nA: x\r\n folded\r\n\r\n", .obsoleteLineFolding),
        ("HTTP/1.1 200 OK\r\nA: x\u{0}y\r\n\r\n", .invalidHeaderValue),
        ("HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nab", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", .contentLengthWithTransferEncoding),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", .unsupportedTransferEncoding),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferEncoding),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", .unsupportedTransferEncoding),
        ("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", .unsupportedTransferEncoding),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n", .invalidChunkSize),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", .invalidChunkSize),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 1\r\n", .invalidChunkSize),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000001\r\n", .invalidChunkSize),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;=x\r\n", .invalidChunkExtension),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXY", .missingCRLFAfterChunkData),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nbad trailer\r\n\r\n", .invalidTrailerField),
    ])
    func parser_RefusesMalformedResponses(_ text: String, _ expected: HTTPResponseParseError) {
        expectEverySplit(text, .error(expected))
    }

    /// Limits: status line, header bytes and count, Content-Length, chunk sizes, until-close bodies, trailers and interim responses are bounded.
    @Test func parser_EnforcesLimits() {
        let small = HTTPResponseParserLimits(maxStatusLineBytes: 20, maxHeaderBytes: 40, maxHeaderCount: 2, maxBodyBytes: 8, maxChunkExtensionBytes: 4, maxTrailerBytes: 10, maxInterimResponses: 1)
        expectEverySplit("HTTP/1.1 200 A very long reason\r\n\r\n", limits: small, .error(.statusLineTooLong))
        expectEverySplit("HTTP/1.1 200 OK\r\nA: \(String(repeating: "x", count: 40))\r\n\r\n", limits: small, .error(.headerSectionTooLarge))
        expectEverySplit("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: small, .error(.headerSectionTooLarge))
        expectEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n123456789", limits: small, .error(.bodyTooLarge))
        expectEverySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n4\r\n", limits: small, .error(.bodyTooLarge))
        expectEverySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;abcde\r\n", limits: small, .error(.chunkExtensionsTooLong))
        expectEverySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: 12345\r\n\r\n", limits: small, .error(.trailerSectionTooLarge))
        expectEverySplit("HTTP/1.1 200 OK\r\n\r\n123456789", limits: small, .error(.bodyTooLarge))
        expectEverySplit("HTTP/1.1 100 C\r\n\r\nHTTP/1.1 102 P\r\n\r\n", limits: small, .error(.tooManyInterimResponses))
        #expect(parseResponse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n")) == .error(.invalidContentLength))
    }

    /// A close before any byte, or in the middle of a head or a framed body, is an error; errors are sticky.
    @Test func parser_ReportsTruncation() {
        #expect(parseResponse([], close: true) == .error(.closedBeforeResponse))
        #expect(parseResponse(bytes("HTTP/1.1 200 OK\r\nContent-"), close: true) == .error(.truncated))
        #expect(parseResponse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc"), close: true) == .error(.truncated))
        #expect(parseResponse(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"), close: true) == .error(.truncated))
        var parser = HTTPResponseParser()
        parser.feed(bytes("HTTP/9"))
        parser.feed(bytes(".9 200 OK\r\n"))
        #expect(parser.next() == .error(.unsupportedVersion))
        parser.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
        #expect(parser.next() == .error(.unsupportedVersion))
    }
}
