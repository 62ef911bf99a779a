import Testing
@testable import LandingCore

/// Pairs as arrays, since tuples are not Equatable.
private func decoded(_ text: String, maxParameters: Int = FormDecoder.defaultMaxParameters) throws -> [[String]] {
    try FormDecoder.decode(text, maxParameters: maxParameters).map { [$0.name, $0.value] }
}

@Suite struct FormDecoderTests {
    /// Pairs come back in order, repeats included (refusing repeats is the caller's policy).
    @Test func formDecoder_ReturnsPairsInOrder_WhenNamesRepeat() throws {
        #expect(try decoded("b=2&a=1&b=3") == [["b", "2"], ["a", "1"], ["b", "3"]])
    }

    /// Empty input and input made only of `&` decode to no pairs.
    @Test func formDecoder_ReturnsNoPairs_WhenInputIsEmptyOrOnlySeparators() throws {
        #expect(try decoded("").isEmpty)
        #expect(try decoded("&&&").isEmpty)
    }

    /// Empty pieces between, before and after `&` are skipped.
    @Test func formDecoder_SkipsEmptyPieces_WhenSeparatorsRepeat() throws {
        #expect(try decoded("&a=1&&b=2&") == [["a", "1"], ["b", "2"]])
    }

    /// A piece without `=` is a name with an empty value; `a=` is the same.
    @Test func formDecoder_GivesEmptyValue_WhenNoEqualsSign() throws {
        #expect(try decoded("flag&a=") == [["flag", ""], ["a", ""]])
    }

    /// A piece is split at its first `=` only; `=x` has an empty name.
    @Test func formDecoder_SplitsAtFirstEquals_WhenValueHasEquals() throws {
        #expect(try decoded("a=b=c&=x") == [["a", "b=c"], ["", "x"]])
    }

    /// `+` decodes to a space, `%2B` to a literal plus, in names and values.
    @Test func formDecoder_DecodesPlusAsSpace_WhenNotPercentEncoded() throws {
        #expect(try decoded("a+b=c+d%2Be") == [["a b", "c d+e"]])
    }

    /// `%HH` accepts hex digits in either case and decodes multi-byte UTF-8.
    @Test func formDecoder_DecodesPercentEscapes_WhenHexIsEitherCase() throws {
        #expect(try decoded("n%c3%a9=%C3%A9%41%6a") == [["né", "éAj"]])
    }

    /// `%` followed by a single hex digit is refused.
    @Test func formDecoder_RejectsMalformedPercent_WhenOneHexDigit() {
        #expect(throws: FormDecodingError.malformedPercentEncoding) { try FormDecoder.decode("a=%4") }
        #expect(throws: FormDecodingError.malformedPercentEncoding) { try FormDecoder.decode("a=%4&b=1") }
    }

    /// A bare `%`, and `%` followed by non-hex characters, are refused, in names too.
    @Test func formDecoder_RejectsMalformedPercent_WhenNotHex() {
        for input in ["a=%", "a=%zz", "a=%4g", "a=%g4", "%=1", "a%2=1", "a=100%"] {
            #expect(throws: FormDecodingError.malformedPercentEncoding, "\(input)") { try FormDecoder.decode(input) }
        }
    }

    /// Decoded bytes that are not UTF-8 (lone continuation, 0xFF, overlong, surrogate, truncated)
    /// are refused, in names and values.
    @Test func formDecoder_RejectsInvalidUTF8_WhenDecodedBytesAreNotUTF8() {
        for input in ["a=%80", "a=%ff", "a=%c0%af", "a=%ed%a0%80", "a=%e2%82", "%ff=1", "a=%f8%88%80%80%80"] {
            #expect(throws: FormDecodingError.invalidUTF8, "\(input)") { try FormDecoder.decode(input) }
        }
    }

    /// Raw bytes outside visible ASCII (space, tab, CR, LF, NUL, DEL, ≥ 0x80) are refused.
    @Test func formDecoder_RejectsRawByte_WhenOutsideVisibleASCII() {
        for byte: UInt8 in [0x20, 0x09, 0x0D, 0x0A, 0x00, 0x7F, 0x80, 0xC3, 0xFF] {
            let input = Array("a=x".utf8) + [byte] + Array("y".utf8)
            #expect(throws: FormDecodingError.invalidCharacter, "byte \(byte)") { try FormDecoder.decode(input) }
        }
        #expect(throws: FormDecodingError.invalidCharacter) { try FormDecoder.decode("né=1") }
    }

    /// Of two faults in one component, the first in byte order is reported, with or without a `%` or `+` before it;
    /// components without either come back as they were sent.
    @Test func formDecoder_ReportsFirstFault_AndKeepsPlainComponents() throws {
        #expect(throws: FormDecodingError.invalidCharacter) { try FormDecoder.decode(Array("a=x".utf8) + [0x01] + Array("%zz".utf8)) }
        #expect(throws: FormDecodingError.malformedPercentEncoding) { try FormDecoder.decode(Array("a=x%zz".utf8) + [0x01]) }
        #expect(throws: FormDecodingError.invalidCharacter) { try FormDecoder.decode(Array("a=x+".utf8) + [0x01]) }
        #expect(try decoded("item_Id-1.x~!*'()=cg-1:2/3@$,;?") == [["item_Id-1.x~!*'()", "cg-1:2/3@$,;?"]])
        #expect(try decoded("a+b=c%20d") == [["a b", "c d"]])
    }

    /// Percent-encoded controls decode (they are valid UTF-8); sanitizing them is the caller's job.
    @Test func formDecoder_DecodesEncodedControls_WhenPercentEncoded() throws {
        #expect(try decoded("a=%00%0d%0a%09") == [["a", "\u{0}\r\n\t"]])
    }

    /// Exactly `maxParameters` pairs decode; one more is refused; empty pieces do not count.
    @Test func formDecoder_RejectsTooManyParameters_WhenOverTheLimit() throws {
        #expect(try decoded("a&b&&c", maxParameters: 3).count == 3)
        #expect(throws: FormDecodingError.tooManyParameters) { try FormDecoder.decode("a&b&c&d", maxParameters: 3) }
    }

    /// The default bound is 1000 pairs.
    @Test func formDecoder_DefaultsTo1000Parameters_WhenNoLimitGiven() throws {
        let thousand = Array(repeating: "a=1", count: 1000).joined(separator: "&")
        #expect(try FormDecoder.decode(thousand).count == 1000)
        #expect(throws: FormDecodingError.tooManyParameters) { try FormDecoder.decode(thousand + "&b") }
    }

    /// The byte, `String` and `Substring` entry points agree.
    @Test func formDecoder_GivesSameResult_ForBytesStringAndSubstring() throws {
        let text = "x?itemId=abc&error=access_denied&d=a+b%21"
        let query = text[text.index(after: text.firstIndex(of: "?")!)...]
        let fromSubstring = try FormDecoder.decode(query).map { [$0.name, $0.value] }
        let fromString = try FormDecoder.decode(String(query)).map { [$0.name, $0.value] }
        let fromBytes = try FormDecoder.decode(Array(query.utf8)).map { [$0.name, $0.value] }
        #expect(fromSubstring == [["itemId", "abc"], ["error", "access_denied"], ["d", "a b!"]])
        #expect(fromString == fromSubstring)
        #expect(fromBytes == fromSubstring)
    }

    /// Every error has an explanation, none quoting input.
    @Test func formDecodingError_Explanation_IsNonEmptyPlainText() {
        for error in [FormDecodingError.malformedPercentEncoding, .invalidUTF8, .invalidCharacter, .tooManyParameters] {
            #expect(!error.explanation.isEmpty)
            #expect(!error.explanation.contains("<"))
        }
    }
}
