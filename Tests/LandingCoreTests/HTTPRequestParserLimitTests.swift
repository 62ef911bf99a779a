import Testing
@testable import LandingCore

/// Each limit: exactly at it is accepted, one byte over is rejected, and the rejection comes as
/// soon as the limit is passed, before the rest of the input arrives.
@Suite struct HTTPRequestParserLimitTests {
    private static let limits = HTTPParserLimits(
        maxRequestLineBytes: 20, maxHeaderBytes: 30, maxHeaderCount: 3, maxBodyBytes: 10)

    /// A 20-byte request line passes a 20-byte limit.
    @Test func parser_AcceptsRequestLine_WhenExactlyAtLimit() {
        let line = "GET /abcdef HTTP/1.1"
        #expect(line.utf8.count == 20)
        #expect(parseSingle(line + "\r\nHost: a\r\n\r\n", limits: Self.limits) != nil)
    }

    /// A 21-byte request line is rejected with requestLineTooLong.
    @Test func parser_RejectsRequestLine_WhenOneByteOverLimit() {
        #expect(parseError("GET /abcdefg HTTP/1.1\r\nHost: a\r\n\r\n", limits: Self.limits) == .requestLineTooLong)
    }

    /// 21 bytes without CRLF are rejected at once; 20 bytes without CRLF still need more.
    @Test func parser_RejectsLongRequestLine_BeforeCRLFArrives() {
        #expect(parseError(String(repeating: "A", count: 21), limits: Self.limits) == .requestLineTooLong)
        #expect(parseError("GET /" + String(repeating: "a", count: 500), limits: Self.limits) == .requestLineTooLong)
        let atLimit = parseEverySplit(String(repeating: "A", count: 20), limits: Self.limits)
        #expect(atLimit.results.isEmpty)
        #expect(atLimit.phase == .head)
    }

    /// Leading empty lines count into the request-line limit, so a client cannot send unbounded
    /// CRLFs.
    @Test func parser_CountsLeadingEmptyLines_IntoRequestLineLimit() {
        #expect(parseSingle("\r\nGET /abcd HTTP/1.1\r\nHost: a\r\n\r\n", limits: Self.limits) != nil)
        #expect(parseError("\r\nGET /abcde HTTP/1.1\r\nHost: a\r\n\r\n", limits: Self.limits) == .requestLineTooLong)
        #expect(parseError(String(repeating: "\r\n", count: 11), limits: Self.limits) == .requestLineTooLong)
    }

    /// A header section of exactly 30 bytes (field lines with their CRLFs) passes.
    @Test func parser_AcceptsHeaderSection_WhenExactlyAtLimit() {
        let fields = "Host: a\r\nX: " + String(repeating: "v", count: 16) + "\r\n"
        #expect(fields.utf8.count == 30)
        #expect(parseSingle("GET / HTTP/1.1\r\n" + fields + "\r\n", limits: Self.limits) != nil)
    }

    /// A header section of 31 bytes is rejected with headerSectionTooLarge.
    @Test func parser_RejectsHeaderSection_WhenOneByteOverLimit() {
        let fields = "Host: a\r\nX: " + String(repeating: "v", count: 17) + "\r\n"
        #expect(parseError("GET / HTTP/1.1\r\n" + fields + "\r\n", limits: Self.limits) == .headerSectionTooLarge)
    }

    /// A header section passing the limit without any line end is rejected at once.
    @Test func parser_RejectsLargeHeaderSection_BeforeItEnds() {
        let input = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: 100)
        #expect(parseError(input, limits: Self.limits) == .headerSectionTooLarge)
        let manyLines = "GET / HTTP/1.1\r\n" + String(repeating: "A: b\r\n", count: 6)
        #expect(parseError(manyLines, limits: HTTPParserLimits(maxHeaderCount: 100).with(headerBytes: 30)) == .headerSectionTooLarge)
    }

    /// Three fields pass a three-field limit; a fourth is rejected.
    @Test func parser_EnforcesHeaderCount_AtAndOverLimit() {
        #expect(parseSingle("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", limits: Self.limits) != nil)
        #expect(parseError("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: Self.limits) == .headerSectionTooLarge)
    }

    /// A body of exactly maxBodyBytes passes.
    @Test func parser_AcceptsBody_WhenExactlyAtLimit() {
        let r = parseSingle("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789", limits: Self.limits)
        #expect(r?.body.count == 10)
    }

    /// A Content-Length one over maxBodyBytes is rejected as soon as the head ends, without the body.
    @Test func parser_RejectsBody_WhenOneByteOverLimit_BeforeBodyArrives() {
        #expect(parseError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", limits: Self.limits) == .bodyTooLarge)
    }

    /// Limits of Int.max do not overflow.
    @Test func parser_AcceptsRequests_WhenLimitsAreIntMax() {
        let huge = HTTPParserLimits(maxRequestLineBytes: .max, maxHeaderBytes: .max, maxHeaderCount: .max, maxBodyBytes: .max)
        let r = parseSingle("\r\nPOST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok", limits: huge)
        #expect(r?.body == Array("ok".utf8))
    }

    /// The default limits accept a realistic browser request.
    @Test func parser_AcceptsBrowserRequest_WithDefaultLimits() {
        let input =
            "GET /oauth/callback?code=4%2F0AX4XfWh&state=af0ifjsldkj&scope=email%20profile HTTP/1.1\r\n"
            + "Host: login.example.com\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36\r\n"
            + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n"
            + "Accept-Language: en-US,en;q=0.9\r\n"
            + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
            + "Cookie: a=b; c=d\r\n"
            + "Sec-Fetch-Site: cross-site\r\n"
            + "Connection: keep-alive\r\n\r\n"
        let r = parseSingle(input)
        #expect(r?.query == "code=4%2F0AX4XfWh&state=af0ifjsldkj&scope=email%20profile")
        #expect(r?.headers.count == 8)
    }
}

extension HTTPParserLimits {
    /// A copy with another `maxHeaderBytes`.
    fileprivate func with(headerBytes: Int) -> HTTPParserLimits {
        var copy = self
        copy.maxHeaderBytes = headerBytes
        return copy
    }
}
