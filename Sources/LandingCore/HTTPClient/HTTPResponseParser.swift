/// What `HTTPResponseParser.next()` found.
public enum HTTPResponseParseResult: Sendable, Equatable {
    /// The buffered bytes do not hold a complete response yet.
    case needMore
    /// One complete final response.
    case response(HTTPClientResponse)
    /// The input is not an acceptable HTTP/1.1 response; close the connection and discard it.
    case error(HTTPResponseParseError)
}

/// Incremental, strict HTTP/1.1 response parser (RFC 9112), the client's counterpart of
/// `HTTPRequestParser`: bytes in → need more / response / error. Knows nothing of sockets.
///
/// Push bytes with `feed`, say when the peer closed with `endOfInput()`, and call `next()`. The
/// result does not depend on how the input was split across `feed` calls (the tests feed every
/// split). Errors are sticky. Interim (1xx) responses are read and skipped. Bodies are framed by
/// Content-Length, by the chunked coding (decoded here, with the request parser's chunk-line
/// scanner), or by the connection's close; every framing is bounded by `limits.maxBodyBytes`.
///
/// Field lines, Content-Length values and chunk lines go through the same helpers as requests
/// (`HTTPRequestParser+Fields.swift`, `+Chunked.swift`, `+Lines.swift`), so both directions apply
/// one grammar.
public struct HTTPResponseParser: Sendable {
    enum Stage: Sendable {
        case statusLine
        case headers
        /// Waiting for `length` body bytes starting at `scanIndex`.
        case body(length: Int)
        case chunked
        /// The body runs until the connection closes (RFC 9112 §6.3 rule 8).
        case untilClose
        case failed(HTTPResponseParseError)
    }

    /// The status line and fields of the response being read.
    struct Head: Sendable {
        var version: HTTPVersion
        var statusCode: Int
        var reasonPhrase: String
        var headers = HTTPHeaders()
        var fieldCount = 0
        var contentLength: Int?
        var hasTransferEncoding = false
        var codings = HTTPRequestParser.TransferCodings()
        var connectionClose = false
        var connectionKeepAlive = false
    }

    public let limits: HTTPResponseParserLimits
    /// The request was HEAD: a final response has no body whatever its fields say.
    public let isResponseToHEAD: Bool

    private var buffer: [UInt8] = []
    /// First byte not consumed.
    private var start = 0
    var lineStart = 0
    var scanIndex = 0
    private var headerStart = 0
    var stage = Stage.statusLine
    var head: Head?
    var chunked = HTTPRequestParser.ChunkedBody()
    private var interimCount = 0
    private var inputEnded = false

    public init(limits: HTTPResponseParserLimits = .default, isResponseToHEAD: Bool = false) {
        self.limits = limits
        self.isResponseToHEAD = isResponseToHEAD
    }

    /// Appends received bytes (copied). Ignored after an error or after `endOfInput()`.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty, !inputEnded else { return }
        if case .failed = stage { return }
        if start > 0 && start >= buffer.count - start && buffer.count + bytes.count > buffer.capacity { compact() }
        buffer.append(contentsOf: bytes)
    }

    /// Appends received bytes. Ignored after an error or after `endOfInput()`.
    public mutating func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The peer closed the connection (cleanly): a body framed by the close is complete; any other
    /// partial response is `truncated` (or `closedBeforeResponse` when nothing arrived).
    public mutating func endOfInput() {
        inputEnded = true
    }

    /// Whether the response being read has a body that ends when the connection closes (RFC 9112
    /// §6.3 rule 8). Over TLS, such a body is complete only after close_notify.
    public var bodyEndsAtClose: Bool {
        if case .untilClose = stage { return true }
        return false
    }

    /// Bytes received and not yet consumed.
    public var bufferedByteCount: Int { buffer.count - start }

    /// The next complete response, `.needMore`, or the (sticky) error.
    public mutating func next() -> HTTPResponseParseResult {
        if case .failed(let error) = stage { return .error(error) }
        let step: Step
        do {
            // why: a local reference to the storage, so `advance` may mutate `self` while reading it.
            let storage = buffer
            step = storage.withUnsafeBufferPointer { advance($0) }
        }
        switch step {
        case .needMore:
            guard inputEnded else { return .needMore }
            let error: HTTPResponseParseError =
                if case .statusLine = stage, buffer.count == start, interimCount == 0 { .closedBeforeResponse } else { .truncated }
            return fail(error)
        case .response(let response, let end):
            consume(upTo: end)
            return .response(response)
        case .error(let error):
            return fail(error)
        }
    }

    enum Step {
        case needMore
        case response(HTTPClientResponse, end: Int)
        case error(HTTPResponseParseError)
    }

    private mutating func fail(_ error: HTTPResponseParseError) -> HTTPResponseParseResult {
        stage = .failed(error)
        buffer = []
        start = 0
        head = nil
        chunked = HTTPRequestParser.ChunkedBody()
        return .error(error)
    }

    private mutating func advance(_ bytes: UnsafeBufferPointer<UInt8>) -> Step {
        while true {
            switch stage {
            case .statusLine:
                let limit = Self.offset(lineStart, by: limits.maxStatusLineBytes)
                switch HTTPRequestParser.scanLine(bytes, from: scanIndex, limit: limit) {
                case .needMore(let resume):
                    scanIndex = resume
                    return .needMore
                case .bareLineBreak:
                    return .error(.bareLineBreak)
                case .overLimit:
                    return .error(.statusLineTooLong)
                case .line(let end, let next):
                    // RFC 9112 §2.2 lets a server ignore empty lines before a request-line; no such
                    // leniency exists for responses: an empty status line is malformed.
                    switch Self.parseStatusLine(bytes, lineStart..<end) {
                    case nil: return .error(.malformedStatusLine)
                    case .failure(let error)?: return .error(error)
                    case .success(let newHead)?: head = newHead
                    }
                    lineStart = next
                    scanIndex = next
                    headerStart = next
                    stage = .headers
                }

            case .headers:
                let limit = Self.offset(headerStart, by: limits.maxHeaderBytes)
                switch HTTPRequestParser.scanLine(bytes, from: scanIndex, limit: limit) {
                case .needMore(let resume):
                    scanIndex = resume
                    return .needMore
                case .bareLineBreak:
                    return .error(.bareLineBreak)
                case .overLimit:
                    return .error(.headerSectionTooLarge)
                case .line(let end, let next):
                    if end == lineStart {
                        if let step = finishHead(next: next) { return step }
                        continue
                    }
                    if next - headerStart > limits.maxHeaderBytes { return .error(.headerSectionTooLarge) }
                    if head!.fieldCount >= limits.maxHeaderCount { return .error(.headerSectionTooLarge) }
                    if let error = addField(bytes, lineStart..<end) { return .error(error) }
                    lineStart = next
                    scanIndex = next
                }

            case .body(let length):
                // RFC 9112 §6.2: the Content-Length value is the number of octets of the body.
                guard bytes.count - scanIndex >= length else { return .needMore }
                let end = scanIndex + length
                let body = length == 0 ? [] : Array(UnsafeBufferPointer(rebasing: bytes[scanIndex..<end]))
                return .response(makeResponse(body: body, chunked: false, untilClose: false), end: end)

            case .untilClose:
                // RFC 9112 §6.3 rule 8: "Otherwise, this is a response message without a declared
                // message body length, so the message body length is determined by the number of
                // octets received prior to the server closing the connection."
                let length = bytes.count - scanIndex
                if length > limits.maxBodyBytes { return .error(.bodyTooLarge) }
                guard inputEnded else { return .needMore }
                let body = Array(UnsafeBufferPointer(rebasing: bytes[scanIndex..<bytes.count]))
                return .response(makeResponse(body: body, chunked: false, untilClose: true), end: bytes.count)

            case .chunked:
                if let step = advanceChunked(bytes) { return step }

            case .failed(let error):
                return .error(error)
            }
        }
    }

    /// The header section ended just before `next`: decides what follows (RFC 9112 §6.3), or
    /// returns the step that ends this call.
    private mutating func finishHead(next: Int) -> Step? {
        let h = head!
        // RFC 9110 §15.2: "A client MUST be able to parse one or more 1xx responses received prior
        // to a final response, even if the client does not expect one." They have no body
        // (RFC 9112 §6.3 rule 1); 101 would switch protocols, which we never ask for.
        if h.statusCode < 200 {
            if h.statusCode == 101 { return .error(.unexpectedSwitchingProtocols) }
            interimCount += 1
            if interimCount > limits.maxInterimResponses { return .error(.tooManyInterimResponses) }
            discard(upTo: next)
            head = nil
            stage = .statusLine
            return nil
        }
        // RFC 9112 §6.3 rule 1: "Any response to a HEAD request and any response with a 1xx
        // (Informational), 204 (No Content), or 304 (Not Modified) status code is always
        // terminated by the first empty line after the header fields, regardless of the header
        // fields present in the message, and thus cannot contain a message body or trailer section."
        if isResponseToHEAD || h.statusCode == 204 || h.statusCode == 304 {
            scanIndex = next
            stage = .body(length: 0)
            return nil
        }
        if h.hasTransferEncoding {
            // RFC 9112 §6.1: "A server MUST NOT send a response containing Transfer-Encoding unless
            // the corresponding request indicates HTTP/1.1"; a client receiving an HTTP/1.0
            // message with Transfer-Encoding "MUST treat the message as if the framing is faulty".
            if h.version == .http1_0 { return .error(.unsupportedTransferEncoding) }
            // RFC 9112 §6.3 rule 3: with both fields Transfer-Encoding overrides Content-Length,
            // but "Such a message might indicate an attempt to perform request smuggling ... or
            // response splitting": we refuse it rather than guess.
            if h.contentLength != nil { return .error(.contentLengthWithTransferEncoding) }
            // RFC 9112 §6.3 rule 4: chunked must be the final coding; if it is not, a response is
            // read until close — but its bytes would be in a coding we do not decode, so refuse.
            // RFC 9112 §7: chunked is applied at most once. We send no TE header, so only
            // `chunked` alone may come back.
            guard h.codings.finalIsChunked, h.codings.chunkedCount == 1, !h.codings.hasOther else {
                return .error(.unsupportedTransferEncoding)
            }
            discard(upTo: next)
            stage = .chunked
            return nil
        }
        if let length = h.contentLength {
            // RFC 9112 §6.3 rule 6: "If a valid Content-Length header field is present without
            // Transfer-Encoding, its decimal value defines the expected message body length".
            if length > limits.maxBodyBytes { return .error(.bodyTooLarge) }
            scanIndex = next
            stage = .body(length: length)
            return nil
        }
        discard(upTo: next)
        stage = .untilClose
        return nil
    }

    /// Records the field line `bytes[r]`.
    private mutating func addField(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> HTTPResponseParseError? {
        head!.fieldCount += 1
        let field: HTTPRequestParser.FieldLine
        switch HTTPRequestParser.parseFieldLine(bytes, r) {
        case .failure(let error): return HTTPResponseParseError(error)
        case .success(let parsed): field = parsed
        }
        let name = field.name
        switch name.count {
        case 14 where HTTPGrammar.equalsLowercase(bytes, name, "content-length"):
            // RFC 9112 §6.3 rule 5: "If a message is received without Transfer-Encoding and with an
            // invalid Content-Length header field, then the message framing is invalid and the
            // recipient MUST treat it as an unrecoverable error ... the user agent MUST close the
            // connection to the server and discard the received response." Differing values are
            // invalid (RFC 9110 §8.6); a list of one repeated value counts as that value.
            guard let length = HTTPRequestParser.parseContentLength(bytes, field.value) else { return .invalidContentLength }
            if let previous = head!.contentLength, previous != length { return .invalidContentLength }
            head!.contentLength = length
        case 17 where HTTPGrammar.equalsLowercase(bytes, name, "transfer-encoding"):
            head!.hasTransferEncoding = true
            head!.codings.add(bytes, field.value)
        case 10 where HTTPGrammar.equalsLowercase(bytes, name, "connection"):
            // RFC 9110 §7.6.1: Connection = #connection-option, case-insensitive.
            for option in Self.listElements(bytes, field.value) {
                if HTTPGrammar.equalsLowercase(bytes, option, "close") { head!.connectionClose = true }
                if HTTPGrammar.equalsLowercase(bytes, option, "keep-alive") { head!.connectionKeepAlive = true }
            }
        default:
            break
        }
        head!.headers.add(
            name: String(decoding: UnsafeBufferPointer(rebasing: bytes[name]), as: UTF8.self),
            value: HTTPRequestParser.decodeFieldValue(bytes, field.value, ascii: field.high < 0x80))
        return nil
    }

    /// The finished response.
    func makeResponse(body: [UInt8], chunked: Bool, untilClose: Bool) -> HTTPClientResponse {
        let h = head!
        var headers = h.headers
        if chunked {
            // RFC 9112 §7.1.3: "Content-Length := length; Remove "chunked" from Transfer-Encoding;
            // Remove Trailer from existing header fields".
            headers.remove(name: "Transfer-Encoding")
            headers.remove(name: "Trailer")
            headers.add(name: "Content-Length", value: String(body.count))
        }
        // RFC 9112 §9.3: HTTP/1.1 defaults to persistent connections; HTTP/1.0 only with
        // keep-alive; "close" always ends it, and so does a body framed by the close.
        let closes = untilClose || h.connectionClose || (h.version == .http1_0 && !h.connectionKeepAlive)
        return HTTPClientResponse(
            version: h.version, statusCode: h.statusCode, reasonPhrase: h.reasonPhrase, headers: headers, body: body,
            closesConnection: closes)
    }

    /// Drops `buffer[..<end]` once read (framing, skipped interim responses).
    mutating func discard(upTo end: Int) {
        start = end
        lineStart = end
        scanIndex = end
        headerStart = end
    }

    /// Marks `buffer[..<end]` consumed and gets ready for the next response.
    private mutating func consume(upTo end: Int) {
        if end == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 4096)
            start = 0
        } else {
            start = end
        }
        lineStart = start
        scanIndex = start
        headerStart = start
        stage = .statusLine
        head = nil
        interimCount = 0
    }

    static func offset(_ index: Int, by limit: Int) -> Int {
        let (sum, overflow) = index.addingReportingOverflow(limit)
        return overflow ? Int.max : sum
    }

    private mutating func compact() {
        let shift = start
        buffer.removeSubrange(0..<shift)
        start = 0
        lineStart -= shift
        scanIndex -= shift
        headerStart -= shift
    }
}
