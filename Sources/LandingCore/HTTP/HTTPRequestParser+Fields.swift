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
        /// The transfer-codings of every Transfer-Encoding field line so far.
        var codings = TransferCodings()

        init(line: RequestLine) {
            self.line = line
            // why: growing from empty reallocates at the 2nd, 3rd and 5th field; browsers and API
            // clients send about 4 to 12, so one allocation of 8 covers most requests.
            headers.reserveCapacity(8)
        }

        /// Parses the field line `bytes[r]` (no CRLF inside) and records it.
        mutating func addField(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> HTTPParseError? {
            fieldCount += 1
            let field: FieldLine
            switch HTTPRequestParser.parseFieldLine(bytes, r) {
            case .failure(let error): return error
            case .success(let parsed): field = parsed
            }
            let name = field.name
            let value = field.value
            let high = field.high

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
                codings.add(bytes, value)
            default:
                break
            }

            headers.add(
                name: string(bytes, name),
                value: decodeFieldValue(bytes, value, ascii: high < 0x80))
            return nil
        }

        /// Checks made once the header section is complete; returns how the body is framed.
        func finish(limits: HTTPParserLimits) -> Result<BodyFraming, HTTPParseError> {
            if hasTransferEncoding {
                // RFC 9112 §6.1: "A server MAY reject a request that contains both Content-Length
                // and Transfer-Encoding ... Regardless, the server MUST close the connection after
                // responding to such a request" (request smuggling, RFC 9112 §11.2). We reject.
                if contentLength != nil { return .failure(.contentLengthWithTransferEncoding) }
                // RFC 9112 §6.1: "A server or client that receives an HTTP/1.0 message containing
                // a Transfer-Encoding header field MUST treat the message as if the framing is
                // faulty ... and close the connection".
                if line.version == .http1_0 { return .failure(.transferEncodingInHTTP10) }
                // RFC 9112 §7: "A sender MUST NOT apply the chunked transfer coding more than once
                // to a message body".
                if codings.chunkedCount > 1 { return .failure(.chunkedAppliedTwice) }
                // RFC 9112 §6.3 rule 4: "If a Transfer-Encoding header field is present in a
                // request and the chunked transfer coding is not the final encoding, the message
                // body length cannot be determined reliably; the server MUST respond with the 400
                // (Bad Request) status code and then close the connection."
                // That MUST outranks §6.1's SHOULD (501 for an unknown coding): `gzip` alone, or an
                // empty list, is 400 as well.
                if !codings.finalIsChunked { return .failure(.chunkedNotFinal) }
                // RFC 9112 §6.1: "A server that receives a request message with a transfer coding
                // it does not understand SHOULD respond with 501 (Not Implemented)." We decode
                // chunked only: any other coding before chunked gets 501.
                if codings.hasOther || !codings.finalIsChunked { return .failure(.unsupportedTransferEncoding) }
            }
            // RFC 9112 §3.2 (see `addField`): HTTP/1.1 needs a Host field.
            if line.version == .http1_1 && hostCount == 0 { return .failure(.invalidHost) }
            // RFC 9110 §4.2.1: an http(s) URI with an empty host MUST be rejected. An origin-form
            // or asterisk-form target takes its authority from Host, so an empty Host is invalid
            // there (it is allowed, and ignored, beside absolute-form and authority-form).
            if hostCount == 1 && hostIsEmpty && (line.form == .origin || line.form == .asterisk) {
                return .failure(.invalidHost)
            }
            // RFC 9112 §6.3 rule 4: chunked is the final (and only) coding → the body length is
            // determined by reading the chunked coding until it completes.
            if hasTransferEncoding { return .success(.chunked) }
            // RFC 9112 §6.3 rule 6: a request with neither Transfer-Encoding nor Content-Length
            // has no body.
            let length = contentLength ?? 0
            if length > limits.maxBodyBytes { return .failure(.bodyTooLarge) }
            return .success(.length(length))
        }

        /// The finished request.
        func request(body: [UInt8]) -> HTTPRequest {
            HTTPRequest(
                method: line.method, target: line.target, path: line.path, query: line.query,
                version: line.version, headers: headers, body: body)
        }

        /// The finished request whose body was decoded from the chunked coding.
        ///
        /// RFC 9112 §7.1.3 (decoding chunked): "Content-Length := length; Remove "chunked" from
        /// Transfer-Encoding; Remove Trailer from existing header fields". Only `chunked` is ever
        /// accepted, so every Transfer-Encoding field goes: code downstream sees a body framed by
        /// Content-Length and cannot re-interpret the (already decoded) chunked framing.
        func chunkedRequest(body: [UInt8]) -> HTTPRequest {
            var decodedHeaders = headers
            decodedHeaders.remove(name: "Transfer-Encoding")
            decodedHeaders.remove(name: "Trailer")
            decodedHeaders.add(name: "Content-Length", value: String(body.count))
            return HTTPRequest(
                method: line.method, target: line.target, path: line.path, query: line.query,
                version: line.version, headers: decodedHeaders, body: body)
        }
    }

    /// How the body of a request is delimited (RFC 9112 §6.3).
    enum BodyFraming: Equatable {
        /// Exactly this many octets (Content-Length, or 0 without either framing field).
        case length(Int)
        /// The chunked transfer coding (RFC 9112 §7.1).
        case chunked
    }

    /// A field line split into name and value (OWS trimmed).
    struct FieldLine {
        var name: Range<Int>
        var value: Range<Int>
        /// The OR of every value byte: below 0x80 when the value is ASCII.
        var high: UInt8
    }

    /// Validates the field line `bytes[r]` (no CRLF inside) and splits it. Used for header and
    /// trailer fields alike.
    static func parseFieldLine(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Result<FieldLine, HTTPParseError> {
        let s = r.lowerBound
        let e = r.upperBound
        // RFC 9112 §5.2: obs-fold = OWS CRLF RWS. "A server that receives an obs-fold in a
        // request message ... MUST either reject the message by sending a 400 (Bad Request)
        // ... or replace each received obs-fold with one or more SP octets". We reject; this
        // also rejects whitespace before the first field line (RFC 9112 §2.2).
        if HTTPGrammar.isOWS(bytes[s]) { return .failure(.obsoleteLineFolding) }

        // RFC 9112 §5: field-line = field-name ":" OWS field-value OWS
        // RFC 9110 §5.1: field-name = token
        var colon = s
        while colon < e && HTTPGrammar.isTchar(bytes[colon]) { colon += 1 }
        guard colon < e else { return .failure(.invalidHeaderName) }
        if bytes[colon] != HTTPGrammar.colon {
            // RFC 9112 §5.1: "No whitespace is allowed between the field name and colon.
            // ... A server MUST reject, with a response status code of 400 (Bad Request), any
            // received request message that contains whitespace between a header field name
            // and colon."
            var p = colon
            while p < e && HTTPGrammar.isOWS(bytes[p]) { p += 1 }
            if p > colon && p < e && bytes[p] == HTTPGrammar.colon { return .failure(.whitespaceBeforeColon) }
            return .failure(.invalidHeaderName)
        }
        guard colon > s else { return .failure(.invalidHeaderName) }

        // RFC 9110 §5.5: field-value = *field-content
        //   field-content = field-vchar [ 1*( SP / HTAB / field-vchar ) field-vchar ]
        //   field-vchar   = VCHAR / obs-text
        // "Field values containing CR, LF, or NUL characters are invalid and dangerous";
        // other CTLs and DEL are not in the grammar either.
        var high: UInt8 = 0
        var p = colon + 1
        while p < e {
            let b = bytes[p]
            guard HTTPGrammar.isFieldValueByte(b) else { return .failure(.invalidHeaderValue) }
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
        return .success(FieldLine(name: s..<colon, value: vs..<ve, high: high))
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

    /// What the Transfer-Encoding field lines of a request list, in order.
    ///
    /// RFC 9112 §6.1: Transfer-Encoding = #transfer-coding; RFC 9110 §5.6.1: empty list elements
    /// are ignored. Codings compare case-insensitively (RFC 9110 §10.1.4); `chunked` takes no
    /// parameters, so `chunked;x=1` is some other (unsupported) coding.
    struct TransferCodings: Sendable {
        /// How many elements are `chunked`.
        var chunkedCount = 0
        /// Whether some element is not `chunked`.
        var hasOther = false
        /// Whether the last non-empty element so far is `chunked`.
        var finalIsChunked = false

        /// Adds the elements of the field value `bytes[r]`.
        mutating func add(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) {
            HTTPGrammar.forEachListMember(bytes, r) { member in
                if HTTPGrammar.equalsLowercase(bytes, member, "chunked") {
                    chunkedCount += 1
                    finalIsChunked = true
                } else {
                    hasOther = true
                    finalIsChunked = false
                }
            }
        }
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
