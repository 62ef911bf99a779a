import Foundation
import Testing

@testable import LandingCore

/// The byte-level log writers (escaping, timestamps, numbers, the fixed-order lines) write exactly
/// what the String-based ones they replaced wrote: the log format does not change.
@Suite struct LogLineBytesTests {
    /// The escaping `JSONLine` had before it worked on bytes, scalar by scalar: the reference.
    static func referenceQuoted(_ value: String) -> [UInt8] {
        let hex = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        for scalar in value.unicodeScalars {
            switch scalar.value {
            case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
            case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20, 0x7F...0x9F, 0x2028, 0x2029:
                let v = Int(scalar.value)
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), hex[(v >> 12) & 0xF], hex[(v >> 8) & 0xF], hex[(v >> 4) & 0xF], hex[v & 0xF]])
            case 0x20..<0x80: bytes.append(UInt8(scalar.value))
            default: bytes.append(contentsOf: String(Character(scalar)).utf8)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        return bytes
    }

    /// The `Timestamp` formatter before it worked on bytes: the reference.
    static func referenceTimestamp(seconds: Int, nanoseconds: Int, fractionalDigits: Bool) -> String {
        let day = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - day * 86400
        let (y, m, d) = HTTPDate.civil(fromDays: day)
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let base = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay % 3600 / 60, 2)):\(pad(secondOfDay % 60, 2))"
        return fractionalDigits ? "\(base).\(pad(nanoseconds / 1_000_000, 3))Z" : "\(base)Z"
    }

    /// Every single scalar that matters (all of ASCII, the C1 range and around it, the line
    /// separators and their neighbours, multi-byte scalars) and hostile mixes escape as before.
    @Test func appendQuoted_MatchesTheScalarEscaping_ForEveryInterestingScalar() {
        var scalars: [Unicode.Scalar] = (0..<0x100).compactMap(Unicode.Scalar.init)
        scalars += [0x2027, 0x2028, 0x2029, 0x202A, 0x20AC, 0xE000, 0xFEFF, 0x1F600, 0x10FFFF].compactMap(Unicode.Scalar.init)
        for scalar in scalars {
            for text in [String(Character(scalar)), "a\(Character(scalar))b", "\(Character(scalar))\(Character(scalar))"] {
                var out: [UInt8] = []
                JSONLine.appendQuoted(text, to: &out)
                #expect(out == Self.referenceQuoted(text), "U+\(String(scalar.value, radix: 16))")
            }
        }
        let hostile = [
            "", "plain", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36", "\u{85}\r\n{\"type\":\"access\"}\u{2028}\u{2029}",
            "é\u{80}\u{9F}\u{A0}\u{7F}\\\"\u{0}\u{1F}", String(repeating: "ünïcødé\u{2028}", count: 40), "😀\u{C2}\u{2028}x",
            "tail\u{85}", "tail\u{2028}", "\u{E2}\u{80}",
        ]
        for text in hostile {
            var out: [UInt8] = [0x41]
            JSONLine.appendQuoted(text, to: &out)
            #expect(out == [0x41] + Self.referenceQuoted(text), "\(text.debugDescription)")
        }
    }

    /// The eight-bytes-at-a-time scan flags a word exactly when one of its bytes needs escaping or
    /// starts a non-ASCII scalar, and a special byte at any offset of a long ASCII run is escaped.
    @Test func appendQuoted_WordScan_FlagsEverySpecialByte_AtEveryOffset() {
        func special(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x22 || byte == 0x5C || byte >= 0x7F }
        let plain = UInt64(0x6162_6364_6566_6768)
        for offset in 0..<8 {
            for byte in 0...255 {
                let shift = UInt64(offset * 8)
                let word = (plain & ~(UInt64(0xFF) << shift)) | (UInt64(byte) << shift)
                #expect(JSONLine.mayNeedEscaping(word) == special(UInt8(byte)), "byte \(byte) at \(offset)")
            }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let word = generator.next() as UInt64
            let expected = (0..<8).contains { special(UInt8(truncatingIfNeeded: word >> UInt64($0 * 8))) }
            #expect(JSONLine.mayNeedEscaping(word) == expected, "\(String(word, radix: 16))")
        }
        for special in ["\"", "\\", "\n", "\u{1}", "\u{7F}", "\u{85}", "\u{2028}", "é"] {
            for offset in 0..<20 {
                let text = String(repeating: "a", count: offset) + special + String(repeating: "b", count: 19 - offset)
                var out: [UInt8] = []
                JSONLine.appendQuoted(text, to: &out)
                #expect(out == Self.referenceQuoted(text), "\(text.debugDescription)")
            }
        }
    }

    /// Timestamps match the String formatter across eras, days, leap years, milliseconds and
    /// out-of-range years, with and without fractional digits.
    @Test func timestamp_MatchesTheStringFormatter_AcrossTheRange() {
        var seconds = [0, 1, 59, 60, 86399, 86400, 784111777, 951782400, 1_798_675_199, 1_800_000_123, 253_402_300_799, 253_402_300_800, -1, -86400, -62_167_219_200, -62_167_219_201, Int(Int32.max)]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 { seconds.append(Int.random(in: -70_000_000_000...300_000_000_000, using: &generator)) }
        for second in seconds {
            for nanos in [0, 999_999, 1_000_000, 5_000_000, 99_000_000, 123_456_789, 999_999_999, -1, -5_000_000, 1_000_000_000, 12_345_000_000] {
                for fractional in [true, false] {
                    let expected = Self.referenceTimestamp(seconds: second, nanoseconds: nanos, fractionalDigits: fractional)
                    #expect(Timestamp.rfc3339(seconds: second, nanoseconds: nanos, fractionalDigits: fractional) == expected)
                    var line = JSONLine()
                    if fractional {
                        line.add("time", seconds: second, nanoseconds: nanos)
                        #expect(String(decoding: line.finished(), as: UTF8.self) == "{\"time\":\"\(expected)\"}\n")
                    }
                }
            }
        }
    }

    /// Integers and milliseconds print as `String(Int)` and the three-decimal form did, signs and extremes included.
    @Test func numbers_MatchTheStringForms() {
        for value in [0, 1, 9, 10, 99, 100, 12345, -1, -10, -12345, Int.max, Int.min] {
            var line = JSONLine()
            line.add("n", value)
            line.add("v", value: value.logValue)
            #expect(String(decoding: line.finished(), as: UTF8.self) == "{\"n\":\(value),\"v\":\(value)}\n")
        }
        for (millis, text) in [(0.0, "0.000"), (0.0004, "0.000"), (0.0005, "0.001"), (1.23456, "1.235"), (12.05, "12.050"), (321.5112, "321.511"), (100000.0, "100000.000")] {
            var line = JSONLine()
            line.add("d", milliseconds: millis)
            #expect(String(decoding: line.finished(), as: UTF8.self) == "{\"d\":\(text)}\n")
        }
        // Every thousandth, against the interpolating form it replaced.
        for thousandths in 0..<3000 {
            let frac = thousandths % 1000
            let text = "\(thousandths / 1000)." + (frac < 10 ? "00\(frac)" : frac < 100 ? "0\(frac)" : "\(frac)")
            var line = JSONLine()
            line.add("d", milliseconds: Double(thousandths) / 1000)
            #expect(String(decoding: line.finished(), as: UTF8.self) == "{\"d\":\(text)}\n")
        }
    }

    /// An access line appended to a loop's batch is `line(time:)` with the formatted time, after what the batch held.
    @Test func accessLog_AppendLine_EqualsLineWithTheFormattedTime() {
        var batch = Array("{\"earlier\":1}\n".utf8)
        let entries = [
            AccessLogEntryTests.entry(userAgent: "curl/8.0"), AccessLogEntryTests.entry(userAgent: nil),
            AccessLogEntryTests.entry(userAgent: "x\u{85}\"\n" + String(repeating: "é", count: 150), path: "/a\u{2028}b"),
        ]
        var expected = batch
        for entry in entries {
            entry.appendLine(seconds: 1_800_000_123, nanoseconds: 45_000_000, to: &batch)
            expected += entry.line(time: Timestamp.rfc3339(seconds: 1_800_000_123, nanoseconds: 45_000_000))
        }
        #expect(String(decoding: batch, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
    }
}
