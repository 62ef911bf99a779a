import Foundation
import LandingCore

/// One of the two record tables (`items`, `sessions`), with its statements. Both share the column
/// layout of `LandingRecord` (as in `SQLiteTable`) and differ only in their key column. Values
/// travel as text parameters (`$1`…, never spliced into the SQL); statements run through
/// `PGConnection.executeCached`, so each is prepared once per connection.
struct PostgresTable: Sendable {
    let name: String
    let keyColumn: String
    let select: String
    let selectForUpdate: String
    let upsert: String
    let insert: String
    /// Deletes one record and returns its columns.
    let delete: String
    let purge: String
    /// At most $2 of the rows `purge` deletes (one step of a batched purge), oldest first.
    let purgeBatch: String

    static let items = PostgresTable(name: "items", keyColumn: "item_id")
    static let sessions = PostgresTable(name: "sessions", keyColumn: "session_id")

    /// Every column, in the order `parameters(of:)` lists and `record(from:row:)` reads.
    static let columns = [
        "item_id", "session_id", "status", "confirmed", "error_code", "error_description", "hits", "created_at",
        "updated_at", "completed_at", "expires_at", "raw_parameters", "dropped_parameters", "client_user_id",
        "return_url", "is_test", "version",
    ]

    private init(name: String, keyColumn: String) {
        self.name = name
        self.keyColumn = keyColumn
        let columns = Self.columns
        let list = columns.joined(separator: ", ")
        let placeholders = columns.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
        let updates = columns.filter { $0 != keyColumn }.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        select = "SELECT \(list) FROM \(name) WHERE \(keyColumn) = $1"
        selectForUpdate = select + " FOR UPDATE"
        insert = "INSERT INTO \(name) (\(list)) VALUES (\(placeholders))"
        upsert = insert + " ON CONFLICT (\(keyColumn)) DO UPDATE SET \(updates)"
        delete = "DELETE FROM \(name) WHERE \(keyColumn) = $1 RETURNING \(list)"
        purge = "DELETE FROM \(name) WHERE updated_at < $1"
        purgeBatch = """
            DELETE FROM \(name) WHERE \(keyColumn) IN
                (SELECT \(keyColumn) FROM \(name) WHERE updated_at < $1 ORDER BY updated_at LIMIT $2)
            """
    }

    /// The table a record key lives in.
    static func of(_ key: LandingRecord.Key) -> (table: PostgresTable, id: String) {
        switch key {
        case .item(let id): (items, id)
        case .session(let id): (sessions, id)
        }
    }

    /// The record stored under `id`, read with `FOR UPDATE` when asked (inside a transaction).
    func select(_ id: String, on db: PGConnection, forUpdate: Bool) throws(StoreError) -> LandingRecord? {
        let result = try db.executeCached(forUpdate ? selectForUpdate : select, [id])
        guard result.rowCount > 0 else { return nil }
        return try record(from: result, row: 0)
    }

    // MARK: Row mapping

    /// The text parameters of an `insert`/`upsert` for `record`, in `columns` order (nil is NULL).
    static func parameters(of record: LandingRecord) throws(StoreError) -> [String?] {
        var itemId = record.itemId
        var sessionId = record.sessionId
        switch record.key {
        case .item(let id): itemId = id
        case .session(let id): sessionId = id
        }
        return [
            itemId, sessionId, record.status.rawValue, record.confirmed ? "t" : "f", record.error?.code,
            record.error?.description, String(record.hits), String(record.createdAt), String(record.updatedAt),
            record.completedAt.map(String.init), record.expiresAt.map(String.init), try encode(record.rawParameters),
            String(record.droppedParameters), record.clientUserId, record.returnURL, record.isTest ? "t" : "f",
            String(record.version),
        ]
    }

    /// The record in `row` of a result whose columns are `columns`.
    func record(from result: PGResult, row: Int) throws(StoreError) -> LandingRecord {
        guard result.columnCount == Self.columns.count else {
            throw StoreError(.corrupt, "\(name) query returned \(result.columnCount) columns, expected \(Self.columns.count)")
        }
        let itemId = result.text(row: row, column: 0)
        let sessionId = result.text(row: row, column: 1)
        let isItems = name == Self.items.name
        guard let keyValue = isItems ? itemId : sessionId else {
            throw StoreError(.corrupt, "corrupt \(name) row: no \(keyColumn)")
        }
        guard let statusText = result.text(row: row, column: 2), let status = LandingStatus(rawValue: statusText) else {
            throw StoreError(.corrupt, "corrupt \(name) row: unknown status")
        }
        let error = result.text(row: row, column: 4).map { LandingError(code: $0, description: result.text(row: row, column: 5)) }
        return LandingRecord(
            key: isItems ? .item(keyValue) : .session(keyValue), itemId: itemId, sessionId: sessionId, status: status,
            confirmed: try result.bool(row: row, column: 3) ?? false, error: error,
            hits: Int(try result.int64(row: row, column: 6) ?? 0), createdAt: try required(result, row, 7),
            updatedAt: try required(result, row, 8), completedAt: try result.int64(row: row, column: 9),
            expiresAt: try result.int64(row: row, column: 10),
            rawParameters: try Self.decode(result.text(row: row, column: 11), table: name),
            droppedParameters: Int(try result.int64(row: row, column: 12) ?? 0),
            clientUserId: result.text(row: row, column: 13), returnURL: result.text(row: row, column: 14),
            isTest: try result.bool(row: row, column: 15) ?? false, version: try required(result, row, 16))
    }

    private func required(_ result: PGResult, _ row: Int, _ column: Int) throws(StoreError) -> Int64 {
        guard let value = try result.int64(row: row, column: column) else {
            throw StoreError(.corrupt, "corrupt \(name) row: \(Self.columns[column]) is NULL")
        }
        return value
    }

    /// Raw parameters as the JSON text `SQLiteTable` stores (`[{"name","value"}]`).
    private static func encode(_ parameters: [RawParameter]) throws(StoreError) -> String {
        guard !parameters.isEmpty else { return "[]" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(parameters) else { throw StoreError(.corrupt, "cannot encode raw parameters as JSON") }
        return String(decoding: data, as: UTF8.self)
    }

    private static func decode(_ text: String?, table: String) throws(StoreError) -> [RawParameter] {
        guard let text, text != "[]" else { return [] }
        // why: the message never quotes the text, which holds callback parameters.
        guard let parameters = try? JSONDecoder().decode([RawParameter].self, from: Data(text.utf8)) else {
            throw StoreError(.corrupt, "corrupt \(table) row: raw_parameters is not a JSON parameter list")
        }
        return parameters
    }
}
