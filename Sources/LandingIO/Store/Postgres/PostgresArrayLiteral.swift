/// A PostgreSQL array literal (`{"a",NULL,"b"}`, `{1,NULL}`, `{t,f}`) built element by element, to
/// pass a whole column of values as one text parameter (`$1::text[]`, `$2::bigint[]`, …) that
/// `unnest` turns back into rows. Text elements are always double-quoted with `"` and `\` escaped,
/// so no value can end the element or read as NULL; NULL is the bare word.
struct PostgresArrayLiteral {
    /// The elements, comma-separated, without the braces (no allocation until the first element).
    private var bytes: [UInt8] = []
    private var isEmpty = true

    init() {}

    /// Appends a text element (NULL for nil).
    mutating func append(text value: String?) {
        separate()
        guard var value else { return appendNull() }
        bytes.append(UInt8(ascii: "\""))
        value.withUTF8 { utf8 in
            var runStart = 0
            var index = 0
            // why: a plain loop over the raw bytes, copying runs between the (rare) bytes that need
            // a backslash; per-byte appends cost several times more.
            // why: a NUL ends the value, as it ends any text parameter libpq sends (a C string), so a
            // value with one is cut there instead of ending the whole array parameter early.
            while index < utf8.count, utf8[index] != 0 {
                let byte = utf8[index]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                    bytes.append(UInt8(ascii: "\\"))
                    runStart = index
                }
                index += 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends an integer element (NULL for nil), in decimal.
    mutating func append(integer value: Int64?) {
        separate()
        guard let value else { return appendNull() }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        // why: digits straight into the buffer; `String(value)` made a string per column per row.
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") &+ UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    /// Appends a boolean element (`t`/`f`).
    mutating func append(boolean value: Bool) {
        separate()
        bytes.append(value ? UInt8(ascii: "t") : UInt8(ascii: "f"))
    }

    /// The literal, closed.
    var text: String {
        String(unsafeUninitializedCapacity: bytes.count + 2) { buffer in
            buffer[0] = UInt8(ascii: "{")
            _ = UnsafeMutableBufferPointer(rebasing: buffer[1..<(bytes.count + 1)]).initialize(from: bytes)
            buffer[bytes.count + 1] = UInt8(ascii: "}")
            return bytes.count + 2
        }
    }

    private mutating func separate() {
        if isEmpty {
            isEmpty = false
            // why: one allocation for a typical batch's column instead of a doubling from empty.
            bytes.reserveCapacity(256)
        } else {
            bytes.append(UInt8(ascii: ","))
        }
    }

    private mutating func appendNull() {
        bytes.append(contentsOf: "NULL".utf8)
    }
}
