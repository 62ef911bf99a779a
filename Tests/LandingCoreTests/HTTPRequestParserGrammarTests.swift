import Testing
@testable import LandingCore

/// The parser's byte-class bitmasks match the ABNF character lists they were derived from.
@Suite struct HTTPRequestParserGrammarTests {
    private static let alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    private static let digit = "0123456789"

    /// isTchar is exactly RFC 9110's tchar set over all 256 bytes.
    @Test func grammar_TcharMaskMatchesRFC9110() {
        let tchar = Set(("!#$%&'*+-.^_`|~" + Self.alpha + Self.digit).utf8)
        for b in 0...255 {
            #expect(HTTPGrammar.isTchar(UInt8(b)) == tchar.contains(UInt8(b)), "byte \(b)")
        }
    }

    /// isRegNameChar is exactly RFC 3986's unreserved / sub-delims over all 256 bytes.
    @Test func grammar_RegNameMaskMatchesRFC3986() {
        let regName = Set((Self.alpha + Self.digit + "-._~" + "!$&'()*+,;=").utf8)
        for b in 0...255 {
            #expect(HTTPGrammar.isRegNameChar(UInt8(b)) == regName.contains(UInt8(b)), "byte \(b)")
        }
    }

    /// Field-value bytes are VCHAR, obs-text, SP and HTAB only.
    @Test func grammar_FieldValueBytesAreVcharObsTextSpHtab() {
        for b in 0...255 {
            let expected = (0x21...0x7E).contains(b) || b >= 0x80 || b == 0x20 || b == 0x09
            #expect(HTTPGrammar.isFieldValueByte(UInt8(b)) == expected, "byte \(b)")
        }
    }

    /// Hex digits and alpha are classified over all 256 bytes.
    @Test func grammar_HexDigitAndAlphaClasses() {
        let hex = Set((Self.digit + "abcdefABCDEF").utf8)
        let alpha = Set(Self.alpha.utf8)
        for b in 0...255 {
            #expect(HTTPGrammar.isHexDigit(UInt8(b)) == hex.contains(UInt8(b)), "byte \(b)")
            #expect(HTTPGrammar.isAlpha(UInt8(b)) == alpha.contains(UInt8(b)), "byte \(b)")
        }
    }

    /// Line scanning reports CRLF, bare CR/LF, the limit, and where to resume.
    @Test func scanLine_ReportsEachOutcome() {
        func scan(_ s: String, from: Int = 0, limit: Int = 100) -> HTTPRequestParser.LineScan {
            Array(s.utf8).withUnsafeBufferPointer { HTTPRequestParser.scanLine($0, from: from, limit: limit) }
        }
        #expect(scan("ab\r\ncd") == .line(end: 2, next: 4))
        #expect(scan("ab\r") == .needMore(resume: 2))
        #expect(scan("abc") == .needMore(resume: 3))
        #expect(scan("ab\rc") == .bareLineBreak)
        #expect(scan("ab\nc") == .bareLineBreak)
        #expect(scan("abc", limit: 2) == .overLimit)
        #expect(scan("ab\r\n", limit: 2) == .line(end: 2, next: 4))
        #expect(scan("ab\r\ncd", from: 4) == .needMore(resume: 6))
    }
}
