/// Field lines (RFC 9112 §5), the fields that frame the message (Host, Content-Length,
/// Transfer-Encoding) and the checks made once the header section is complete.
extension HTTPRequestParser {
    /// A request whose request line is parsed and whose field lines are being read.
    struct PartialHead: Sendable {
        var line: RequestLine
        var headers = HTTPHeaders()
        var fieldCount = 0
        var hostCount = 0
        var hostIsEmpty = false
        /// The agreed value of every Content-Length field so far.
        var contentLength: Int?
        var hasTransferEncoding = false
        /// Whether the last non-empty transfer-coding received is `chunked`.
        var finalCodingIsChunked = false

        init(line: RequestLine) {
            self.line = line
        }

        /// Parses the field line `bytes[r]` (no CRLF inside) and records it.
        mutating func addField(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> HTTPParseError? {
            let s = r.lowerBound
            let e = r.upperBound
            fieldCount += 1
            // RFC 9112 §5.2: obs-fold = OWS CRLF RWS. "A server that receives an obs-fold in a
            // request message ... MUST either reject the message by sending a 400 (Bad Request)
            // ... or replace each received obs-fold with one or more SP octets". We reject; this
            // also rejects whitespace before the first field line (RFC 9112 §2.2).
            if HTTPGrammar.isOWS(bytes[s]) { return .obsoleteLineFolding }

            // RFC 9112 §5: field-line = field-name ":" OWS field-value OWS
            // RFC 9110 §5.1: field-name = token
            var colon = s
            while colon < e && HTTPGrammar.isTchar(bytes[colon]) { colon += 1 }
            guard colon < e else { return .invalidHeaderName }
            if bytes[colon] != HTTPGrammar.colon {
                // RFC 9112 §5.1: "No whitespace is allowed between the field name and colon.
                // ... A server MUST reject, with a response status code of 400 (Bad Request), any
                // received request message that contains whitespace between a header field name
                // and colon."
                var p = colon
                while p < e && HTTPGrammar.isOWS(bytes[p]) { p += 1 }
                if p > colon && p < e && bytes[p] == HTTPGrammar.colon { return .whitespaceBeforeColon }
                return .invalidHeaderName
            }
            guard colon > s else { return .invalidHeaderName }

            // RFC 9110 §5.5: field-value = *field-content
            //   field-content = field-vchar [ 1*( SP / HTAB / field-vchar ) field-vchar ]
            //   field-vchar   = VCHAR / obs-text
            // "Field values containing CR, LF, or NUL characters are invalid and dangerous";
            // other CTLs and DEL are not in the grammar either.
            var high: UInt8 = 0
            var p = colon + 1
            while p < e {
                let b = bytes[p]
                guard HTTPGrammar.isFieldValueByte(b) else { return .invalidHeaderValue }
                high |= b
                p += 1
            }
            // RFC 9112 §5.1: "A field line value might be preceded and/or followed by optional
            // whitespace (OWS) ... Such whitespace ... is excluded by parsers when extracting the
            // field line value".
            var vs = colon + 1
            var ve = e
            while vs < ve && HTTPGrammar.isOWS(bytes[vs]) { vs += 1 }
            while ve > vs && HTTPGrammar.isOWS(bytes[ve - 1]) { ve -= 1 }
            let name = s..<colon
            let value = vs..<ve

            switch name.count {
            case 4 where HTTPGrammar.equalsLowercase(bytes, name, "host"):
                // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to
                // any HTTP/1.1 request message that lacks a Host header field and to any request
                // message that contains more than one Host header field line or a Host header
                // field with an invalid field value."
                hostCount += 1
                guard hostCount == 1 else { return .invalidHost }
                guard case .valid(let hostEmpty) = validateAuthority(bytes, value, requirePort: false)
                else { return .invalidHost }
                hostIsEmpty = hostEmpty
            case 14 where HTTPGrammar.equalsLowercase(bytes, name, "content-length"):
                guard let length = parseContentLength(bytes, value) else { return .invalidContentLength }
                // RFC 9110 §8.6: several Content-Length fields with the same value may be taken as
                // one; differing ones make the framing invalid (RFC 9112 §6.3, rule 5).
                if let previous = contentLength, previous != length { return .invalidContentLength }
                contentLength = length
            case 17 where HTTPGrammar.equalsLowercase(bytes, name, "transfer-encoding"):
                hasTransferEncoding = true
                if let isChunked = lastCodingIsChunked(bytes, value) {
                    finalCodingIsChunked = isChunked
                }
            default:
                break
            }

            headers.add(
                name: string(bytes, name),
                value: decodeFieldValue(bytes, value, ascii: high < 0x80))
            return nil
        }

        /// Checks made once the header section is complete; returns the body length.
        func finish(limits: HTTPParserLimits) -> Result<Int, HTTPParseError> {
            if hasTransferEncoding {
                // RFC 9112 §6.1: "A server MAY reject a request that contains both Content-Length
                // and Transfer-Encoding ... Regardless, the server MUST close the connection after
                // responding to such a request" (request smuggling, RFC 9112 §11.2). We reject.
                if contentLength != nil { return .failure(.contentLengthWithTransferEncoding) }
                // RFC 9112 §6.1: "A server or client that receives an HTTP/1.0 message containing
                // a Transfer-Encoding header field MUST treat the message as if the framing is
                // faulty ... and close the connection".
                if line.version == .http1_0 { return .failure(.transferEncodingInHTTP10) }
                // RFC 9112 §6.3 rule 4: chunked final → length by chunked coding, which this
                // server does not accept (411: send Content-Length). RFC 9112 §6.1: "A server that
                // receives a request message with a transfer coding it does not understand SHOULD
                // respond with 501 (Not Implemented)."
                return .failure(finalCodingIsChunked ? .chunkedNotSupported : .unsupportedTransferEncoding)
            }
            // RFC 9112 §3.2 (see `addField`): HTTP/1.1 needs a Host field.
            if line.version == .http1_1 && hostCount == 0 { return .failure(.invalidHost) }
            // RFC 9110 §4.2.1: an http(s) URI with an empty host MUST be rejected. An origin-form
            // or asterisk-form target takes its authority from Host, so an empty Host is invalid
            // there (it is allowed, and ignored, beside absolute-form and authority-form).
            if hostCount == 1 && hostIsEmpty && (line.form == .origin || line.form == .asterisk) {
                return .failure(.invalidHost)
            }
            // RFC 9112 §6.3 rule 6: a request with neither Transfer-Encoding nor Content-Length
            // has no body.
            let length = contentLength ?? 0
            if length > limits.maxBodyBytes { return .failure(.bodyTooLarge) }
            return .success(length)
        }

        /// The finished request.
        func request(body: [UInt8]) -> HTTPRequest {
            HTTPRequest(
                method: line.method, target: line.target, path: line.path, query: line.query,
                version: line.version, headers: headers, body: body)
        }
    }

    /// Longest Content-Length accepted, in digits: 18 digits always fit in an Int64.
    static let maxContentLengthDigits = 18

    /// Parses a Content-Length value (OWS already trimmed).
    ///
    /// RFC 9110 §8.6: Content-Length = 1*DIGIT. "a recipient MAY ... replace that invalid field
    /// value [a list of identical decimal values] with a single instance of the decimal value".
    /// So `5` and `5, 5` give 5; `5,6`, `+5`, `-1`, `5 5`, `0x10`, `5,` and empty give nil.
    static func parseContentLength(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int? {
        var result: Int?
        var p = r.lowerBound
        let e = r.upperBound
        while true {
            while p < e && HTTPGrammar.isOWS(bytes[p]) { p += 1 }
            let digitsStart = p
            var value = 0
            while p < e && HTTPGrammar.isDigit(bytes[p]) {
                guard p - digitsStart < maxContentLengthDigits else { return nil }
                value = value * 10 + Int(bytes[p] &- 0x30)
                p += 1
            }
            guard p > digitsStart else { return nil }
            while p < e && HTTPGrammar.isOWS(bytes[p]) { p += 1 }
            if let previous = result, previous != value { return nil }
            result = value
            if p == e { return result }
            guard bytes[p] == HTTPGrammar.comma else { return nil }
            p += 1
        }
    }

    /// Whether the last transfer-coding in a Transfer-Encoding value is `chunked`; nil when the
    /// list has no non-empty element.
    ///
    /// RFC 9112 §6.1: Transfer-Encoding = #transfer-coding; RFC 9110 §5.6.1: empty list elements
    /// are ignored. Codings compare case-insensitively (RFC 9110 §10.1.4); `chunked` takes no
    /// parameters, so `chunked;x=1` is some other (unsupported) coding.
    static func lastCodingIsChunked(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool? {
        var end = r.upperBound
        while end > r.lowerBound {
            var elementStart = end
            while elementStart > r.lowerBound && bytes[elementStart - 1] != HTTPGrammar.comma {
                elementStart -= 1
            }
            var s = elementStart
            var e = end
            while s < e && HTTPGrammar.isOWS(bytes[s]) { s += 1 }
            while e > s && HTTPGrammar.isOWS(bytes[e - 1]) { e -= 1 }
            if s < e { return HTTPGrammar.equalsLowercase(bytes, s..<e, "chunked") }
            end = elementStart - 1
        }
        return nil
    }

    /// A field value as a String: UTF-8 when valid, else ISO-8859-1 byte for byte (RFC 9110 §5.5:
    /// obs-text is opaque; Latin-1 maps each octet to one code point).
    static func decodeFieldValue(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, ascii: Bool) -> String {
        let slice = UnsafeBufferPointer(rebasing: bytes[r])
        if ascii { return String(decoding: slice, as: UTF8.self) }
        if let utf8 = String(validating: slice, as: UTF8.self) { return utf8 }
        return String(unsafeUninitializedCapacity: slice.count * 2) { out in
            var n = 0
            for b in slice {
                if b < 0x80 {
                    out[n] = b
                    n += 1
                } else {
                    out[n] = 0xC0 | (b >> 6)
                    out[n + 1] = 0x80 | (b & 0x3F)
                    n += 2
                }
            }
            return n
        }
    }
}
