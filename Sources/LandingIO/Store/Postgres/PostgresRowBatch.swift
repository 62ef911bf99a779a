import LandingCore

/// Records of one table to write with one statement: each column (`RecordColumns.names` order) as
/// one array literal, the parameters of `PostgresTable.insertMany`/`upsertMany`
/// (`INSERT … SELECT * FROM unnest($1::text[], $2::text[], …)`).
struct PostgresRowBatch: RecordRowWriter {
    /// The PostgreSQL element type of each column (`text`, `bigint`, `boolean`), in
    /// `RecordColumns.names` order, as `RecordColumns.write(_:to:)` hands them out.
    static let columnTypes: [String] = {
        var collector = TypeCollector()
        let sample = LandingRecord(key: .item("x"), status: .pending, createdAt: 0, updatedAt: 0)
        try? RecordColumns.write(sample, to: &collector)
        precondition(collector.types.count == RecordColumns.names.count, "every record column has a type")
        return collector.types
    }()

    private var columns = Array(repeating: PostgresArrayLiteral(), count: RecordColumns.names.count)
    /// Records added so far.
    private(set) var count = 0

    init() {}

    mutating func add(_ record: LandingRecord) throws(StoreError) {
        try RecordColumns.write(record, to: &self)
        count += 1
    }

    /// One text parameter per column.
    var parameters: [String?] { columns.map(\.text) }

    mutating func text(_ value: String?, at column: Int) { columns[column].append(text: value) }
    mutating func integer(_ value: Int64?, at column: Int) { columns[column].append(integer: value) }
    mutating func boolean(_ value: Bool, at column: Int) { columns[column].append(boolean: value) }

    /// Notes the SQL type of each column `RecordColumns.write(_:to:)` hands out.
    private struct TypeCollector: RecordRowWriter {
        var types: [String] = []
        mutating func text(_ value: String?, at column: Int) { types.append("text") }
        mutating func integer(_ value: Int64?, at column: Int) { types.append("bigint") }
        mutating func boolean(_ value: Bool, at column: Int) { types.append("boolean") }
    }
}
