/// What `HTTPRequestParser.next()` found.
public enum HTTPParseResult: Sendable, Equatable {
    /// The buffered bytes do not hold a complete request yet.
    case needMore
    /// One complete request; call `next()` again for a pipelined one.
    case request(HTTPRequest)
    /// The input is not acceptable HTTP/1.1; the connection must answer and close.
    case error(HTTPParseError)
}

/// Incremental, strict HTTP/1.1 request parser (RFC 9112): bytes in → need more / request / error.
/// Knows nothing of sockets.
///
/// Push bytes with `feed`, then call `next()` until it returns `.needMore` or `.error`. The result
/// is the same whatever way the input was split across `feed` calls. Errors are sticky: after one,
/// `next()` keeps returning it and `feed` drops its input (the connection must answer and close).
///
/// Bodies are framed by Content-Length or by the chunked transfer coding, which is decoded here
/// (`HTTPRequestParser+Chunked.swift`): the request delivered carries the decoded body and a
/// Content-Length instead of Transfer-Encoding.
///
/// Cost: each received byte is scanned once for its line end and once more when its line is
/// parsed (chunk data is copied once); the buffer is compacted lazily and released once empty if it
/// grew past 4 KiB.
public struct HTTPRequestParser: Sendable {
    /// Where the parser is, which decides the timeout that applies.
    public enum Phase: Sendable, Equatable {
        /// No byte of the next request has arrived (also after an error: nothing more is read).
        case idle
        /// Some bytes of the request line or header section have arrived (leading empty lines
        /// count).
        case head
        /// The header section is complete; the body is being read (Content-Length octets, or chunks
        /// up to the end of the trailer section).
        case body
    }

    /// Which part of the request the parser is reading.
    private enum Stage: Sendable {
        case requestLine
        case headers
        /// Waiting for `length` body bytes starting at `scanIndex`.
        case body(length: Int)
        /// Decoding a chunked body; `chunked` says where.
        case chunked
        case failed(HTTPParseError)
    }

    /// What one call to `advance` produced.
    private enum Step {
        case needMore
        /// A complete request whose last byte is just before `end`.
        case request(HTTPRequest, end: Int)
        case error(HTTPParseError)
    }

    public let limits: HTTPParserLimits

    /// Received bytes; `buffer[start...]` are not consumed yet.
    private var buffer: [UInt8] = []
    /// First byte of the request being parsed, leading empty lines included.
    private var start = 0
    /// First byte of the line being read.
    private var lineStart = 0
    /// Where scanning resumes: the bytes in `lineStart..<scanIndex` are checked already. In the
    /// body stage, the first body byte.
    private var scanIndex = 0
    /// First byte of the header section (just after the request line's CRLF).
    private var headerStart = 0
    private var stage = Stage.requestLine
    /// The request line and fields read so far; set once the request line is parsed.
    private var head: PartialHead? {
        get { headBox?.value }
        _modify {
            Box.makeUnique(&headBox)
            yield &headBox!.value
        }
        set { headBox = newValue.map { Box($0) } }
    }
    /// The chunked body being decoded, in the `.chunked` stage.
    private var chunked: ChunkedBody {
        get { chunkedBox?.value ?? ChunkedBody() }
        _modify {
            if chunkedBox == nil { chunkedBox = Box(ChunkedBody()) }
            Box.makeUnique(&chunkedBox)
            yield &chunkedBox!.value
        }
        set { chunkedBox = Box(newValue) }
    }
    // why: boxed (copy on write), so a connection between requests (idle, or waiting for its
    // answer: ten thousand long-polls) holds two nil pointers instead of ~240 bytes of parse state.
    private var headBox: Box<PartialHead?>?
    private var chunkedBox: Box<ChunkedBody>?

    /// A value on the heap, copied when shared (a copied parser keeps value semantics).
    final class Box<Value>: @unchecked Sendable {  // why: mutated only through `makeUnique`, never shared.
        var value: Value
        init(_ value: Value) { self.value = value }

        /// Makes `box` the only reference to its value (a copy if another parser shares it).
        static func makeUnique(_ box: inout Box?) {
            // why: no `let` of the box here: a second reference would make it never unique.
            guard box != nil, !isKnownUniquelyReferenced(&box!) else { return }
            box = Box(box!.value)
        }
    }

    /// Capacity above which an emptied buffer is released rather than kept for the next request.
    private static let retainedCapacity = 4096

    public init(limits: HTTPParserLimits = .default) {
        self.limits = limits
    }

    /// Frees the buffer when nothing is buffered, so a keep-alive connection waiting for its next
    /// request holds no parser memory at all. The connection calls it when it goes idle.
    public mutating func releaseIdleMemory() {
        if start == buffer.count && buffer.capacity > 0, case .requestLine = stage {
            buffer = []
            start = 0
            lineStart = 0
            scanIndex = 0
            headerStart = 0
        }
    }

    /// The phase the parser is in, for the connection to pick its timeout.
    public var phase: Phase {
        switch stage {
        case .requestLine: buffer.count > start ? .head : .idle
        case .headers: .head
        case .body, .chunked: .body
        case .failed: .idle
        }
    }

    /// Bytes received and not yet consumed (for back-pressure). The framing of a chunked body is
    /// consumed as it is read and its data as it is decoded, so this stays bounded while a chunked
    /// body streams in; the decoded data (at most `maxBodyBytes`) is not counted.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Appends received bytes (copied). Ignored after an error.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        if case .failed = stage { return }
        // why: shift the unconsumed bytes down only when the append would grow the array and the
        // consumed prefix is at least as long as what remains, so each byte moves at most once
        // on average (amortised O(1)) and pipelined requests never pay a shift each.
        let remaining = buffer.count - start
        if start > 0 && start >= remaining && buffer.count + bytes.count > buffer.capacity {
            compact()
        }
        buffer.append(contentsOf: bytes)
    }

    /// Appends received bytes. Ignored after an error.
    public mutating func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The next complete request from the buffered bytes, `.needMore`, or the (sticky) error.
    /// Call it again after a request: more pipelined requests may be buffered.
    public mutating func next() -> HTTPParseResult {
        if case .failed(let error) = stage { return .error(error) }
        let step: Step
        do {
            // why: a local reference to the storage, so `advance` may mutate `self` while reading
            // it without overlapping accesses (`advance` never writes `buffer`). The block ends the
            // reference before `consume` empties `buffer`, which would otherwise copy it.
            let storage = buffer
            step = storage.withUnsafeBufferPointer { advance($0) }
        }
        switch step {
        case .needMore:
            return .needMore
        case .request(let request, let end):
            consume(upTo: end)
            return .request(request)
        case .error(let error):
            stage = .failed(error)
            headBox = nil
            chunkedBox = nil
            buffer = []
            start = 0
            lineStart = 0
            scanIndex = 0
            headerStart = 0
            return .error(error)
        }
    }

    /// Runs the state machine over the buffered bytes until it needs more input, completes a
    /// request, or fails.
    private mutating func advance(_ bytes: UnsafeBufferPointer<UInt8>) -> Step {
        while true {
            switch stage {
            case .requestLine:
                // Leading empty lines are counted into the request-line limit, which bounds how
                // many a client can send.
                let limit = Self.offset(start, by: limits.maxRequestLineBytes)
                switch Self.scanLine(bytes, from: scanIndex, limit: limit) {
                case .needMore(let resume):
                    scanIndex = resume
                    return .needMore
                case .bareLineBreak:
                    return .error(.bareCarriageReturn)
                case .overLimit:
                    return .error(.requestLineTooLong)
                case .line(let end, let next):
                    // RFC 9112 §2.2: "a server that is expecting to receive and parse a
                    // request-line SHOULD ignore at least one empty line (CRLF) received prior to
                    // the request-line."
                    if end == lineStart {
                        // scanLine never counts CR and LF against the limit: count them here.
                        if next - start > limits.maxRequestLineBytes { return .error(.requestLineTooLong) }
                        lineStart = next
                        scanIndex = next
                        continue
                    }
                    switch Self.parseRequestLine(bytes, lineStart..<end) {
                    case .failure(let error):
                        return .error(error)
                    case .success(let line):
                        head = PartialHead(line: line)
                    }
                    lineStart = next
                    scanIndex = next
                    headerStart = next
                    stage = .headers
                }

            case .headers:
                let limit = Self.offset(headerStart, by: limits.maxHeaderBytes)
                switch Self.scanLine(bytes, from: scanIndex, limit: limit) {
                case .needMore(let resume):
                    scanIndex = resume
                    return .needMore
                case .bareLineBreak:
                    return .error(.bareCarriageReturn)
                case .overLimit:
                    return .error(.headerSectionTooLarge)
                case .line(let end, let next):
                    // RFC 9112 §2.1: HTTP-message = start-line CRLF *( field-line CRLF ) CRLF
                    // [ message-body ]; the empty line ends the header section.
                    if end == lineStart {
                        switch head!.finish(limits: limits) {
                        case .failure(let error):
                            return .error(error)
                        case .success(.length(let length)):
                            scanIndex = next
                            stage = .body(length: length)
                        case .success(.chunked):
                            // The head is parsed into `head`: its bytes are no longer needed.
                            discard(upTo: next)
                            stage = .chunked
                        }
                        continue
                    }
                    // The field line with its CRLF counts into maxHeaderBytes.
                    if next - headerStart > limits.maxHeaderBytes {
                        return .error(.headerSectionTooLarge)
                    }
                    if head!.fieldCount >= limits.maxHeaderCount {
                        return .error(.headerSectionTooLarge)
                    }
                    if let error = head!.addField(bytes, lineStart..<end) {
                        return .error(error)
                    }
                    lineStart = next
                    scanIndex = next
                }

            case .body(let length):
                // RFC 9112 §6.2: the Content-Length value is the number of octets of the body.
                guard bytes.count - scanIndex >= length else { return .needMore }
                let end = scanIndex + length
                let body = length == 0 ? [] : Array(UnsafeBufferPointer(rebasing: bytes[scanIndex..<end]))
                let request = head!.request(body: body)
                return .request(request, end: end)

            case .chunked:
                if let step = advanceChunked(bytes) { return step }

            case .failed(let error):
                return .error(error)
            }
        }
    }

    /// One step of decoding a chunked body (RFC 9112 §7.1): nil to go on, or what `advance` returns.
    /// Each piece of framing is dropped from the buffer once read, and chunk data once copied.
    private mutating func advanceChunked(_ bytes: UnsafeBufferPointer<UInt8>) -> Step? {
        switch chunked.stage {
        case .size:
            // The chunk-size line is read byte by byte (`ChunkLineScanner`), which bounds its
            // length: at most maxChunkSizeDigits digits and the extension bytes the message has
            // left.
            let maxSize = limits.maxBodyBytes - chunked.decoded.count
            let extensionBudget = limits.maxChunkExtensionBytes - chunked.extensionBytes
            var p = scanIndex
            while p < bytes.count {
                let b = bytes[p]
                // RFC 9112 §2.2: CRLF ends the line; a bare CR or LF is an error, as in the head.
                if b == HTTPGrammar.lf { return .error(.bareCarriageReturn) }
                if b == HTTPGrammar.cr {
                    guard p + 1 < bytes.count else { break }
                    guard bytes[p + 1] == HTTPGrammar.lf else { return .error(.bareCarriageReturn) }
                    switch chunked.line.finish() {
                    case .failure(let error):
                        return .error(error)
                    case .success(let size):
                        chunked.extensionBytes += chunked.line.extensionBytes
                        chunked.line = ChunkLineScanner()
                        discard(upTo: p + 2)
                        // RFC 9112 §7.1: last-chunk = 1*("0") [ chunk-ext ] CRLF, then the trailer
                        // section.
                        chunked.stage = size == 0 ? .trailers : .data(remaining: size)
                        return nil
                    }
                }
                if let error = chunked.line.consume(b, maxSize: maxSize, maxExtensionBytes: extensionBudget) {
                    return .error(error)
                }
                p += 1
            }
            // Resume at the first byte not given to the scanner (a trailing CR, or the end).
            scanIndex = p
            return .needMore

        case .data(let remaining):
            // RFC 9112 §7.1: chunk-data = 1*OCTET ; a sequence of chunk-size octets. The size
            // was checked against maxBodyBytes on its line: the decoded body stays within it.
            let available = min(remaining, bytes.count - scanIndex)
            if available > 0 {
                chunked.decoded.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[scanIndex..<(scanIndex + available)]))
                discard(upTo: scanIndex + available)
            }
            if available < remaining {
                chunked.stage = .data(remaining: remaining - available)
                return .needMore
            }
            chunked.stage = .dataEnd

        case .dataEnd:
            // RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF. Exactly CRLF
            // must follow the data; a bare LF is the same error as elsewhere (RFC 9112 §2.2).
            guard scanIndex < bytes.count else { return .needMore }
            let first = bytes[scanIndex]
            if first == HTTPGrammar.lf { return .error(.bareCarriageReturn) }
            guard first == HTTPGrammar.cr else { return .error(.missingCRLFAfterChunkData) }
            guard scanIndex + 1 < bytes.count else { return .needMore }
            guard bytes[scanIndex + 1] == HTTPGrammar.lf else { return .error(.bareCarriageReturn) }
            discard(upTo: scanIndex + 2)
            chunked.stage = .size

        case .trailers:
            // RFC 9112 §7.1.2: trailer-section = *( field-line CRLF ), then the final CRLF.
            let budget = limits.maxTrailerBytes - chunked.trailerBytes
            switch Self.scanLine(bytes, from: scanIndex, limit: Self.offset(lineStart, by: budget)) {
            case .needMore(let resume):
                scanIndex = resume
                return .needMore
            case .bareLineBreak:
                return .error(.bareCarriageReturn)
            case .overLimit:
                return .error(.trailerSectionTooLarge)
            case .line(let end, let next):
                if end == lineStart {
                    let request = head!.chunkedRequest(body: chunked.decoded)
                    chunkedBox = nil
                    return .request(request, end: next)
                }
                // The field line with its CRLF counts into maxTrailerBytes, like header fields.
                if next - lineStart > budget { return .error(.trailerSectionTooLarge) }
                if chunked.trailerCount >= limits.maxHeaderCount { return .error(.trailerSectionTooLarge) }
                // RFC 9112 §7.1.2: trailer fields are field lines (RFC 9112 §5), validated as
                // header fields are. RFC 9110 §6.5.1: "A recipient that decodes the chunked
                // transfer coding and receives a trailer field that it does not recognize MUST
                // NOT merge it into the header section": we recognise none and drop them all.
                if case .failure = Self.parseFieldLine(bytes, lineStart..<end) { return .error(.invalidTrailerField) }
                chunked.trailerBytes += next - lineStart
                chunked.trailerCount += 1
                discard(upTo: next)
            }
        }
        return nil
    }

    /// Drops `buffer[..<end]` (read and no longer needed) while a chunked body is decoded, so the
    /// buffer holds only what is not parsed yet.
    private mutating func discard(upTo end: Int) {
        start = end
        lineStart = end
        scanIndex = end
        headerStart = end
    }

    /// Marks `buffer[..<end]` consumed and gets ready for the next request.
    private mutating func consume(upTo end: Int) {
        if end == buffer.count {
            // why: idle keep-alive connections should hold no large buffer.
            if buffer.capacity > Self.retainedCapacity {
                buffer = []
            } else {
                buffer.removeAll(keepingCapacity: true)
            }
            start = 0
        } else {
            start = end
        }
        lineStart = start
        scanIndex = start
        headerStart = start
        stage = .requestLine
        headBox = nil
    }

    /// `index + limit`, saturating: limits are configuration and may be `Int.max`.
    private static func offset(_ index: Int, by limit: Int) -> Int {
        let (sum, overflow) = index.addingReportingOverflow(limit)
        return overflow ? Int.max : sum
    }

    /// Drops the consumed prefix `buffer[..<start]` and rebases the positions.
    private mutating func compact() {
        let shift = start
        buffer.removeSubrange(0..<shift)
        start = 0
        lineStart -= shift
        scanIndex -= shift
        headerStart -= shift
    }
}
