/// The store-neutral layout of the two record tables (`items`, `sessions`): one column list and one
/// mapping between `LandingRecord` and a row, shared by every SQL store so they cannot drift. A
/// store supplies only how a value is bound (`RecordRowWriter`, or the `values(of:)` list) and how
/// a column is read (`RecordRowReader`).
public enum RecordColumns {
    /// Every column, in the order `values(of:)` lists and `record(table:from:)` reads.
    public static let names = [
        "item_id", "session_id", "status", "confirmed", "error_code", "error_description", "hits", "created_at",
        "updated_at", "completed_at", "expires_at", "raw_parameters", "dropped_parameters", "client_user_id",
        "return_url", "is_test", "version", "confirmed_by", "connector_name", "execution_status", "language",
    ]

    /// One column's value for a write.
    public enum Value: Sendable, Equatable {
        case text(String?)
        case integer(Int64?)
        case boolean(Bool)
    }

    /// The record tables and their key columns.
    public enum Table: String, Sendable, CaseIterable {
        case items
        case sessions

        public var keyColumn: String { self == .items ? "item_id" : "session_id" }

        /// The table a record key lives in, and the key's value.
        public static func of(_ key: LandingRecord.Key) -> (table: Table, id: String) {
            switch key {
            case .item(let id): (.items, id)
            case .session(let id): (.sessions, id)
            }
        }
    }

    /// The values of `record`, in `names` order.
    public static func values(of record: LandingRecord) throws(StoreError) -> [Value] {
        var collector = ValueCollector()
        try write(record, to: &collector)
        return collector.values
    }

    /// Hands every column of `record` to `row`, in `names` order (column `index` is its position),
    /// without building a `[Value]` first.
    // why: a SQLite store binds straight from here; the array of 21 enum values (and their
    // retains) cost a third of binding a row.
    public static func write<Writer: RecordRowWriter>(_ record: LandingRecord, to row: inout Writer) throws(StoreError) {
        var itemId = record.itemId
        var sessionId = record.sessionId
        switch record.key {
        case .item(let id): itemId = id
        case .session(let id): sessionId = id
        }
        try row.text(itemId, at: 0)
        try row.text(sessionId, at: 1)
        try row.text(record.status.rawValue, at: 2)
        try row.boolean(record.confirmed, at: 3)
        try row.text(record.error?.code, at: 4)
        try row.text(record.error?.description, at: 5)
        try row.integer(Int64(record.hits), at: 6)
        try row.integer(record.createdAt, at: 7)
        try row.integer(record.updatedAt, at: 8)
        try row.integer(record.completedAt, at: 9)
        try row.integer(record.expiresAt, at: 10)
        try row.text(encode(record.rawParameters), at: 11)
        try row.integer(Int64(record.droppedParameters), at: 12)
        try row.text(record.clientUserId, at: 13)
        try row.text(record.returnURL, at: 14)
        try row.boolean(record.isTest, at: 15)
        try row.integer(record.version, at: 16)
        try row.text(record.confirmedBy?.rawValue, at: 17)
        try row.text(record.connectorName, at: 18)
        try row.text(record.executionStatus, at: 19)
        try row.text(record.language, at: 20)
    }

    /// Collects the values `write(_:to:)` hands out, for `values(of:)`.
    private struct ValueCollector: RecordRowWriter {
        var values: [Value] = []

        init() { values.reserveCapacity(names.count) }

        mutating func text(_ value: String?, at column: Int) { values.append(.text(value)) }
        mutating func integer(_ value: Int64?, at column: Int) { values.append(.integer(value)) }
        mutating func boolean(_ value: Bool, at column: Int) { values.append(.boolean(value)) }
    }

    /// The record in a row of `table` whose columns are `names`, read through `row`.
    public static func record(table: Table, from row: some RecordRowReader) throws(StoreError) -> LandingRecord {
        let name = table.rawValue
        let itemId = row.text(0)
        let sessionId = row.text(1)
        guard let keyValue = table == .items ? itemId : sessionId else {
            throw StoreError(.corrupt, "corrupt \(name) row: no \(table.keyColumn)")
        }
        guard let statusText = row.text(2), let status = LandingStatus(rawValue: statusText) else {
            throw StoreError(.corrupt, "corrupt \(name) row: unknown status")
        }
        func required(_ column: Int) throws(StoreError) -> Int64 {
            guard let value = try row.integer(column) else { throw StoreError(.corrupt, "corrupt \(name) row: \(names[column]) is NULL") }
            return value
        }
        let error = row.text(4).map { LandingError(code: $0, description: row.text(5)) }
        return LandingRecord(
            key: table == .items ? .item(keyValue) : .session(keyValue), itemId: itemId, sessionId: sessionId, status: status,
            confirmed: try row.boolean(3) ?? false, error: error, hits: Int(try row.integer(6) ?? 0), createdAt: try required(7),
            updatedAt: try required(8), completedAt: try row.integer(9), expiresAt: try row.integer(10),
            rawParameters: try decode(row.text(11), table: name), droppedParameters: Int(try row.integer(12) ?? 0),
            clientUserId: row.text(13), returnURL: row.text(14), isTest: try row.boolean(15) ?? false, version: try required(16),
            confirmedBy: row.text(17).flatMap(ConfirmationSource.init(rawValue:)), connectorName: row.text(18),
            executionStatus: row.text(19), language: row.text(20))
    }

    /// Raw parameters as stored: JSON `[{"name","value"}]`, `[]` when none. Written by hand, byte for
    /// byte what `JSONEncoder` wrote with `[.sortedKeys, .withoutEscapingSlashes]` (so rows written
    /// before and after read the same): `"` `\\` and the C0 controls escaped, nothing else.
    // why: JSONEncoder costs more per callback than the rest of the row's binding together.
    static func encode(_ parameters: [RawParameter]) -> String {
        guard !parameters.isEmpty else { return "[]" }
        var buffer: [UInt8] = []
        var capacity = 2
        for parameter in parameters { capacity += 22 + parameter.name.utf8.count + parameter.value.utf8.count }
        buffer.reserveCapacity(capacity)
        buffer.append(UInt8(ascii: "["))
        for (index, parameter) in parameters.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            appendASCII("{\"name\":", to: &buffer)
            appendJSONString(parameter.name, to: &buffer)
            appendASCII(",\"value\":", to: &buffer)
            appendJSONString(parameter.value, to: &buffer)
            buffer.append(UInt8(ascii: "}"))
        }
        buffer.append(UInt8(ascii: "]"))
        return String(decoding: buffer, as: UTF8.self)
    }

    private static func appendASCII(_ text: StaticString, to buffer: inout [UInt8]) {
        text.withUTF8Buffer { buffer.append(contentsOf: $0) }
    }

    /// Appends `text` as a JSON string (RFC 8259 §7): `"` and `\\` and the C0 controls escaped
    /// (`\\b` `\\f` `\\n` `\\r` `\\t`, the others `\\u00xx` in lowercase hex), every other byte as is.
    private static func appendJSONString(_ text: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var runStart = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                runStart = index + 1
                buffer.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): buffer.append(byte)
                case 0x08: buffer.append(UInt8(ascii: "b"))
                case 0x0C: buffer.append(UInt8(ascii: "f"))
                case 0x0A: buffer.append(UInt8(ascii: "n"))
                case 0x0D: buffer.append(UInt8(ascii: "r"))
                case 0x09: buffer.append(UInt8(ascii: "t"))
                default:
                    let hex: StaticString = "0123456789abcdef"
                    buffer.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    hex.withUTF8Buffer { digits in
                        buffer.append(digits[Int(byte >> 4)])
                        buffer.append(digits[Int(byte & 0x0F)])
                    }
                }
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        buffer.append(UInt8(ascii: "\""))
    }

    static func decode(_ text: String?, table: String) throws(StoreError) -> [RawParameter] {
        guard let text, text != "[]" else { return [] }
        // why: the message never quotes the text, which holds callback parameters.
        guard let parameters = RawParametersDecoder.decode(text) else {
            throw StoreError(.corrupt, "corrupt \(table) row: raw_parameters is not a JSON parameter list")
        }
        return parameters
    }
}

/// Reads one column of a result row by position (`RecordColumns.names` order); a store adapts its
/// driver's row to it.
public protocol RecordRowReader {
    func text(_ column: Int) -> String?
    func integer(_ column: Int) throws(StoreError) -> Int64?
    func boolean(_ column: Int) throws(StoreError) -> Bool?
}

/// Takes one column's value for a write, by position (`RecordColumns.names` order); a store adapts
/// its statement to it (`RecordColumns.write(_:to:)` calls it once per column, in order).
public protocol RecordRowWriter {
    mutating func text(_ value: String?, at column: Int) throws(StoreError)
    mutating func integer(_ value: Int64?, at column: Int) throws(StoreError)
    mutating func boolean(_ value: Bool, at column: Int) throws(StoreError)
}
