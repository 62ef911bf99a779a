/// The chunked transfer coding (RFC 9112 §7.1): the chunk-size line with its extensions, and the
/// state kept while a chunked body is decoded. The stages that read chunks are in
/// `HTTPRequestParser.advanceChunked` (HTTPRequestParser.swift).
extension HTTPRequestParser {
    /// Where a chunked body is, between calls to `advance`.
    enum ChunkStage: Sendable, Equatable {
        /// Reading a chunk-size line (`chunk-size [ chunk-ext ] CRLF`) starting at `lineStart`.
        case size
        /// Copying chunk data: this many octets of the current chunk are still to come.
        case data(remaining: Int)
        /// Expecting the CRLF that ends a chunk's data.
        case dataEnd
        /// Reading the trailer section, after the last chunk.
        case trailers
    }

    /// A chunked body being decoded: the decoded octets (never more than `maxBodyBytes`) and what
    /// the limits have used so far. Framing bytes already read are dropped from the buffer.
    struct ChunkedBody: Sendable {
        var stage = ChunkStage.size
        var decoded: [UInt8] = []
        /// Chunk-extension bytes read so far in this message (for `maxChunkExtensionBytes`).
        var extensionBytes = 0
        /// Trailer field lines and their CRLFs read so far (for `maxTrailerBytes`).
        var trailerBytes = 0
        /// Trailer field lines read so far (for `maxHeaderCount`).
        var trailerCount = 0
        /// The chunk-size line being read, in the `.size` stage.
        var line = ChunkLineScanner()
    }

    /// Most hex digits in a chunk-size, leading zeros included: 16 always fit in a UInt64, and no
    /// client needs more.
    static let maxChunkSizeDigits = 16

    /// Reads a chunk-size line byte by byte (CR and LF excluded: the caller finds the line end),
    /// across calls to `advance`, so each byte is looked at once and an error comes with the byte
    /// that makes it.
    ///
    /// RFC 9112 §7.1:
    ///   chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
    ///   chunk-size     = 1*HEXDIG
    ///   last-chunk     = 1*("0") [ chunk-ext ] CRLF
    /// RFC 9112 §7.1.1:
    ///   chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
    ///   chunk-ext-name = token
    ///   chunk-ext-val  = token / quoted-string
    /// RFC 9110 §5.6.4:
    ///   quoted-string  = DQUOTE *( qdtext / quoted-pair ) DQUOTE
    ///   qdtext         = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
    ///   quoted-pair    = "\" ( HTAB / SP / VCHAR / obs-text )
    ///
    /// So no sign, no `0x`, no whitespace before the size, and whitespace after it only before a
    /// ";". The limits are checked first, on each byte: a 17th digit is `invalidChunkSize`, a size
    /// above the body bytes still allowed is `bodyTooLarge` as soon as its digits say so, and an
    /// extension byte past the message's budget is `chunkExtensionsTooLong`. A line is therefore
    /// never longer than 16 digits plus the extension budget.
    struct ChunkLineScanner: Sendable, Equatable {
        /// Where the scanner is in the grammar above.
        enum State: Sendable, Equatable {
            case size
            /// BWS that must be followed by ";" (after the size or an extension value).
            case beforeSemicolon
            /// BWS after ";", before a chunk-ext-name.
            case beforeName
            case name
            /// BWS after a chunk-ext-name, before "=" or ";".
            case afterName
            /// BWS after "=", before a chunk-ext-val.
            case beforeValue
            case tokenValue
            case quotedValue
            /// Just after a "\" in a quoted-string.
            case quotedPair
            /// Just after the closing DQUOTE.
            case afterQuoted
        }

        private(set) var state = State.size
        private(set) var size: UInt64 = 0
        private(set) var digits = 0
        /// Bytes after the size: chunk extensions and their whitespace.
        private(set) var extensionBytes = 0

        /// Takes the next byte of the line (never CR or LF). `maxSize` is the largest size
        /// allowed, `maxExtensionBytes` the extension bytes allowed on this line.
        mutating func consume(_ b: UInt8, maxSize: Int, maxExtensionBytes: Int) -> HTTPParseError? {
            if state == .size && HTTPGrammar.isHexDigit(b) {
                guard digits < HTTPRequestParser.maxChunkSizeDigits else { return .invalidChunkSize }
                digits += 1
                size = size << 4 | UInt64(HTTPRequestParser.hexValue(b))
                return size > UInt64(max(0, maxSize)) ? .bodyTooLarge : nil
            }
            if state == .size && digits == 0 { return .invalidChunkSize }
            // Every byte after the size counts as extension.
            guard extensionBytes < maxExtensionBytes else { return .chunkExtensionsTooLong }
            extensionBytes += 1
            let ows = HTTPGrammar.isOWS(b)
            let tchar = HTTPGrammar.isTchar(b)
            let semicolon = b == HTTPGrammar.semicolon
            switch state {
            case .size:
                if semicolon {
                    state = .beforeName
                } else if ows {
                    state = .beforeSemicolon
                } else {
                    return .invalidChunkSize
                }
            case .beforeSemicolon:
                if semicolon {
                    state = .beforeName
                } else if !ows {
                    return .invalidChunkExtension
                }
            case .beforeName:
                if tchar {
                    state = .name
                } else if !ows {
                    return .invalidChunkExtension
                }
            case .name, .afterName:
                if tchar && state == .name {
                    break
                } else if b == 0x3D {  // "="
                    state = .beforeValue
                } else if semicolon {
                    state = .beforeName
                } else if ows {
                    state = .afterName
                } else {
                    return .invalidChunkExtension
                }
            case .beforeValue:
                if b == 0x22 {  // DQUOTE
                    state = .quotedValue
                } else if tchar {
                    state = .tokenValue
                } else if !ows {
                    return .invalidChunkExtension
                }
            case .tokenValue, .afterQuoted:
                if tchar && state == .tokenValue {
                    break
                } else if semicolon {
                    state = .beforeName
                } else if ows {
                    state = .beforeSemicolon
                } else {
                    return .invalidChunkExtension
                }
            case .quotedValue:
                if b == 0x22 {
                    state = .afterQuoted
                } else if b == 0x5C {  // "\"
                    state = .quotedPair
                } else if !(ows || b == 0x21 || (b >= 0x23 && b <= 0x7E) || b >= 0x80) {
                    return .invalidChunkExtension
                }
            case .quotedPair:
                guard ows || (b >= 0x21 && b != 0x7F) else { return .invalidChunkExtension }
                state = .quotedValue
            }
            return nil
        }

        /// The chunk size once the line's CRLF has arrived.
        func finish() -> Result<Int, HTTPParseError> {
            switch state {
            case .size:
                // Checked against maxSize, an Int, digit by digit: it fits.
                return digits == 0 ? .failure(.invalidChunkSize) : .success(Int(size))
            case .name, .tokenValue, .afterQuoted:
                return .success(Int(size))
            case .beforeSemicolon, .beforeName, .afterName, .beforeValue, .quotedValue, .quotedPair:
                // Whitespace must lead to ";" or "=", ";" to a name, "=" to a value, and a
                // quoted-string must be closed.
                return .failure(.invalidChunkExtension)
            }
        }
    }

    /// The value of a HEXDIG.
    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt8 {
        HTTPGrammar.isDigit(b) ? b &- 0x30 : (b | 0x20) &- 0x61 &+ 10
    }
}
