/// Turns a byte offset in a source file into the 1-based line and column of an error message.
/// Lines end at LF (a CR before it is part of the line); columns count characters, as editors do.
struct TemplateLocation: Equatable {
    let line: Int
    let column: Int

    init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// The location of `offset` in `bytes` (computed only when an error is reported).
    init(offset: Int, in bytes: [UInt8]) {
        let end = min(max(offset, 0), bytes.count)
        var line = 1
        var lineStart = 0
        for index in 0..<end where bytes[index] == 0x0A {
            line += 1
            lineStart = index + 1
        }
        self.line = line
        self.column = String(decoding: bytes[lineStart..<end], as: UTF8.self).count + 1
    }

    /// Converts a byte column on a 1-based line (as `JSONValue` reports it) to a character column.
    init(line: Int, byteColumn: Int, in bytes: [UInt8]) {
        var currentLine = 1
        var lineStart = 0
        var index = 0
        while currentLine < line, index < bytes.count {
            if bytes[index] == 0x0A {
                currentLine += 1
                lineStart = index + 1
            }
            index += 1
        }
        self.init(offset: lineStart + byteColumn - 1, in: bytes)
    }
}
