/// The status line (RFC 9112 §4), list-valued fields and the chunked coding (RFC 9112 §7.1) of
/// `HTTPResponseParser`.
extension HTTPResponseParser {
    /// Parses a status line (CRLF excluded): nil or a failure when it is not acceptable.
    ///
    /// RFC 9112 §4:
    ///   status-line   = HTTP-version SP status-code SP [ reason-phrase ]
    ///   status-code   = 3DIGIT
    ///   reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
    /// RFC 9112 §2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT ; HTTP-name = %s"HTTP"
    /// The SP after the code is required by the grammar; a line that ends right after the three
    /// digits is accepted too (common in practice, and unambiguous). Codes outside 100...599 are
    /// not defined by RFC 9110 §15 and are refused.
    static func parseStatusLine(
        _ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>
    ) -> Result<Head, HTTPResponseParseError>? {
        let s = r.lowerBound
        let e = r.upperBound
        guard e - s >= 12 else { return nil }
        let prefix: [UInt8] = Array("HTTP/".utf8)
        for i in 0..<5 where bytes[s + i] != prefix[i] { return nil }
        let major = bytes[s + 5]
        let minor = bytes[s + 7]
        guard HTTPGrammar.isDigit(major), bytes[s + 6] == 0x2E, HTTPGrammar.isDigit(minor), bytes[s + 8] == HTTPGrammar.sp else {
            return nil
        }
        // RFC 9112 §2.3: a recipient of a higher minor version of HTTP/1 processes it as the
        // highest it supports; other majors are not this protocol.
        guard major == 0x31 else { return .failure(.unsupportedVersion) }
        let version = minor == 0x30 ? HTTPVersion.http1_0 : HTTPVersion.http1_1
        var code = 0
        for p in (s + 9)..<(s + 12) {
            guard HTTPGrammar.isDigit(bytes[p]) else { return nil }
            code = code * 10 + Int(bytes[p] &- 0x30)
        }
        guard (100...599).contains(code) else { return nil }
        var reason = ""
        if e > s + 12 {
            guard bytes[s + 12] == HTTPGrammar.sp else { return nil }
            let reasonRange = (s + 13)..<e
            for p in reasonRange where !HTTPGrammar.isFieldValueByte(bytes[p]) { return nil }
            reason = HTTPRequestParser.decodeFieldValue(bytes, reasonRange, ascii: false)
        }
        return .success(Head(version: version, statusCode: code, reasonPhrase: reason))
    }

    /// The non-empty elements of a comma-separated list value, OWS trimmed.
    static func listElements(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var s = r.lowerBound
        while s <= r.upperBound {
            var e = s
            while e < r.upperBound && bytes[e] != HTTPGrammar.comma { e += 1 }
            var a = s
            var b = e
            while a < b && HTTPGrammar.isOWS(bytes[a]) { a += 1 }
            while b > a && HTTPGrammar.isOWS(bytes[b - 1]) { b -= 1 }
            if a < b { result.append(a..<b) }
            s = e + 1
        }
        return result
    }

    /// One step of decoding a chunked body (RFC 9112 §7.1), as in `HTTPRequestParser`.
    mutating func advanceChunked(_ bytes: UnsafeBufferPointer<UInt8>) -> Step? {
        switch chunked.stage {
        case .size:
            let maxSize = limits.maxBodyBytes - chunked.decoded.count
            let extensionBudget = limits.maxChunkExtensionBytes - chunked.extensionBytes
            var p = scanIndex
            while p < bytes.count {
                let b = bytes[p]
                // RFC 9112 §2.2: CRLF ends the line; a bare CR or LF is an error.
                if b == HTTPGrammar.lf { return .error(.bareLineBreak) }
                if b == HTTPGrammar.cr {
                    guard p + 1 < bytes.count else { break }
                    guard bytes[p + 1] == HTTPGrammar.lf else { return .error(.bareLineBreak) }
                    switch chunked.line.finish() {
                    case .failure(let error):
                        return .error(HTTPResponseParseError(error))
                    case .success(let size):
                        chunked.extensionBytes += chunked.line.extensionBytes
                        chunked.line = HTTPRequestParser.ChunkLineScanner()
                        discard(upTo: p + 2)
                        // RFC 9112 §7.1: last-chunk = 1*("0") [ chunk-ext ] CRLF, then the trailers.
                        chunked.stage = size == 0 ? .trailers : .data(remaining: size)
                        return nil
                    }
                }
                if let error = chunked.line.consume(b, maxSize: maxSize, maxExtensionBytes: extensionBudget) {
                    return .error(HTTPResponseParseError(error))
                }
                p += 1
            }
            scanIndex = p
            return .needMore

        case .data(let remaining):
            // RFC 9112 §7.1: chunk-data = 1*OCTET ; a sequence of chunk-size octets.
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
            // RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF.
            guard scanIndex < bytes.count else { return .needMore }
            let first = bytes[scanIndex]
            if first == HTTPGrammar.lf { return .error(.bareLineBreak) }
            guard first == HTTPGrammar.cr else { return .error(.missingCRLFAfterChunkData) }
            guard scanIndex + 1 < bytes.count else { return .needMore }
            guard bytes[scanIndex + 1] == HTTPGrammar.lf else { return .error(.bareLineBreak) }
            discard(upTo: scanIndex + 2)
            chunked.stage = .size

        case .trailers:
            // RFC 9112 §7.1.2: trailer-section = *( field-line CRLF ), then the final CRLF.
            let budget = limits.maxTrailerBytes - chunked.trailerBytes
            switch HTTPRequestParser.scanLine(bytes, from: scanIndex, limit: Self.offset(lineStart, by: budget)) {
            case .needMore(let resume):
                scanIndex = resume
                return .needMore
            case .bareLineBreak:
                return .error(.bareLineBreak)
            case .overLimit:
                return .error(.trailerSectionTooLarge)
            case .line(let end, let next):
                if end == lineStart {
                    let response = makeResponse(body: chunked.decoded, chunked: true, untilClose: false)
                    chunked = HTTPRequestParser.ChunkedBody()
                    return .response(response, end: next)
                }
                if next - lineStart > budget { return .error(.trailerSectionTooLarge) }
                if chunked.trailerCount >= limits.maxHeaderCount { return .error(.trailerSectionTooLarge) }
                // RFC 9110 §6.5.1: a trailer field the recipient does not recognise "MUST NOT" be
                // merged into the header section: all are validated and dropped.
                if case .failure = HTTPRequestParser.parseFieldLine(bytes, lineStart..<end) { return .error(.invalidTrailerField) }
                chunked.trailerBytes += next - lineStart
                chunked.trailerCount += 1
                discard(upTo: next)
            }
        }
        return nil
    }

}
