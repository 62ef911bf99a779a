import Testing
@testable import LandingCore

/// Chunked request bodies (RFC 9112 §7.1): valid shapes decode, every invalid shape gives one exact
/// error, and every limit holds; each input is checked fed whole, byte by byte and at every split.
@Suite struct HTTPRequestParserChunkedTests {
    private static let head = "POST /hook HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"

    /// The decoded body of `head + chunks` (checked at every split), or nil with an issue.
    private func body(
        _ chunks: String, limits: HTTPParserLimits = .default, sourceLocation: SourceLocation = #_sourceLocation
    ) -> String? {
        parseSingle(Self.head + chunks, limits: limits, sourceLocation: sourceLocation)
            .map { String(decoding: $0.body, as: UTF8.self) }
    }

    /// The error `head + chunks` gives (checked at every split).
    private func error(
        _ chunks: String, limits: HTTPParserLimits = .default, sourceLocation: SourceLocation = #_sourceLocation
    ) -> HTTPParseError? {
        parseError(Self.head + chunks, limits: limits, sourceLocation: sourceLocation)
    }

    /// A parser copied in the middle of a chunked body (and of a head) is a value: each copy
    /// finishes with what it alone was fed.
    @Test func chunked_CopiedParserMidBody_EachCopyKeepsItsOwnState() throws {
        var first = HTTPRequestParser()
        first.feed(Array((Self.head + "5\r\nhello\r\n").utf8))
        #expect(first.next() == .needMore)
        var second = first
        first.feed(Array("3\r\nabc\r\n0\r\n\r\n".utf8))
        second.feed(Array("1\r\nZ\r\n0\r\n\r\n".utf8))
        guard case .request(let a) = first.next(), case .request(let b) = second.next() else {
            Issue.record("both copies should complete their request")
            return
        }
        #expect(String(decoding: a.body, as: UTF8.self) == "helloabc")
        #expect(String(decoding: b.body, as: UTF8.self) == "helloZ")

        var head = HTTPRequestParser()
        head.feed(Array("GET /a HTTP/1.1\r\nHost: a\r\n".utf8))
        #expect(head.next() == .needMore)
        var other = head
        head.feed(Array("X-One: 1\r\n\r\n".utf8))
        other.feed(Array("X-Two: 2\r\n\r\n".utf8))
        guard case .request(let one) = head.next(), case .request(let two) = other.next() else {
            Issue.record("both copies should complete their request")
            return
        }
        #expect(one.headers["X-One"] == "1" && one.headers["X-Two"] == nil)
        #expect(two.headers["X-Two"] == "2" && two.headers["X-One"] == nil)
    }

    // MARK: - Valid

    /// One chunk and the last chunk decode to the chunk's data.
    @Test func chunked_DecodesSingleChunk() {
        #expect(body("5\r\nhello\r\n0\r\n\r\n") == "hello")
    }

    /// Several chunks are concatenated in order; data may hold CR, LF and anything else.
    @Test func chunked_DecodesManyChunks() {
        #expect(body("5\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n4\r\n\r\n\r\n\r\n0\r\n\r\n") == "hello world!\r\n\r\n")
    }

    /// The last chunk alone is an empty body.
    @Test func chunked_DecodesEmptyBody() {
        #expect(body("0\r\n\r\n") == "")
    }

    /// Hex sizes are case-insensitive and may have leading zeros (up to 16 digits).
    @Test func chunked_AcceptsUppercaseHexAndLeadingZeros() {
        #expect(body("A\r\n0123456789\r\n0\r\n\r\n") == "0123456789")
        #expect(body("a\r\n0123456789\r\n0\r\n\r\n") == "0123456789")
        #expect(body("0000000000000001\r\nx\r\n000\r\n\r\n") == "x")
        #expect(body("1E\r\nall your base are belong to us\r\n0\r\n\r\n") == "all your base are belong to us")
    }

    /// Chunk extensions (token or quoted values, with BWS) are parsed and discarded.
    @Test(arguments: [
        "5;a\r\n", "5;a=b\r\n", "5;a=\"b c\"\r\n", "5;a=\"q\\\"x\\\\\";b;c=d\r\n", "5 ;a\r\n", "5\t; a = b ;c\r\n",
        "5;a=\"\"\r\n", "5;a=\"\u{E9}\"\r\n", "5;!#$%&'*+-.^_`|~=x\r\n",
    ])
    func chunked_DiscardsValidExtensions(_ sizeLine: String) {
        #expect(body(sizeLine + "hello\r\n0;last=1\r\n\r\n") == "hello")
    }

    /// Trailer fields are validated and discarded: not merged into the headers.
    @Test func chunked_DiscardsTrailerFields() throws {
        let r = try #require(
            parseSingle(
                "POST / HTTP/1.1\r\nHost: a\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "3\r\nabc\r\n0\r\nX-Sum: 1\r\nHost: evil\r\nContent-Length: 9\r\n\r\n"))
        #expect(r.body == Array("abc".utf8))
        #expect(r.headers.values("Host") == ["a"])
        #expect(!r.headers.contains("X-Sum"))
    }

    /// The delivered request is framed by Content-Length: Transfer-Encoding and Trailer are removed
    /// (RFC 9112 §7.1.3), so nothing downstream decodes the body twice.
    @Test func chunked_ReplacesTransferEncodingWithContentLength() throws {
        let r = try #require(
            parseSingle("POST / HTTP/1.1\r\nHost: a\r\nTrailer: X\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n2\r\nok\r\n0\r\n\r\n"))
        #expect(r.headers == HTTPHeaders([("Host", "a"), ("X-A", "1"), ("Content-Length", "2")]))
    }

    /// A request pipelined after a chunked one parses, and so does a chunked one after it.
    @Test func chunked_ParsesPipelinedRequestsAfterChunked() {
        let outcome = parseEverySplit(
            Self.head + "3\r\nabc\r\n0\r\nT: 1\r\n\r\n" + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n" + Self.head
                + "1\r\nz\r\n0\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.requests.map(\.path) == ["/hook", "/next", "/hook"])
        #expect(outcome.requests.map(\.body) == [Array("abc".utf8), [], Array("z".utf8)])
        #expect(outcome.phase == .idle)
    }

    /// Chunk data that looks like a request, or like chunk framing, is data.
    @Test func chunked_TreatsDataAsData_WhenItLooksLikeFraming() {
        let inner = "0\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n"
        let outcome = parseEverySplit(Self.head + String(inner.utf8.count, radix: 16) + "\r\n" + inner + "\r\n0\r\n\r\n")
        #expect(outcome.results.count == 1)
        #expect(outcome.requests.first?.body == Array(inner.utf8))
    }

    /// The phase is `.body` from the end of the head until the final CRLF of the trailer section.
    @Test func chunked_ReportsBodyPhase_UntilTheMessageEnds() {
        #expect(parseEverySplit(Self.head).phase == .body)
        #expect(parseEverySplit(Self.head + "5\r\nhel").phase == .body)
        #expect(parseEverySplit(Self.head + "5\r\nhello\r\n0\r\nX: 1\r\n").phase == .body)
        #expect(parseEverySplit(Self.head + "0\r\n\r\n").phase == .idle)
    }

    /// Framing and data are consumed as they are read: a large body streamed in pieces leaves no
    /// bytes buffered, only the decoded body grows.
    @Test func chunked_KeepsBufferEmpty_WhileDataStreams() throws {
        var parser = HTTPRequestParser()
        parser.feed(Array((Self.head + "8000;x=y\r\n").utf8))
        #expect(parser.next() == .needMore)
        #expect(parser.bufferedByteCount == 0)
        for _ in 0..<32 {
            parser.feed([UInt8](repeating: 0x61, count: 1024))
            #expect(parser.next() == .needMore)
            #expect(parser.bufferedByteCount == 0)
            #expect(parser.phase == .body)
        }
        parser.feed(Array("\r\n0\r\n".utf8))
        #expect(parser.next() == .needMore)
        #expect(parser.bufferedByteCount == 0)
        parser.feed(Array("\r\n".utf8))
        let r = try #require(parser.next().request)
        #expect(r.body.count == 0x8000)
        #expect(r.headers["Content-Length"] == "32768")
    }

    // MARK: - Invalid framing

    /// A chunk-size that is not 1*HEXDIG at the start of the line is invalidChunkSize.
    @Test(arguments: ["0x5", "+5", "-5", " 5", "\t5", "", ";a", "g", "5g", "=5", "\u{0}", "\u{E9}", "5.0", "5,"])
    func chunked_RejectsInvalidChunkSize(_ size: String) {
        #expect(error(size + "\r\nhello\r\n0\r\n\r\n") == .invalidChunkSize)
        #expect(HTTPParseError.invalidChunkSize.status.code == 400)
    }

    /// Malformed extensions, and whitespace after the size not followed by ";", are rejected.
    @Test(arguments: [
        "5 ", "5\t", "5 x", "5;", "5; ", "5;=b", "5;a=", "5;a= ", "5;a =", "5;a b", "5;a=b c", "5;a=\"x", "5;a=\"x\"y",
        "5;a=\"x\u{1}\"", "5;a=\"\\\u{1}\"", "5;a=\"x\\", "5;a,b", "5;a=b,c", "5;a\u{7F}", "5;;a", "5;a=\"x\" ",
    ])
    func chunked_RejectsInvalidExtension(_ sizeLine: String) {
        #expect(error(sizeLine + "\r\nhello\r\n0\r\n\r\n") == .invalidChunkExtension)
    }

    /// A missing last chunk (an empty line where a chunk-size belongs) is invalidChunkSize.
    @Test func chunked_RejectsMissingLastChunk() {
        #expect(error("3\r\nfoo\r\n\r\n") == .invalidChunkSize)
    }

    /// Chunk data must be followed by exactly CRLF.
    @Test func chunked_RejectsMissingCRLFAfterData() {
        #expect(error("5\r\nhelloX\r\n0\r\n\r\n") == .missingCRLFAfterChunkData)
        #expect(error("5\r\nhello0\r\n\r\n") == .missingCRLFAfterChunkData)
        #expect(error("3\r\nhello\r\n0\r\n\r\n") == .missingCRLFAfterChunkData)
        #expect(HTTPParseError.missingCRLFAfterChunkData.status.code == 400)
    }

    /// A bare CR or bare LF anywhere in the framing is rejected like elsewhere.
    @Test(arguments: [
        "5\nhello\r\n0\r\n\r\n", "5\rhello\r\n0\r\n\r\n", "5\r\r\nhello\r\n0\r\n\r\n", "5\r\nhello\n0\r\n\r\n",
        "5\r\nhello\rX0\r\n\r\n", "5\r\nhello\r\n0\n\r\n", "5\r\nhello\r\n0\r\n\n", "5\r\nhello\r\n0\r\nX: 1\n\r\n",
        "5;a=\"\r\"\r\nhello\r\n0\r\n\r\n", "0\r\n\r\r\n",
    ])
    func chunked_RejectsBareLineBreaks(_ chunks: String) {
        #expect(error(chunks) == .bareCarriageReturn)
    }

    /// Trailer field lines are validated like header field lines.
    @Test(arguments: [" X: 1", "\tX: 1", "X : 1", "X: a\u{0}b", "X: a\u{1}", "NoColon", ": v", "X(: 1", "X\u{E9}: 1"])
    func chunked_RejectsInvalidTrailerField(_ fieldLine: String) {
        #expect(error("1\r\nx\r\n0\r\nOk: 1\r\n" + fieldLine + "\r\n\r\n") == .invalidTrailerField)
        #expect(HTTPParseError.invalidTrailerField.status.code == 400)
    }

    /// A framing error ends the connection: a request pipelined after it is never parsed.
    @Test func chunked_StopsAtError_WhenPipelined() {
        let outcome = parseEverySplit(Self.head + "5\r\nhelloGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(outcome.requests.isEmpty)
        #expect(outcome.error == .missingCRLFAfterChunkData)
    }

    // MARK: - Limits

    private static let small = HTTPParserLimits(
        maxRequestLineBytes: 64, maxHeaderBytes: 128, maxHeaderCount: 3, maxBodyBytes: 10,
        maxChunkExtensionBytes: 8, maxTrailerBytes: 12)

    /// A decoded body of exactly maxBodyBytes passes, in one chunk or several.
    @Test func chunked_AcceptsBody_WhenExactlyAtLimit() {
        #expect(body("a\r\n0123456789\r\n0\r\n\r\n", limits: Self.small) == "0123456789")
        #expect(body("6\r\n012345\r\n4\r\n6789\r\n0\r\n\r\n", limits: Self.small) == "0123456789")
    }

    /// A chunk that would take the body past maxBodyBytes is 413 on its size line, before its data.
    @Test func chunked_RejectsBodyOverLimit_OnTheSizeLine() {
        #expect(error("b\r\n", limits: Self.small) == .bodyTooLarge)
        #expect(error("6\r\n012345\r\n5\r\n", limits: Self.small) == .bodyTooLarge)
        // Known from the digits alone, before the line ends.
        #expect(error("6\r\n012345\r\n0005", limits: Self.small) == .bodyTooLarge)
        #expect(error("FFFFFFFF", limits: .default) == .bodyTooLarge)
        #expect(HTTPParseError.bodyTooLarge.status.code == 413)
    }

    /// Sizes never overflow: 16 hex digits are the most, and a huge value is over any body limit.
    @Test func chunked_RejectsHugeSizes_WithoutOverflow() {
        let unlimited = HTTPParserLimits(maxBodyBytes: .max)
        #expect(error("FFFFFFFFFFFFFFFF\r\n", limits: unlimited) == .bodyTooLarge)
        #expect(error("8000000000000000\r\n", limits: unlimited) == .bodyTooLarge)
        #expect(error("00000000000000001\r\nx\r\n0\r\n\r\n", limits: unlimited) == .invalidChunkSize)
        #expect(error("0000000000000000000000000000", limits: unlimited) == .invalidChunkSize)
    }

    /// A chunk-size line without CRLF is rejected once it passes its bound, not buffered forever.
    @Test func chunked_RejectsLongSizeLine_BeforeCRLFArrives() {
        #expect(error("1" + String(repeating: " ", count: 2000)) == .chunkExtensionsTooLong)
        #expect(error("1;" + String(repeating: "a", count: 2000)) == .chunkExtensionsTooLong)
        #expect(error(String(repeating: "0", count: 2000)) == .invalidChunkSize)
    }

    /// Extension bytes are bounded per message: exactly at the limit passes, one more fails, even
    /// spread over several chunks, and as soon as the byte arrives.
    @Test func chunked_EnforcesExtensionLimit() {
        #expect(body("1;abcdefg\r\nx\r\n0\r\n\r\n", limits: Self.small) == "x")
        #expect(error("1;abcdefgh\r\nx\r\n0\r\n\r\n", limits: Self.small) == .chunkExtensionsTooLong)
        #expect(error("1;abcdefgh", limits: Self.small) == .chunkExtensionsTooLong)
        #expect(error("1;abc\r\nx\r\n0;abcd\r\n\r\n", limits: Self.small) == .chunkExtensionsTooLong)
        #expect(body("1;abc\r\nx\r\n0;abc\r\n\r\n", limits: Self.small) == "x")
        #expect(error("1;a", limits: HTTPParserLimits(maxChunkExtensionBytes: 0)) == .chunkExtensionsTooLong)
    }

    /// The trailer section is bounded in bytes (field lines with their CRLFs) and in fields.
    @Test func chunked_EnforcesTrailerLimits() {
        #expect(body("0\r\nX: 1234567\r\n\r\n", limits: Self.small) == "")
        #expect(body("0\r\nA: 1\r\nB: 2\r\n\r\n", limits: Self.small) == "")
        #expect(error("0\r\nX: 12345678\r\n\r\n", limits: Self.small) == .trailerSectionTooLarge)
        #expect(error("0\r\nA: 1\r\nB: 23\r\n\r\n", limits: Self.small) == .trailerSectionTooLarge)
        #expect(error("0\r\nX: " + String(repeating: "v", count: 100), limits: Self.small) == .trailerSectionTooLarge)
        let manyFields = String(repeating: "A: 1\r\n", count: 4)
        #expect(error("0\r\n" + manyFields + "\r\n", limits: HTTPParserLimits(maxHeaderCount: 3)) == .trailerSectionTooLarge)
        #expect(HTTPParseError.trailerSectionTooLarge.status.code == 431)
    }
}
