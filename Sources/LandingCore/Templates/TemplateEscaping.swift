/// The two output encodings of the template engine, over UTF-8 bytes. Both copy runs of safe
/// bytes at once, so ordinary text costs one `append(contentsOf:)`.
enum TemplateEscaping {
    /// U+FFFD REPLACEMENT CHARACTER, in UTF-8.
    static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// Appends `text` escaped for HTML text and quoted attribute values:
    /// - `&` `<` `>` `"` `'` become `&amp;` `&lt;` `&gt;` `&quot;` `&#39;` (the OWASP set: safe in
    ///   element content and in single- or double-quoted attributes);
    /// - C0 controls other than TAB, LF and CR become U+FFFD (NUL is a parse error in HTML, and
    ///   the others are invisible);
    /// - the bidi embedding/override/isolate controls U+202A–U+202E and U+2066–U+2069 become
    ///   U+FFFD, so hostile text cannot reorder what surrounds it on the page.
    static func appendHTML(_ text: String, to buffer: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes in
            var runStart = 0
            var index = 0
            let count = bytes.count
            while index < count {
                let byte = bytes[index]
                let replacement: [UInt8]
                var length = 1
                switch byte {
                case UInt8(ascii: "&"): replacement = ampersand
                case UInt8(ascii: "<"): replacement = lessThan
                case UInt8(ascii: ">"): replacement = greaterThan
                case UInt8(ascii: "\""): replacement = quote
                case UInt8(ascii: "'"): replacement = apostrophe
                case 0x09, 0x0A, 0x0D:
                    index += 1
                    continue
                case 0x00..<0x20: replacement = Self.replacement
                case 0xE2 where isBidiControl(bytes, at: index):
                    replacement = Self.replacement
                    length = 3
                default:
                    index += 1
                    continue
                }
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                buffer.append(contentsOf: replacement)
                index += length
                runStart = index
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<count]))
        }
    }

    /// Appends `text` as a JSON string (RFC 8259 §7) that is also inert inside an HTML `<script>`
    /// element: besides `"` `\` and the C0 controls, `<` `>` `&` `'` are written `\u003c` `\u003e`
    /// `\u0026` `\u0027` (so neither `</script>` nor `<!--` can appear), U+2028/U+2029 as
    /// `\u2028`/`\u2029` (line terminators in older JavaScript), and the bidi controls as `\uXXXX`
    /// (same value, but the page source cannot be visually reordered).
    static func appendJSONString(_ text: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var runStart = 0
            var index = 0
            let count = bytes.count
            while index < count {
                let byte = bytes[index]
                // why: most bytes need nothing; one mask test skips the switch for them (measured:
                // the same test in `appendHTML` cost more than its switch, so it is not there).
                if byte < 0x40 ? (jsonSpecial >> UInt64(byte)) & 1 == 0 : byte != UInt8(ascii: "\\") && byte != 0xE2 {
                    index += 1
                    continue
                }
                var length = 1
                var escape: UInt32
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    flush(bytes, runStart, index, &buffer)
                    buffer.append(contentsOf: [UInt8(ascii: "\\"), byte])
                    index += 1
                    runStart = index
                    continue
                case 0x0A, 0x0D, 0x09, 0x08, 0x0C:
                    flush(bytes, runStart, index, &buffer)
                    let letter: Unicode.Scalar =
                        switch byte {
                        case 0x0A: "n"
                        case 0x0D: "r"
                        case 0x09: "t"
                        case 0x08: "b"
                        default: "f"
                        }
                    buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: letter)])
                    index += 1
                    runStart = index
                    continue
                case 0x00..<0x20, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"), UInt8(ascii: "'"):
                    escape = UInt32(byte)
                case 0xE2 where isLineSeparatorOrBidiControl(bytes, at: index):
                    // E2 80 A8 = U+2028; E2 80 AA..AE = U+202A..E; E2 81 A6..A9 = U+2066..9.
                    escape = 0x2000 | (UInt32(bytes[index + 1] & 0x3F) << 6) | UInt32(bytes[index + 2] & 0x3F)
                    length = 3
                default:
                    index += 1
                    continue
                }
                flush(bytes, runStart, index, &buffer)
                appendUnicodeEscape(escape, to: &buffer)
                index += length
                runStart = index
            }
            flush(bytes, runStart, count, &buffer)
        }
        buffer.append(UInt8(ascii: "\""))
    }

    /// Appends the decimal digits of `value` (a small string: no heap allocation).
    static func appendDecimal(_ value: Int, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: String(value).utf8)
    }

    /// Bit `b` set: byte `b` (below 0x40) goes through `appendJSONString`'s switch — `"` `&` `'`
    /// `<` `>` and every C0 control. Of the bytes from 0x40, only `\\` and 0xE2 do.
    private static let jsonSpecial: UInt64 = 0x5000_00C4_FFFF_FFFF

    private static let ampersand = Array("&amp;".utf8)
    private static let lessThan = Array("&lt;".utf8)
    private static let greaterThan = Array("&gt;".utf8)
    private static let quote = Array("&quot;".utf8)
    private static let apostrophe = Array("&#39;".utf8)
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// U+202A–U+202E (E2 80 AA–AE) or U+2066–U+2069 (E2 81 A6–A9) starts at `index`.
    @inline(__always)
    private static func isBidiControl(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        guard index + 2 < bytes.count else { return false }
        let second = bytes[index + 1]
        let third = bytes[index + 2]
        return (second == 0x80 && (0xAA...0xAE).contains(third)) || (second == 0x81 && (0xA6...0xA9).contains(third))
    }

    /// A bidi control, or U+2028 LINE SEPARATOR / U+2029 PARAGRAPH SEPARATOR (E2 80 A8–A9).
    @inline(__always)
    private static func isLineSeparatorOrBidiControl(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        guard index + 2 < bytes.count else { return false }
        return isBidiControl(bytes, at: index) || (bytes[index + 1] == 0x80 && (0xA8...0xA9).contains(bytes[index + 2]))
    }

    @inline(__always)
    private static func flush(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ buffer: inout [UInt8]) {
        if start < end { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<end])) }
    }

    /// `\uXXXX` with lowercase hex digits, for a BMP code point.
    private static func appendUnicodeEscape(_ value: UInt32, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\\"))
        buffer.append(UInt8(ascii: "u"))
        for shift in stride(from: 12, through: 0, by: -4) {
            buffer.append(hexDigits[Int((value >> UInt32(shift)) & 0xF)])
        }
    }
}
