/// Reads the `raw_parameters` column (`RecordColumns.encode`'s JSON, or what `JSONEncoder` wrote
/// before it): a JSON array of objects with string members `name` and `value`. Hand-written, so a
/// read of a record builds no `JSONDecoder`/`Data`: any JSON text of that shape is accepted
/// (whitespace, member order, every RFC 8259 escape including surrogate pairs); other members
/// are ignored when their value is a string; anything else is `nil` (the caller reports the row
/// corrupt).
// why: JSONDecoder cost ~10k instructions per record read, more than the rest of the row mapping.
struct RawParametersDecoder {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var at = 0

    /// The parameters in `text`, or nil when it is not a JSON parameter list.
    static func decode(_ text: String) -> [RawParameter]? {
        var text = text
        return text.withUTF8 { (bytes) -> [RawParameter]? in
            var decoder = RawParametersDecoder(bytes: bytes)
            return decoder.list()
        }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    private mutating func list() -> [RawParameter]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var parameters: [RawParameter] = []
        if !take(UInt8(ascii: "]")) {
            repeat {
                guard let parameter = object() else { return nil }
                parameters.append(parameter)
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "]")) else { return nil }
        }
        skipWhitespace()
        return at == bytes.count ? parameters : nil
    }

    private mutating func object() -> RawParameter? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var name: String?
        var value: String?
        if !take(UInt8(ascii: "}")) {
            repeat {
                guard let key = string(), take(UInt8(ascii: ":")), let member = string() else { return nil }
                if key == "name" {
                    name = member
                } else if key == "value" {
                    value = member
                }
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "}")) else { return nil }
        }
        guard let name, let value else { return nil }
        return RawParameter(name: name, value: value)
    }

    /// Skips whitespace, then consumes `byte` if it is next.
    private mutating func take(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard at < bytes.count, bytes[at] == byte else { return false }
        at += 1
        return true
    }

    private mutating func skipWhitespace() {
        while at < bytes.count {
            switch bytes[at] {
            case 0x20, 0x09, 0x0A, 0x0D: at += 1
            default: return
            }
        }
    }

    /// A JSON string (after whitespace), unescaped; nil when malformed.
    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        var runStart = at
        // Fast path: no escape in the string, its bytes are the value.
        while at < bytes.count {
            let byte = bytes[at]
            if byte == UInt8(ascii: "\"") {
                let value = String(decoding: UnsafeBufferPointer(rebasing: bytes[runStart..<at]), as: UTF8.self)
                at += 1
                return value
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { return nil }
            at += 1
        }
        var out: [UInt8] = []
        out.reserveCapacity(at - runStart + 16)
        while at < bytes.count {
            let byte = bytes[at]
            switch byte {
            case UInt8(ascii: "\""):
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<at]))
                at += 1
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<at]))
                at += 1
                guard at < bytes.count else { return nil }
                let escape = bytes[at]
                at += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard let scalar = unicodeEscape() else { return nil }
                    out.append(contentsOf: String(Character(scalar)).utf8)
                default: return nil
                }
                runStart = at
            default:
                guard byte >= 0x20 else { return nil }
                at += 1
            }
        }
        return nil
    }

    /// The scalar of a `\u` escape whose `\u` was consumed (a surrogate pair takes two escapes);
    /// nil for a lone surrogate or bad hex.
    private mutating func unicodeEscape() -> Unicode.Scalar? {
        guard let high = hex4() else { return nil }
        guard (0xD800..<0xDC00).contains(high) else { return Unicode.Scalar(high) }
        guard at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") else { return nil }
        at += 2
        guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
        return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    }

    private mutating func hex4() -> UInt32? {
        guard at + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[at]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            at += 1
        }
        return value
    }
}
