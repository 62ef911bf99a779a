import CLibPQ
import LandingCore

/// Owns one successful `PGresult*`, cleared (`PQclear`) in `deinit`. Values are read as text (the
/// connection asks for text results) with typed accessors; rows and columns are 0-based.
final class PGResult {
    private let handle: OpaquePointer

    init(takingOwnership handle: OpaquePointer) {
        self.handle = handle
    }

    deinit { PQclear(handle) }

    /// Rows returned (0 for commands that return none).
    var rowCount: Int { Int(PQntuples(handle)) }

    /// Columns per row.
    var columnCount: Int { Int(PQnfields(handle)) }

    /// The command tag (`INSERT 0 1`, `UPDATE 3`, `COMMIT`, `ROLLBACK`, …).
    var commandStatus: String { String(cString: PQcmdStatus(handle)) }

    /// Rows an INSERT, UPDATE, DELETE, MERGE, SELECT, MOVE, FETCH or COPY affected; nil for others.
    var affectedRows: Int? { Int(String(cString: PQcmdTuples(handle))) }

    /// The index of the column named `name`, if the result has one.
    func columnIndex(_ name: String) -> Int? {
        let index = PQfnumber(handle, name)
        return index < 0 ? nil : Int(index)
    }

    /// The column's name.
    func columnName(_ column: Int) -> String {
        checkBounds(row: 0, column: column, allowEmpty: true)
        return String(cString: PQfname(handle, Int32(column)))
    }

    /// Whether the value is SQL NULL.
    func isNull(row: Int, column: Int) -> Bool {
        checkBounds(row: row, column: column)
        return PQgetisnull(handle, Int32(row), Int32(column)) == 1
    }

    /// The value as text; nil for NULL.
    func text(row: Int, column: Int) -> String? {
        guard !isNull(row: row, column: column) else { return nil }
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        guard let value = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        let bytes = UnsafeRawBufferPointer(start: value, count: length)
        // why: the connection sets client_encoding=UTF8, so this only repairs a server that lies.
        return String(validating: bytes, as: UTF8.self) ?? String(decoding: bytes, as: UTF8.self)
    }

    /// The value as a 64-bit integer; nil for NULL; `.corrupt` when it is not one.
    func int64(row: Int, column: Int) throws(StoreError) -> Int64? {
        guard let text = text(row: row, column: column) else { return nil }
        guard let value = Int64(text) else {
            throw StoreError(.corrupt, "column \(columnName(column)) of row \(row) is not a 64-bit integer")
        }
        return value
    }

    /// The value as a boolean (PostgreSQL's text form is `t`/`f`); nil for NULL; `.corrupt` otherwise.
    func bool(row: Int, column: Int) throws(StoreError) -> Bool? {
        switch text(row: row, column: column) {
        case nil: return nil
        case "t": return true
        case "f": return false
        default: throw StoreError(.corrupt, "column \(columnName(column)) of row \(row) is not a boolean")
        }
    }

    private func checkBounds(row: Int, column: Int, allowEmpty: Bool = false) {
        precondition(column >= 0 && column < columnCount, "column \(column) out of range 0..<\(columnCount)")
        precondition(allowEmpty || (row >= 0 && row < rowCount), "row \(row) out of range 0..<\(rowCount)")
    }
}
