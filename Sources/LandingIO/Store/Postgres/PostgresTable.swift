import LandingCore

/// One of the two record tables (`items`, `sessions`), with its PostgreSQL statements. The column
/// list and the mapping to `LandingRecord` are `RecordColumns`', shared with the SQLite store. Values
/// travel as text parameters (`$1`…, never spliced into the SQL); statements run through
/// `PGConnection.executeCached`, so each is prepared once per connection.
struct PostgresTable: Sendable {
    let name: String
    let keyColumn: String
    let select: String
    let selectForUpdate: String
    let upsert: String
    let insert: String
    /// Every record whose key is in the text array `$1` (each key once), locked `FOR UPDATE`.
    let selectManyForUpdate: String
    /// Inserts one row per element of the column arrays `$1`… (`PostgresRowBatch`); a key that
    /// exists already fails the statement (23505).
    let insertMany: String
    /// `insertMany`, replacing the rows whose keys exist.
    let upsertMany: String
    /// Deletes one record and returns its columns.
    let delete: String
    let purge: String
    /// At most $2 of the rows `purge` deletes (one step of a batched purge), oldest first.
    let purgeBatch: String

    static let items = PostgresTable(.items)
    static let sessions = PostgresTable(.sessions)
    private let table: RecordColumns.Table

    private init(_ table: RecordColumns.Table) {
        self.table = table
        let name = table.rawValue
        let keyColumn = table.keyColumn
        self.name = name
        self.keyColumn = keyColumn
        let columns = RecordColumns.names
        let list = columns.joined(separator: ", ")
        let placeholders = columns.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
        let updates = columns.filter { $0 != keyColumn }.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        select = "SELECT \(list) FROM \(name) WHERE \(keyColumn) = $1"
        selectForUpdate = select + " FOR UPDATE"
        insert = "INSERT INTO \(name) (\(list)) VALUES (\(placeholders))"
        upsert = insert + " ON CONFLICT (\(keyColumn)) DO UPDATE SET \(updates)"
        // why: one primary-key lookup per id (a LATERAL join over the array), not `key = ANY($1)`:
        // PostgreSQL plans a prepared statement once for all arrays, and a plan made while the
        // table was small scans the whole table on every commit afterwards (seen: a sequential
        // scan taking 3 ms per batch at 20,000 rows). An equality on the key is always an index
        // lookup.
        selectManyForUpdate =
            "SELECT r.* FROM unnest($1::text[]) AS k(id), LATERAL (SELECT \(list) FROM \(name) WHERE \(keyColumn) = k.id FOR UPDATE) AS r"
        let arrays = PostgresRowBatch.columnTypes.enumerated().map { "$\($0.offset + 1)::\($0.element)[]" }.joined(separator: ", ")
        insertMany = "INSERT INTO \(name) (\(list)) SELECT * FROM unnest(\(arrays))"
        upsertMany = insertMany + " ON CONFLICT (\(keyColumn)) DO UPDATE SET \(updates)"
        delete = "DELETE FROM \(name) WHERE \(keyColumn) = $1 RETURNING \(list)"
        purge = "DELETE FROM \(name) WHERE updated_at < $1"
        purgeBatch = """
            DELETE FROM \(name) WHERE \(keyColumn) IN
                (SELECT \(keyColumn) FROM \(name) WHERE updated_at < $1 ORDER BY updated_at LIMIT $2)
            """
    }

    /// The table a record key lives in.
    static func of(_ key: LandingRecord.Key) -> (table: PostgresTable, id: String) {
        let (table, id) = RecordColumns.Table.of(key)
        return (table == .items ? items : sessions, id)
    }

    /// The record stored under `id`, read with `FOR UPDATE` when asked (inside a transaction).
    func select(_ id: String, on db: PGConnection, forUpdate: Bool) throws(StoreError) -> LandingRecord? {
        let result = try db.executeCached(forUpdate ? selectForUpdate : select, [id])
        guard result.rowCount > 0 else { return nil }
        return try record(from: result, row: 0)
    }

    // MARK: Row mapping

    /// The text parameters of an `insert`/`upsert` for `record`, in `RecordColumns.names` order (nil is NULL).
    static func parameters(of record: LandingRecord) throws(StoreError) -> [String?] {
        try RecordColumns.values(of: record).map { value in
            switch value {
            case .text(let text): text
            case .integer(let integer): integer.map(String.init)
            case .boolean(let flag): flag ? "t" : "f"
            }
        }
    }

    /// The record in `row` of a result whose columns are `RecordColumns.names`.
    func record(from result: PGResult, row: Int) throws(StoreError) -> LandingRecord {
        guard result.columnCount == RecordColumns.names.count else {
            throw StoreError(.corrupt, "\(name) query returned \(result.columnCount) columns, expected \(RecordColumns.names.count)")
        }
        return try RecordColumns.record(table: table, from: PGRowReader(result: result, row: row))
    }
}

/// One row of a `PGResult` as a `RecordRowReader`.
struct PGRowReader: RecordRowReader {
    let result: PGResult
    let row: Int
    func text(_ column: Int) -> String? { result.text(row: row, column: column) }
    func integer(_ column: Int) throws(StoreError) -> Int64? { try result.int64(row: row, column: column) }
    func boolean(_ column: Int) throws(StoreError) -> Bool? { try result.bool(row: row, column: column) }
}
