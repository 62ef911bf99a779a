extension TemplateValue {
    /// The value as compact JSON (RFC 8259), safe to embed in an inline `<script>` element and in
    /// an HTTP body: object keys sorted, and `<`, `>`, `&`, `'`, U+2028, U+2029 and the bidi
    /// controls written as `\uXXXX` (see `TemplateEscaping.appendJSONString`).
    public var jsonString: String {
        var buffer: [UInt8] = []
        appendJSON(to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Appends the JSON text of this value to `buffer`.
    func appendJSON(to buffer: inout [UInt8]) {
        switch self {
        case .string(let value):
            TemplateEscaping.appendJSONString(value, to: &buffer)
        case .bool(let value):
            buffer.append(contentsOf: value ? Self.trueBytes : Self.falseBytes)
        case .int(let value):
            TemplateEscaping.appendDecimal(value, to: &buffer)
        case .null:
            buffer.append(contentsOf: Self.nullBytes)
        case .list(let values):
            buffer.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { buffer.append(UInt8(ascii: ",")) }
                value.appendJSON(to: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        case .object(let members):
            // why: a dictionary's order changes from run to run; sorted keys make the page
            // byte-for-byte reproducible (and testable).
            buffer.append(UInt8(ascii: "{"))
            // Sorting the members themselves spares looking each key up again.
            var first = true
            for member in members.sorted(by: { $0.key < $1.key }) {
                if !first { buffer.append(UInt8(ascii: ",")) }
                first = false
                TemplateEscaping.appendJSONString(member.key, to: &buffer)
                buffer.append(UInt8(ascii: ":"))
                member.value.appendJSON(to: &buffer)
            }
            buffer.append(UInt8(ascii: "}"))
        }
    }

    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
    private static let nullBytes = Array("null".utf8)
}
