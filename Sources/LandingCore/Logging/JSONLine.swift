/// Builds one JSON object on one line, for the access log and the application log. Keys are written
/// in the order given; strings are escaped per RFC 8259 §7 (quotes, backslash, controls), and so
/// are DEL, the C1 controls (U+0080–U+009F, NEL among them: header bytes decoded as Latin-1 land
/// there) and U+2028/U+2029, so no value can end a line for a reader that splits on any of them.
///
/// Bytes all the way: numbers are written digit by digit and strings are escaped over their UTF-8
/// in runs, so a line costs one buffer and no `String` (it runs twice per request).
public struct JSONLine: Sendable {
    public private(set) var bytes: [UInt8]
    private var first = true

    public init() {
        // why: one allocation per line, sized for an access line with a 200-byte user agent (an
        // array literal here would allocate, then reserveCapacity would reallocate and copy).
        bytes = []
        bytes.reserveCapacity(512)
        bytes.append(UInt8(ascii: "{"))
    }

    /// A line written at the end of `buffer`, which it takes over (no copy) until
    /// `finish(into:)` hands it back: lets a caller batch lines in one buffer it reuses.
    public init(appendingTo buffer: inout [UInt8]) {
        bytes = []
        swap(&bytes, &buffer)
        bytes.append(UInt8(ascii: "{"))
    }

    /// Closes the line (`}` and newline) and hands the buffer back to `buffer` (see
    /// `init(appendingTo:)`).
    public consuming func finish(into buffer: inout [UInt8]) {
        bytes.append(UInt8(ascii: "}"))
        bytes.append(UInt8(ascii: "\n"))
        swap(&bytes, &buffer)
    }

    /// An RFC 3339 timestamp (`Timestamp`) as a JSON string, formatted in place.
    public mutating func add(_ key: StaticString, seconds: Int, nanoseconds: Int) {
        appendKey(key)
        bytes.append(UInt8(ascii: "\""))
        // why: a timestamp is digits and `-:.TZ` only: nothing to escape.
        Timestamp.append(seconds: seconds, nanoseconds: nanoseconds, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func add(_ key: StaticString, _ value: String) {
        appendKey(key)
        Self.appendQuoted(value, to: &bytes)
    }

    /// A metadata value as a JSON string, number or boolean (`LogValue`).
    public mutating func add(_ key: String, value: LogValue) {
        separator()
        Self.appendQuoted(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        switch value {
        case .string(let text): Self.appendQuoted(text, to: &bytes)
        case .int(let number): Self.appendDecimal(number, to: &bytes)
        case .unsigned(let number): bytes.append(contentsOf: String(number).utf8)
        // why: Swift's shortest round-trip form ("0.25", "1e-05", "5.0") is a valid JSON number;
        // NaN and the infinities have none (RFC 8259 §6).
        case .double(let number): bytes.append(contentsOf: (number.isFinite ? "\(number)" : "null").utf8)
        case .bool(let flag): Self.appendBool(flag, to: &bytes)
        }
    }

    public mutating func add(_ key: StaticString, _ value: Int) {
        appendKey(key)
        Self.appendDecimal(value, to: &bytes)
    }

    /// A JSON boolean.
    public mutating func add(_ key: StaticString, _ value: Bool) {
        appendKey(key)
        Self.appendBool(value, to: &bytes)
    }

    /// A number with three decimals (durations in milliseconds).
    public mutating func add(_ key: StaticString, milliseconds value: Double) {
        appendKey(key)
        let thousandths = Int((value * 1000).rounded())
        Self.appendDecimal(thousandths / 1000, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        let frac = thousandths % 1000
        if frac < 10 {
            bytes.append(UInt8(ascii: "0"))
            bytes.append(UInt8(ascii: "0"))
        } else if frac < 100 {
            bytes.append(UInt8(ascii: "0"))
        }
        Self.appendDecimal(frac, to: &bytes)
    }

    /// The finished line, with its newline. Consuming: the line's buffer becomes the result
    /// without a copy.
    public consuming func finished() -> [UInt8] {
        var out = bytes
        bytes = []
        out.append(UInt8(ascii: "}"))
        out.append(UInt8(ascii: "\n"))
        return out
    }

    private mutating func separator() {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
    }

    private mutating func appendKey(_ key: StaticString) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// Appends `value` in decimal (`String(value)`'s digits, without the `String`).
    static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            // why: -Int.min overflows; its magnitude fits a UInt.
            appendDecimal(UInt(bitPattern: 0 &- value), to: &bytes)
        } else {
            appendDecimal(UInt(value), to: &bytes)
        }
    }

    private static func appendDecimal(_ value: UInt, to bytes: inout [UInt8]) {
        // 20 digits hold UInt.max; written from the end of a stack tuple.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { raw in
            var index = 24
            var rest = value
            repeat {
                index -= 1
                raw[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[index..<24]))
        }
    }

    private static func appendBool(_ flag: Bool, to bytes: inout [UInt8]) {
        if flag {
            bytes.append(contentsOf: [UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "u"), UInt8(ascii: "e")])
        } else {
            bytes.append(contentsOf: [UInt8(ascii: "f"), UInt8(ascii: "a"), UInt8(ascii: "l"), UInt8(ascii: "s"), UInt8(ascii: "e")])
        }
    }

    /// Appends `value` as a JSON string literal.
    public static func appendQuoted(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        if value.utf8.withContiguousStorageIfAvailable({ appendEscaped($0, to: &bytes) }) == nil {
            let copy = Array(value.utf8)
            copy.withUnsafeBufferPointer { appendEscaped($0, to: &bytes) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends the escaped form of `utf8` (valid UTF-8, as every `String`'s is): plain bytes in
    /// runs; `"` `\` and the C0 controls as RFC 8259 escapes; DEL, the C1 controls (`C2 80`–`C2 9F`)
    /// and U+2028/U+2029 (`E2 80 A8`/`A9`) as `\uXXXX` (lowercase hex); any other sequence as is.
    static func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        let count = utf8.count
        var runStart = 0
        var index = 0
        @inline(__always) func flushRun() {
            if index > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
        }
        while index < count {
            // Eight plain bytes at a time: a whole word with nothing to escape joins the run.
            if index + 8 <= count, let base = utf8.baseAddress,
                !Self.mayNeedEscaping(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            {
                index += 8
                continue
            }
            let byte = utf8[index]
            switch byte {
            case 0x20...0x7E where byte != 0x22 && byte != 0x5C:
                index += 1
            case 0x22, 0x5C:
                flushRun()
                bytes.append(0x5C)
                bytes.append(byte)
                index += 1
                runStart = index
            case 0x0A, 0x0D, 0x09:
                flushRun()
                bytes.append(0x5C)
                bytes.append(byte == 0x0A ? UInt8(ascii: "n") : byte == 0x0D ? UInt8(ascii: "r") : UInt8(ascii: "t"))
                index += 1
                runStart = index
            case 0x00..<0x20, 0x7F:
                flushRun()
                appendUnicodeEscape(UInt32(byte), to: &bytes)
                index += 1
                runStart = index
            case 0xC2 where index + 1 < count && utf8[index + 1] <= 0x9F:
                // U+0080–U+009F: the second byte is the code point.
                flushRun()
                appendUnicodeEscape(UInt32(utf8[index + 1]), to: &bytes)
                index += 2
                runStart = index
            case 0xE2 where index + 2 < count && utf8[index + 1] == 0x80 && (utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9):
                flushRun()
                appendUnicodeEscape(utf8[index + 2] == 0xA8 ? 0x2028 : 0x2029, to: &bytes)
                index += 3
                runStart = index
            default:
                // why: any other lead or continuation byte belongs to a scalar written as is; the
                // special leads (C2, E2) are never continuation bytes, so they cannot be misread.
                index += 1
            }
        }
        flushRun()
    }

    /// Whether any of the eight bytes in `word` is below 0x20, `"`, `\`, or 0x7F and above (a
    /// control, a quote, a backslash, DEL or part of a non-ASCII scalar), by the has-less and
    /// has-zero-byte word tricks. Never misses one; a false alarm would only send the word through
    /// the byte-by-byte path.
    @inline(__always)
    static func mayNeedEscaping(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZeroByte(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        let nonASCII = word & highs != 0
        let control = (word &- ones &* 0x20) & ~word & highs != 0
        let quote = hasZeroByte(word ^ (ones &* 0x22))
        let backslash = hasZeroByte(word ^ (ones &* 0x5C))
        let delete = hasZeroByte(word ^ (ones &* 0x7F))
        return nonASCII || control || quote || backslash || delete
    }

    private static func appendUnicodeEscape(_ value: UInt32, to bytes: inout [UInt8]) {
        @inline(__always) func hex(_ nibble: UInt32) -> UInt8 {
            nibble < 10 ? UInt8(ascii: "0") + UInt8(nibble) : UInt8(ascii: "a") + UInt8(nibble - 10)
        }
        bytes.append(0x5C)
        bytes.append(UInt8(ascii: "u"))
        bytes.append(hex((value >> 12) & 0xF))
        bytes.append(hex((value >> 8) & 0xF))
        bytes.append(hex((value >> 4) & 0xF))
        bytes.append(hex(value & 0xF))
    }
}
