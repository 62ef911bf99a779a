import Testing
@testable import LandingCore

/// Framing and syntax attacks: each shape must give one exact error, at every split.
@Suite struct HTTPRequestParserSmugglingTests {
    private static let line = "POST / HTTP/1.1\r\nHost: a\r\n"

    /// Content-Length then Transfer-Encoding is rejected (RFC 9112 §6.1).
    @Test func parser_RejectsContentLengthThenTransferEncoding() {
        #expect(parseError(Self.line + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello") == .contentLengthWithTransferEncoding)
    }

    /// Transfer-Encoding then Content-Length is rejected the same way.
    @Test func parser_RejectsTransferEncodingThenContentLength() {
        #expect(parseError(Self.line + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello") == .contentLengthWithTransferEncoding)
    }

    /// Two Content-Length fields with different values are rejected.
    @Test func parser_RejectsDifferingContentLengths() {
        #expect(parseError(Self.line + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!") == .invalidContentLength)
    }

    /// Content-Length values that are not 1*DIGIT (or a list of one value) are rejected.
    @Test(arguments: ["+5", "-1", " 5 5", "0x10", "5,6", "5,", ",5", "", "5;", "5.0", "1e3", "\u{FF15}", "5, 6"])
    func parser_RejectsMalformedContentLength_WhenNotDigits(_ value: String) {
        #expect(parseError(Self.line + "Content-Length: \(value)\r\n\r\n") == .invalidContentLength)
    }

    /// A Content-Length of more than 18 digits is rejected rather than overflowing.
    @Test func parser_RejectsHugeContentLength() {
        #expect(parseError(Self.line + "Content-Length: 99999999999999999999999\r\n\r\n") == .invalidContentLength)
        #expect(parseError(Self.line + "Content-Length: 1000000000000000000\r\n\r\n") == .invalidContentLength)
    }

    /// A Content-Length of 18 digits parses and is then over the body limit.
    @Test func parser_RejectsLargeContentLength_AsBodyTooLarge() {
        #expect(parseError(Self.line + "Content-Length: 999999999999999999\r\n\r\n") == .bodyTooLarge)
    }

    /// `chunked` alone, in any case and with empty list elements, frames the body.
    @Test(arguments: ["chunked", "CHUNKED", " chunked ", "chunked, ,", ", chunked"])
    func parser_AcceptsChunked_WhenOnlyCoding(_ value: String) {
        let r = parseSingle(Self.line + "Transfer-Encoding: \(value)\r\n\r\n1\r\nx\r\n0\r\n\r\n")
        #expect(r?.body == Array("x".utf8))
    }

    /// Another coding before a final chunked gets 501 (RFC 9112 §6.1).
    @Test(arguments: ["gzip, chunked", "gzip,chunked,"])
    func parser_RejectsOtherTransferEncodings_AsUnsupported(_ value: String) {
        #expect(parseError(Self.line + "Transfer-Encoding: \(value)\r\n\r\n0\r\n\r\n") == .unsupportedTransferEncoding)
        #expect(HTTPParseError.unsupportedTransferEncoding.status.code == 501)
    }

    /// A Transfer-Encoding whose final coding is not chunked (another coding alone, an empty list,
    /// `chunked;x=1`) cannot frame the body: 400 and close (RFC 9112 §6.3 rule 4 MUST).
    @Test(arguments: ["gzip", "chunked;x=1", "identity", "", "chunkedx", "chunked chunked"])
    func parser_RejectsNonChunkedFinalCoding_As400(_ value: String) {
        #expect(parseError(Self.line + "Transfer-Encoding: \(value)\r\n\r\n0\r\n\r\n") == .chunkedNotFinal)
        #expect(HTTPParseError.chunkedNotFinal.status.code == 400)
    }

    /// chunked that is not the final coding is 400 (RFC 9112 §6.3 rule 4), even after chunked.
    @Test(arguments: ["chunked, gzip", "chunked, identity", "CHUNKED,x"])
    func parser_RejectsChunkedNotFinal(_ value: String) {
        #expect(parseError(Self.line + "Transfer-Encoding: \(value)\r\n\r\n0\r\n\r\n") == .chunkedNotFinal)
        #expect(HTTPParseError.chunkedNotFinal.status.code == 400)
    }

    /// chunked applied twice is 400 (RFC 9112 §7), in one field line or across two.
    @Test func parser_RejectsChunkedAppliedTwice() {
        #expect(parseError(Self.line + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n") == .chunkedAppliedTwice)
        #expect(parseError(Self.line + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == .chunkedAppliedTwice)
        #expect(parseError(Self.line + "Transfer-Encoding: chunked, gzip, chunked\r\n\r\n0\r\n\r\n") == .chunkedAppliedTwice)
        #expect(HTTPParseError.chunkedAppliedTwice.status.code == 400)
    }

    /// The final coding is taken across several Transfer-Encoding field lines.
    @Test func parser_TakesFinalCodingAcrossFieldLines() {
        #expect(parseError(Self.line + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == .unsupportedTransferEncoding)
        #expect(parseError(Self.line + "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n") == .chunkedNotFinal)
        #expect(parseSingle(Self.line + "Transfer-Encoding:\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") != nil)
    }

    /// Transfer-Encoding in an HTTP/1.0 request is faulty framing (RFC 9112 §6.1).
    @Test func parser_RejectsTransferEncoding_WhenHTTP10() {
        #expect(parseError("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n") == .transferEncodingInHTTP10)
        #expect(HTTPParseError.transferEncodingInHTTP10.status.code == 400)
    }

    /// A field line starting with SP is obsolete line folding.
    @Test func parser_RejectsObsFold_WhenHeaderLineStartsWithSpace() {
        #expect(parseError("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n") == .obsoleteLineFolding)
    }

    /// A field line starting with HTAB is obsolete line folding, also as the first field line.
    @Test func parser_RejectsObsFold_WhenHeaderLineStartsWithTab() {
        #expect(parseError("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n") == .obsoleteLineFolding)
        #expect(parseError("GET / HTTP/1.1\r\n Host: a\r\n\r\n") == .obsoleteLineFolding)
    }

    /// A space between field name and colon is rejected (RFC 9112 §5.1).
    @Test func parser_RejectsSpaceBeforeColon() {
        #expect(parseError("GET / HTTP/1.1\r\nHost : a\r\n\r\n") == .whitespaceBeforeColon)
        #expect(parseError(Self.line + "Content-Length : 5\r\n\r\nhello") == .whitespaceBeforeColon)
    }

    /// A tab between field name and colon is rejected too.
    @Test func parser_RejectsTabBeforeColon() {
        #expect(parseError(Self.line + "Transfer-Encoding\t: chunked\r\n\r\n") == .whitespaceBeforeColon)
    }

    /// Field names with non-token bytes, no colon, or empty are rejected.
    @Test(arguments: ["\"X\": a", "X(: a", "X@Y: a", "X\u{E9}: a", "X Y: a", ": a", "NoColon", "X/Y: a", "X[1]: a", "X\u{7F}: a"])
    func parser_RejectsInvalidFieldName(_ fieldLine: String) {
        #expect(parseError("GET / HTTP/1.1\r\nHost: a\r\n\(fieldLine)\r\n\r\n") == .invalidHeaderName)
    }

    /// NUL, other control characters and DEL in a field value are rejected.
    @Test(arguments: ["a\u{0}b", "\u{0}", "a\u{1}", "a\u{7F}", "a\u{1B}[0m", "a\u{0B}b", "a\u{0C}"])
    func parser_RejectsControlCharacterInValue(_ value: String) {
        #expect(parseError("GET / HTTP/1.1\r\nHost: a\r\nX-A: \(value)\r\n\r\n") == .invalidHeaderValue)
    }

    /// A NUL or other control byte in the request-target is rejected.
    @Test(arguments: ["/a\u{0}b", "/\u{1}", "/a\u{7F}", "/\tx", "/caf\u{E9}"])
    func parser_RejectsInvalidTargetByte(_ target: String) {
        #expect(parseError("GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n") == .invalidTarget)
    }

    /// A CR not followed by LF in the request line or a field line is rejected.
    @Test func parser_RejectsBareCR() {
        #expect(parseError("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n") == .bareCarriageReturn)
        #expect(parseError("GET / HTTP/1.1\rHost: a\r\n\r\n") == .bareCarriageReturn)
        #expect(parseError("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n") == .bareCarriageReturn)
        #expect(parseError("GET / HTTP/1.1\r\nHost: a\r\n\rX\r\n") == .bareCarriageReturn)
        #expect(parseError("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n") == .bareCarriageReturn)
        #expect(parseError("GET / HTTP/1.1\r\nHost: a\r\r\n\r\n") == .bareCarriageReturn)
    }

    /// An LF without CR as a line terminator is rejected.
    @Test func parser_RejectsBareLF() {
        #expect(parseError("GET / HTTP/1.1\nHost: a\r\n\r\n") == .bareCarriageReturn)
        #expect(parseError("GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n") == .bareCarriageReturn)
        #expect(parseError("GET / HTTP/1.1\r\nHost: a\r\n\n") == .bareCarriageReturn)
        #expect(parseError("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n") == .bareCarriageReturn)
    }

    /// HTTP/1.1 without Host is rejected.
    @Test func parser_RejectsMissingHost_WhenHTTP11() {
        #expect(parseError("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n") == .invalidHost)
    }

    /// Two Host fields are rejected, even with the same value and on HTTP/1.0.
    @Test func parser_RejectsTwoHosts() {
        #expect(parseError("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == .invalidHost)
        #expect(parseError("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n") == .invalidHost)
        #expect(parseError("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n") == .invalidHost)
    }

    /// Host values that are not uri-host [":" port] are rejected.
    @Test(arguments: ["a b", "a@b", "a/b", "a:80:80", "a:8x", "[::1", "[]", "::1", "a%2", "a%zz", "a,b\u{E9}", "\"a\""])
    func parser_RejectsInvalidHostValue(_ host: String) {
        #expect(parseError("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n") == .invalidHost)
    }

    /// An empty Host is rejected when the target takes its authority from it.
    @Test func parser_RejectsEmptyHost_WhenOriginOrAsteriskForm() {
        #expect(parseError("GET / HTTP/1.1\r\nHost:\r\n\r\n") == .invalidHost)
        #expect(parseError("GET / HTTP/1.1\r\nHost: :80\r\n\r\n") == .invalidHost)
        #expect(parseError("OPTIONS * HTTP/1.1\r\nHost: \r\n\r\n") == .invalidHost)
        #expect(parseError("GET / HTTP/1.0\r\nHost:\r\n\r\n") == .invalidHost)
    }

    /// Malformed versions are malformed request lines; other well-formed versions are unsupported.
    @Test(arguments: [
        ("HTTP/1.1 ", HTTPParseError.malformedRequestLine), ("HTTP/11", .malformedRequestLine),
        ("http/1.1", .malformedRequestLine), ("HTTP/1.1.1", .malformedRequestLine), ("HTTP/1", .malformedRequestLine),
        ("HTTP/a.b", .malformedRequestLine), ("HTTPS/1.1", .malformedRequestLine), ("", .malformedRequestLine),
        ("HTTP/2.0", .unsupportedVersion), ("HTTP/1.2", .unsupportedVersion), ("HTTP/0.9", .unsupportedVersion),
        ("HTTP/9.9", .unsupportedVersion),
    ])
    func parser_RejectsBadVersions(_ version: String, _ error: HTTPParseError) {
        #expect(parseError("GET / \(version)\r\nHost: a\r\n\r\n") == error)
    }

    /// Anything but single spaces between the three parts is malformed.
    @Test func parser_RejectsExtraWhitespaceInRequestLine() {
        #expect(parseError("GET  / HTTP/1.1\r\nHost: a\r\n\r\n") == .malformedRequestLine)
        #expect(parseError("GET /  HTTP/1.1\r\nHost: a\r\n\r\n") == .malformedRequestLine)
        #expect(parseError("GET / HTTP/1.1 \r\nHost: a\r\n\r\n") == .malformedRequestLine)
        #expect(parseError("GET /\r\nHost: a\r\n\r\n") == .malformedRequestLine)
        #expect(parseError("GET\r\nHost: a\r\n\r\n") == .malformedRequestLine)
        #expect(parseError("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n") == .malformedRequestLine)
    }

    /// An empty method (the line starts with SP) or a non-token method is rejected.
    @Test func parser_RejectsEmptyOrInvalidMethod() {
        #expect(parseError(" / HTTP/1.1\r\nHost: a\r\n\r\n") == .invalidMethod)
        #expect(parseError("G(T / HTTP/1.1\r\nHost: a\r\n\r\n") == .invalidMethod)
        #expect(parseError("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n") == .invalidMethod)
        #expect(parseError("G\u{E9}T / HTTP/1.1\r\nHost: a\r\n\r\n") == .invalidMethod)
    }

    /// Request-targets that fit no form, or the wrong form for the method, are rejected.
    @Test(arguments: [
        "GET * ", "GET *x ", "OPTIONS *x ", "GET example.com:443 ", "CONNECT / ", "CONNECT example.com ",
        "CONNECT example.com: ", "CONNECT :443 ", "GET ftp://example.com/ ", "GET http:/example.com/ ",
        "GET http:// ", "GET http://user@example.com/ ", "GET /a#frag ", "GET http://example.com/#f ",
        "GET a/b ", "GET ?q ", "GET httpx://a/ ", "GET http://exa%mple/ ", "GET http://a:b/ ", "GET http://a\"b/ ",
    ])
    func parser_RejectsInvalidTargetForm(_ methodAndTarget: String) {
        #expect(parseError("\(methodAndTarget)HTTP/1.1\r\nHost: a\r\n\r\n") == .invalidTarget)
    }

    /// A framing error in the first pipelined request stops the second from being parsed.
    @Test func parser_StopsAtError_WhenPipelined() {
        let outcome = parseEverySplit(
            "GET /ok HTTP/1.1\r\nHost: a\r\n\r\n"
                + "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(outcome.requests.map(\.path) == ["/ok"])
        #expect(outcome.error == .contentLengthWithTransferEncoding)
    }

    /// A body containing what looks like a request is body, not a second request.
    @Test func parser_TreatsBodyBytesAsBody_WhenTheyLookLikeARequest() {
        let inner = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n"
        let outcome = parseEverySplit("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(inner.utf8.count)\r\n\r\n\(inner)")
        #expect(outcome.results.count == 1)
        #expect(outcome.requests.first?.body == Array(inner.utf8))
    }
}
