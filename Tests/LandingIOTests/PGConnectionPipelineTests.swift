import LandingCore
import Testing

@testable import LandingIO

/// `PGConnection.pipeline`: several statements in one round trip, with the failure handling of
/// statements sent one by one.
@Suite("PGConnection pipeline", .enabled(if: PGTestEnvironment.shouldRun, PGTestEnvironment.skipReason))
struct PGConnectionPipelineTests {
    /// The results come back in order, one per statement, in one round trip, with parameters bound.
    @Test
    func pipeline_ReturnsEveryResultInOrder_InOneRoundTrip() throws {
        let db = try PGTestEnvironment.connect()
        let before = db.roundTripCount
        let results = try db.pipeline([
            PGStatement("SELECT $1::int + 1", ["1"]), PGStatement("SELECT 'b'"), PGStatement("SELECT $1::text", [nil]),
        ])
        #expect(db.roundTripCount - before == 1)
        #expect(results.count == 3)
        #expect(results.first?.text(row: 0, column: 0) == "2")
        #expect(results.dropFirst().first?.text(row: 0, column: 0) == "b")
        #expect(results.last?.isNull(row: 0, column: 0) == true)
    }

    /// A failing statement throws its error (kind from its SQLSTATE); the ones after it do not run, the transaction is rolled back, and a statement whose skipped preparation was never cached works on the next call.
    @Test
    func pipeline_ThrowsFirstFailure_AndLeavesConnectionUsable() throws {
        let db = try PGTestEnvironment.connect()
        try db.execute("CREATE TEMP TABLE pipeline_probe (n int)")
        let later = "SELECT count(*) FROM pipeline_probe WHERE n >= $1::int"
        let failing = [
            PGStatement("BEGIN"), PGStatement("INSERT INTO pipeline_probe VALUES (1)"),
            PGStatement("SELECT 1 / $1::int", ["0"]), PGStatement("INSERT INTO pipeline_probe VALUES (2)"), PGStatement(later, ["0"]),
        ]
        let outcome = Result { () throws(StoreError) in try db.pipeline(failing) }
        guard case .failure(let error) = outcome else {
            Issue.record("a division by zero did not fail the pipeline")
            return
        }
        #expect(error.kind == .corrupt)
        #expect(error.message.contains("22012"), "\(error.message)")
        #expect(db.isInTransaction)
        db.rollback()
        #expect(!db.isInTransaction)
        try db.ping()
        let counted = try db.pipeline([PGStatement(later, ["0"])])
        #expect(counted.first?.text(row: 0, column: 0) == "0")
    }
}
