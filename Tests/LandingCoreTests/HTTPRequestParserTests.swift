import Testing
@testable import LandingCore

/// What the parser produced for one input: every request or error in order (a final error ends
/// it) and the phase after the last byte.
struct ParseOutcome: Equatable, CustomStringConvertible {
    var results: [HTTPParseResult] = []
    var phase: HTTPRequestParser.Phase = .idle

    var requests: [HTTPRequest] {
        results.compactMap { if case .request(let r) = $0 { r } else { nil } }
    }
    var error: HTTPParseError? {
        if case .error(let e) = results.last { e } else { nil }
    }
    var description: String { "\(results) phase=\(phase)" }
}

extension HTTPParseResult {
    /// The request, when this is `.request`.
    var request: HTTPRequest? {
        if case .request(let r) = self { r } else { nil }
    }
}

/// Feeds `chunks` one after the other, draining `next()` after each, and records the outcome.
func parse(chunks: [ArraySlice<UInt8>], limits: HTTPParserLimits) -> ParseOutcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = ParseOutcome()
    feeding: for chunk in chunks {
        parser.feed(Array(chunk))
        while true {
            let result = parser.next()
            if result == .needMore { break }
            outcome.results.append(result)
            if case .error = result { break feeding }
        }
    }
    outcome.phase = parser.phase
    return outcome
}

/// Parses `input` fed whole, byte by byte, and in two pieces at every split point, expects all of
/// them to agree, and returns the outcome.
@discardableResult
func parseEverySplit(
    _ input: [UInt8], limits: HTTPParserLimits = .default, sourceLocation: SourceLocation = #_sourceLocation
) -> ParseOutcome {
    let whole = parse(chunks: [input[...]], limits: limits)
    let byteByByte = parse(chunks: input.indices.map { input[$0...$0] }, limits: limits)
    #expect(byteByByte == whole, "byte by byte differs", sourceLocation: sourceLocation)
    for split in 1..<max(input.count, 1) {
        let two = parse(chunks: [input[..<split], input[split...]], limits: limits)
        if two != whole {
            Issue.record("split at \(split) gives \(two), whole gives \(whole)", sourceLocation: sourceLocation)
            break
        }
    }
    return whole
}

@discardableResult
func parseEverySplit(
    _ input: String, limits: HTTPParserLimits = .default, sourceLocation: SourceLocation = #_sourceLocation
) -> ParseOutcome {
    parseEverySplit(Array(input.utf8), limits: limits, sourceLocation: sourceLocation)
}

/// The error `input` produces (checked at every split), or nil.
func parseError(
    _ input: String, limits: HTTPParserLimits = .default, sourceLocation: SourceLocation = #_sourceLocation
) -> HTTPParseError? {
    parseEverySplit(input, limits: limits, sourceLocation: sourceLocation).error
}

/// The only request `input` produces (checked at every split); records an issue otherwise.
func parseSingle(
    _ input: String, limits: HTTPParserLimits = .default, sourceLocation: SourceLocation = #_sourceLocation
) -> HTTPRequest? {
    let outcome = parseEverySplit(input, limits: limits, sourceLocation: sourceLocation)
    guard outcome.results.count == 1, let request = outcome.requests.first else {
        Issue.record("expected one request, got \(outcome)", sourceLocation: sourceLocation)
        return nil
    }
    return request
}

@Suite struct HTTPRequestParserTests {
    /// A minimal GET parses into method, target, path, version and headers.
    @Test func parser_ParsesSimpleGet() throws {
        let r = try #require(parseSingle("GET /oauth/callback HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"))
        #expect(r.method == .get)
        #expect(r.target == "/oauth/callback")
        #expect(r.path == "/oauth/callback")
        #expect(r.query == nil)
        #expect(r.version == .http1_1)
        #expect(r.headers == HTTPHeaders([("Host", "example.com"), ("Accept", "*/*")]))
        #expect(r.body.isEmpty)
    }

    /// HEAD is recognised as its own method.
    @Test func parser_ParsesHead() throws {
        let r = try #require(parseSingle("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(r.method == .head)
        #expect(r.path == "/")
    }

    /// A POST body is exactly Content-Length bytes.
    @Test func parser_ReadsBody_WhenContentLengthGiven() throws {
        let r = try #require(parseSingle("POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello=world"))
        #expect(r.method == .post)
        #expect(r.body == Array("hello=world".utf8))
    }

    /// A zero Content-Length gives an empty body and completes at once.
    @Test func parser_CompletesAtOnce_WhenContentLengthZero() throws {
        let r = try #require(parseSingle("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"))
        #expect(r.body.isEmpty)
    }

    /// Three pipelined requests in one feed come out in order, with their bodies, at every split.
    @Test func parser_ReturnsPipelinedRequestsInOrder() {
        let input =
            "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
            + "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
            + "DELETE /3?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"
        let outcome = parseEverySplit(input)
        #expect(outcome.results.count == 3)
        #expect(outcome.requests.map(\.path) == ["/1", "/2", "/3"])
        #expect(outcome.requests.map(\.method) == [.get, .post, .delete])
        #expect(outcome.requests[1].body == Array("abc".utf8))
        #expect(outcome.requests[2].query == "x=1")
        #expect(outcome.phase == .idle)
    }

    /// Empty lines before the request line are ignored (RFC 9112 §2.2), also between requests.
    @Test func parser_IgnoresLeadingEmptyLines() {
        let outcome = parseEverySplit("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(outcome.requests.map(\.path) == ["/", "/b"])
        #expect(outcome.error == nil)
    }

    /// The query is split at the first "?", kept percent-encoded, and may be empty or contain "?".
    @Test func parser_SplitsQueryAtFirstQuestionMark() throws {
        let r = try #require(parseSingle("GET /cb?code=a%20b&state=x?y HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(r.path == "/cb")
        #expect(r.query == "code=a%20b&state=x?y")
        let empty = try #require(parseSingle("GET /cb? HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(empty.path == "/cb")
        #expect(empty.query == "")
    }

    /// An absolute-form target yields its path and query; the scheme is case-insensitive.
    @Test func parser_ParsesAbsoluteForm() throws {
        let r = try #require(parseSingle("GET HTTPS://example.com:8443/a/b?c=d HTTP/1.1\r\nHost: other\r\n\r\n"))
        #expect(r.target == "HTTPS://example.com:8443/a/b?c=d")
        #expect(r.path == "/a/b")
        #expect(r.query == "c=d")
        let bare = try #require(parseSingle("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"))
        #expect(bare.path == "/")
        #expect(bare.query == nil)
        let queryOnly = try #require(parseSingle("GET http://[::1]:80?q HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(queryOnly.path == "/")
        #expect(queryOnly.query == "q")
    }

    /// An absolute-form target may come with an empty Host, which it overrides (RFC 9112 §3.2.2).
    @Test func parser_AcceptsEmptyHost_WhenTargetIsAbsoluteForm() throws {
        let r = try #require(parseSingle("GET http://example.com/ HTTP/1.1\r\nHost:\r\n\r\n"))
        #expect(r.headers["Host"] == "")
    }

    /// "*" is accepted with OPTIONS (asterisk-form).
    @Test func parser_ParsesAsteriskForm_WhenMethodIsOptions() throws {
        let r = try #require(parseSingle("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(r.method == .options)
        #expect(r.path == "*")
        #expect(r.query == nil)
    }

    /// CONNECT takes an authority-form target, which becomes the path.
    @Test func parser_ParsesAuthorityForm_WhenMethodIsConnect() throws {
        let r = try #require(parseSingle("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"))
        #expect(r.method == .connect)
        #expect(r.path == "example.com:443")
        #expect(r.query == nil)
    }

    /// HTTP/1.0 may omit Host.
    @Test func parser_AcceptsMissingHost_WhenHTTP10() throws {
        let r = try #require(parseSingle("GET / HTTP/1.0\r\n\r\n"))
        #expect(r.version == .http1_0)
        #expect(r.headers.count == 0)
    }

    /// A valid but unknown method token, including lowercase "get", becomes `.other`.
    @Test func parser_MapsUnknownTokenMethodToOther() throws {
        let lower = try #require(parseSingle("get / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(lower.method == .other("get"))
        let odd = try #require(parseSingle("M-SEARCH! / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(odd.method == .other("M-SEARCH!"))
        let put = try #require(parseSingle("PUT / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(put.method == .put)
    }

    /// Keep-alive follows the version default and the Connection field.
    @Test func parser_KeepAliveSemantics_FollowVersionAndConnection() throws {
        let v11 = try #require(parseSingle("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(v11.wantsKeepAlive)
        let v11Close = try #require(parseSingle("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Close\r\n\r\n"))
        #expect(!v11Close.wantsKeepAlive)
        let v10 = try #require(parseSingle("GET / HTTP/1.0\r\n\r\n"))
        #expect(!v10.wantsKeepAlive)
        let v10KeepAlive = try #require(parseSingle("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"))
        #expect(v10KeepAlive.wantsKeepAlive)
    }

    /// Field values lose surrounding OWS but keep inner whitespace; empty values are allowed.
    @Test func parser_TrimsOptionalWhitespaceAroundValues() throws {
        let r = try #require(parseSingle("GET / HTTP/1.1\r\nHost:a\r\nX-A: \t one \t two \t\r\nX-B:\r\nX-C:   \r\n\r\n"))
        #expect(r.headers["X-A"] == "one \t two")
        #expect(r.headers["X-B"] == "")
        #expect(r.headers["X-C"] == "")
        #expect(r.headers["Host"] == "a")
    }

    /// Valid UTF-8 values decode as UTF-8; other high bytes decode as ISO-8859-1.
    @Test func parser_DecodesValuesAsUTF8ElseLatin1() throws {
        var input = Array("GET / HTTP/1.1\r\nHost: a\r\nX-U: caf".utf8) + [0xC3, 0xA9]
        input += Array("\r\nX-L: caf".utf8) + [0xE9, 0xFF]
        input += Array("\r\n\r\n".utf8)
        let outcome = parseEverySplit(input)
        let r = try #require(outcome.requests.first)
        #expect(r.headers["X-U"] == "café")
        #expect(r.headers["X-L"] == "caf\u{E9}\u{FF}")
    }

    /// Field names keep their spelling and order; lookups ignore case.
    @Test func parser_KeepsFieldOrderAndSpelling() throws {
        let r = try #require(parseSingle("GET / HTTP/1.1\r\nhOsT: a\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\n"))
        #expect(r.headers.fields.map(\.name) == ["hOsT", "X-Dup", "x-dup"])
        #expect(r.headers.values("X-DUP") == ["1", "2"])
    }

    /// Several Content-Length fields, or a list, with one value are taken as that value.
    @Test func parser_AcceptsRepeatedIdenticalContentLength() throws {
        let r = try #require(parseSingle("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\ncontent-length: 2, 02\r\n\r\nok"))
        #expect(r.body == Array("ok".utf8))
    }

    /// Host may be an IPv6 literal, IPv4 with port, or a percent-encoded reg-name.
    @Test func parser_AcceptsHostForms() {
        for host in ["[::1]:8443", "[2001:db8::7]", "192.0.2.1:80", "ex%41mple.com", "a.b-c_d~e", "a:"] {
            #expect(parseSingle("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n") != nil, "\(host)")
        }
    }

    /// Errors are sticky: next() repeats the error and further input is dropped.
    @Test func parser_KeepsReturningError_AfterError() {
        var parser = HTTPRequestParser()
        parser.feed(Array("GET / HTTP/1.1\r\nHost : a\r\n\r\n".utf8))
        #expect(parser.next() == .error(.whitespaceBeforeColon))
        parser.feed(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(parser.next() == .error(.whitespaceBeforeColon))
        #expect(parser.next() == .error(.whitespaceBeforeColon))
        #expect(parser.bufferedByteCount == 0)
    }

    /// Bytes after a complete request stay buffered for the next one.
    @Test func parser_KeepsFollowingBytes_ForNextRequest() throws {
        var parser = HTTPRequestParser()
        parser.feed(Array("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HT".utf8))
        let first = try #require(parser.next().request)
        #expect(first.path == "/a")
        #expect(parser.next() == .needMore)
        #expect(parser.bufferedByteCount == 9)
        #expect(parser.phase == .head)
        parser.feed(Array("TP/1.1\r\nHost: a\r\n\r\n".utf8))
        let second = try #require(parser.next().request)
        #expect(second.path == "/b")
        #expect(parser.next() == .needMore)
    }

    /// The phase goes idle → head → body → idle over one request.
    @Test func parser_ReportsPhase_ThroughARequest() throws {
        var parser = HTTPRequestParser()
        #expect(parser.phase == .idle)
        parser.feed(Array("\r\n".utf8))
        #expect(parser.next() == .needMore)
        #expect(parser.phase == .head)
        parser.feed(Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab".utf8))
        #expect(parser.next() == .needMore)
        #expect(parser.phase == .body)
        parser.feed(Array("cd".utf8))
        let r = try #require(parser.next().request)
        #expect(r.body == Array("abcd".utf8))
        #expect(parser.phase == .idle)
        #expect(parser.bufferedByteCount == 0)
        #expect(parser.next() == .needMore)
    }

    /// Many pipelined requests fed in odd chunks all parse, exercising lazy compaction.
    @Test func parser_ParsesManyRequests_AcrossCompaction() {
        let one = Array("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello".utf8)
        var input: [UInt8] = []
        for _ in 0..<500 { input += one }
        var parser = HTTPRequestParser()
        var count = 0
        var offset = 0
        var step = 1
        while offset < input.count {
            let end = min(input.count, offset + step)
            parser.feed(Array(input[offset..<end]))
            offset = end
            step = step % 700 + 37
            while case .request(let r) = parser.next() {
                #expect(r.body == Array("hello".utf8))
                count += 1
            }
        }
        #expect(count == 500)
        #expect(parser.phase == .idle)
        #expect(parser.bufferedByteCount == 0)
    }

    /// The UnsafeRawBufferPointer and [UInt8] feeds are equivalent; empty feeds are harmless.
    @Test func parser_FeedsRawBuffers() throws {
        var parser = HTTPRequestParser()
        parser.feed([])
        let bytes = Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        bytes.withUnsafeBytes { parser.feed($0) }
        let r = try #require(parser.next().request)
        #expect(r.path == "/")
    }
}

@Suite struct HTTPRequestParserIdleMemoryTests {
    /// Releasing idle memory between keep-alive requests leaves the parser able to parse the next one,
    /// and does nothing while a request is partly buffered.
    @Test func parser_ParsesNextRequest_AfterReleasingIdleMemory() {
        var parser = HTTPRequestParser()
        parser.feed(Array("GET /a HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        guard case .request(let first) = parser.next() else {
            Issue.record("no first request")
            return
        }
        #expect(first.path == "/a")
        #expect(parser.next() == .needMore)
        parser.releaseIdleMemory()
        parser.feed(Array("GET /b HTTP/1.1\r\nHo".utf8))
        #expect(parser.next() == .needMore)
        parser.releaseIdleMemory()
        parser.feed(Array("st: x\r\n\r\n".utf8))
        guard case .request(let second) = parser.next() else {
            Issue.record("partial request lost by releaseIdleMemory")
            return
        }
        #expect(second.path == "/b")
    }
}
