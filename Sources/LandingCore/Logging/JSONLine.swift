/// Builds one JSON object on one line, for the access log and the application log. Keys are written
/// in the order given; strings are escaped per RFC 8259 §7 (quotes, backslash, controls), and so
/// are DEL, the C1 controls (U+0080–U+009F, NEL among them: header bytes decoded as Latin-1 land
/// there) and U+2028/U+2029, so no value can end a line for a reader that splits on any of them.
public struct JSONLine: Sendable {
    public private(set) var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var first = true

    public init() {
        bytes.reserveCapacity(256)
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
        case .int(let number): bytes.append(contentsOf: String(number).utf8)
        case .unsigned(let number): bytes.append(contentsOf: String(number).utf8)
        // why: Swift's shortest round-trip form ("0.25", "1e-05", "5.0") is a valid JSON number;
        // NaN and the infinities have none (RFC 8259 §6).
        case .double(let number): bytes.append(contentsOf: (number.isFinite ? "\(number)" : "null").utf8)
        case .bool(let flag): bytes.append(contentsOf: (flag ? "true" : "false").utf8)
        }
    }

    public mutating func add(_ key: StaticString, _ value: Int) {
        appendKey(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A number with three decimals (durations in milliseconds).
    public mutating func add(_ key: StaticString, milliseconds value: Double) {
        appendKey(key)
        let thousandths = Int((value * 1000).rounded())
        bytes.append(contentsOf: "\(thousandths / 1000).".utf8)
        let frac = thousandths % 1000
        bytes.append(contentsOf: (frac < 10 ? "00\(frac)" : frac < 100 ? "0\(frac)" : "\(frac)").utf8)
    }

    /// The finished line, with its newline.
    public func finished() -> [UInt8] {
        var out = bytes
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
        bytes.append(contentsOf: "\":".utf8)
    }

    /// Appends `value` as a JSON string literal.
    public static func appendQuoted(_ value: String, to bytes: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        bytes.append(UInt8(ascii: "\""))
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
            case 0x20..<0x80:
                bytes.append(UInt8(scalar.value))
            default:
                bytes.append(contentsOf: String(Character(scalar)).utf8)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
