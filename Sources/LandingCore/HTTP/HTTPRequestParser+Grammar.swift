/// Byte classes of the HTTP and URI grammars, as bitmasks over ASCII so a lookup is two shifts and
/// no memory load (no lazily initialised global, no bounds check). `HTTPRequestParserGrammarTests`
/// rebuilds each mask from the ABNF character lists and compares.
enum HTTPGrammar {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let slash: UInt8 = 0x2F
    static let question: UInt8 = 0x3F
    static let hash: UInt8 = 0x23
    static let star: UInt8 = 0x2A
    static let comma: UInt8 = 0x2C
    static let percent: UInt8 = 0x25
    static let semicolon: UInt8 = 0x3B

    // RFC 9110 §5.6.2:
    //   tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
    //           "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    static let tcharLow: UInt64 = 0x03FF_6CFA_0000_0000
    static let tcharHigh: UInt64 = 0x57FF_FFFF_C7FF_FFFE

    // RFC 3986 §3.2.2: reg-name = *( unreserved / pct-encoded / sub-delims )
    //   unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
    //   sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="
    // (pct-encoded is checked separately: "%" HEXDIG HEXDIG.)
    static let regNameLow: UInt64 = 0x2BFF_7FD2_0000_0000
    static let regNameHigh: UInt64 = 0x47FF_FFFE_87FF_FFFE

    @inline(__always)
    static func inMask(_ b: UInt8, low: UInt64, high: UInt64) -> Bool {
        if b < 64 { return (low >> UInt64(b)) & 1 != 0 }
        if b < 128 { return (high >> UInt64(b &- 64)) & 1 != 0 }
        return false
    }

    /// `tchar` (RFC 9110 §5.6.2): the bytes of a method or field name.
    @inline(__always)
    static func isTchar(_ b: UInt8) -> Bool { inMask(b, low: tcharLow, high: tcharHigh) }

    /// `unreserved / sub-delims` (RFC 3986): the bytes of a reg-name other than pct-encoded.
    @inline(__always)
    static func isRegNameChar(_ b: UInt8) -> Bool { inMask(b, low: regNameLow, high: regNameHigh) }

    // RFC 9110 §5.5:
    //   field-vchar = VCHAR / obs-text
    //   obs-text    = %x80-FF
    // plus SP / HTAB inside field-content.
    @inline(__always)
    static func isFieldValueByte(_ b: UInt8) -> Bool {
        (b >= 0x20 && b != 0x7F) || b == htab
    }

    /// Visible ASCII (VCHAR, %x21-7E): what a request-target may hold (RFC 9112 §3.2 and RFC 3986
    /// use only visible US-ASCII).
    @inline(__always)
    static func isVisibleASCII(_ b: UInt8) -> Bool { b >= 0x21 && b <= 0x7E }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    @inline(__always)
    static func isHexDigit(_ b: UInt8) -> Bool {
        isDigit(b) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x66)
    }

    @inline(__always)
    static func isAlpha(_ b: UInt8) -> Bool { b | 0x20 >= 0x61 && b | 0x20 <= 0x7A }

    @inline(__always)
    static func isOWS(_ b: UInt8) -> Bool { b == sp || b == htab }

    /// Calls `body` with the range of each non-empty member of the comma-separated list in
    /// `bytes[range]` (RFC 9110 §5.6.1: `#element`), without the optional whitespace around it.
    static func forEachListMember(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ body: (Range<Int>) -> Void
    ) {
        var elementStart = range.lowerBound
        while elementStart <= range.upperBound {
            var elementEnd = elementStart
            while elementEnd < range.upperBound && bytes[elementEnd] != comma { elementEnd += 1 }
            var s = elementStart
            var e = elementEnd
            while s < e && isOWS(bytes[s]) { s += 1 }
            while e > s && isOWS(bytes[e - 1]) { e -= 1 }
            if s < e { body(s..<e) }
            elementStart = elementEnd + 1
        }
    }

    /// Whether `bytes[range]` equals `lowercase` ignoring ASCII case. `lowercase` must hold only
    /// lowercase letters, digits and `-`, for which `| 0x20` folds case without false matches.
    @inline(__always)
    static func equalsLowercase(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ lowercase: StaticString
    ) -> Bool {
        guard range.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        var i = 0
        for p in range {
            if bytes[p] | 0x20 != expected[i] { return false }
            i += 1
        }
        return true
    }
}
