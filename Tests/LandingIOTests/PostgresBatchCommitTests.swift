import Dispatch
import Glibc
import LandingCore
import Synchronization
import Testing

@testable import LandingIO

private func callback(_ itemId: String?, session: String? = nil, at time: Int64) -> StoreWrite {
    .callback(
        CallbackEvent(
            itemId: itemId, sessionId: session, error: nil, rawParameters: [RawParameter(name: "itemId", value: itemId ?? "")],
            receivedAt: time))
}

private func newSession(_ id: String, at time: Int64 = 500) -> StoreWrite {
    .createSession(NewSession(id: id, clientUserId: "user-7", returnURL: "https://app.example/done", createdAt: time, expiresAt: 900_000))
}

private func webhook(_ eventId: String, item itemId: String, at time: Int64) -> StoreWrite {
    .webhook(WebhookEvent(event: "item/updated", eventId: eventId, itemId: itemId, triggeredBy: "USER", error: nil, receivedAt: time))
}

/// `PostgresStore.commit` reads a batch's records up front and writes them with one statement per
/// table and kind (`PostgresTransaction`): these check that a batch still means what the shared
/// rules say (the same results as `MemoryStore` for the same writes), that the new-record INSERT
/// still refuses a row another writer inserted meanwhile, and that the round trips no longer grow
/// with the batch.
@Suite("PostgresStore batch commits", .enabled(if: PGTestEnvironment.shouldRun, PGTestEnvironment.skipReason))
struct PostgresBatchCommitTests {
    /// Commits `batches` in order on a fresh PostgreSQL schema and on a `MemoryStore`; returns both
    /// stores and the last batch's commits.
    private func commitBoth(_ batches: [[StoreWrite]]) throws -> (pg: PostgresStore, memory: MemoryStore, pgCommit: StoreCommit, memoryCommit: StoreCommit, schema: PostgresTestSchema) {
        let schema = try PostgresTestSchema()
        let pg = try schema.store()
        let memory = MemoryStore()
        var pgCommit = StoreCommit(results: [], changes: [])
        var memoryCommit = pgCommit
        for batch in batches {
            pgCommit = try pg.commit(batch)
            memoryCommit = try memory.commit(batch)
        }
        return (pg, memory, pgCommit, memoryCommit, schema)
    }

    /// Two callbacks for one new item in one batch: the first is the first completion, the second a hit on it (version 2, one change).
    @Test
    func commit_CountsSecondHit_WhenOneBatchHasTwoCallbacksForOneNewItem() throws {
        let run = try commitBoth([[callback("new-1", at: 1_000), callback("new-1", at: 1_500)]])
        #expect(run.pgCommit == run.memoryCommit)
        guard case .callback(.recorded(_, firstCompletion: true)) = run.pgCommit.results.first,
            case .callback(.recorded(let second, firstCompletion: false)) = run.pgCommit.results.last
        else {
            Issue.record("unexpected results \(run.pgCommit.results)")
            return
        }
        #expect(second.hits == 2 && second.version == 2)
        #expect(run.pgCommit.changes == [RecordChange(key: .item("new-1"), version: 2)])
        let stored = try #require(try run.pg.item(id: "new-1"))
        #expect(stored == second)
        #expect(stored == (try run.memory.item(id: "new-1")))
    }

    /// A batch mixing new and existing items and sessions, a webhook, a session deleted and created again: the same results, changes and rows as `MemoryStore`.
    @Test
    func commit_MatchesMemoryStore_WhenBatchMixesNewAndExistingRecords() throws {
        let setup: [StoreWrite] = [newSession("s-old"), callback("old-1", at: 900), callback("bound-1", session: "s-old", at: 950)]
        let batch: [StoreWrite] = [
            callback("old-1", at: 1_000),  // existing item: a hit
            callback("new-1", at: 1_010),  // new item
            newSession("s-new", at: 1_020),  // new session
            callback("new-2", session: "s-new", at: 1_030),  // new item bound to the new session
            webhook("ev-1", item: "bound-1", at: 1_040),  // existing item, its session reached through it
            webhook("ev-2", item: "new-1", at: 1_050),  // the item this batch created
            .deleteSession(id: "s-new"),  // deletes what this batch wrote
            newSession("s-new", at: 1_060),  // and creates it again
            callback("old-1", at: 1_070),  // a second hit in the same batch
        ]
        let run = try commitBoth([setup, batch])
        #expect(run.pgCommit == run.memoryCommit)
        for id in ["old-1", "new-1", "new-2", "bound-1"] {
            #expect(try run.pg.item(id: id) == (try run.memory.item(id: id)), "item \(id)")
        }
        for id in ["s-old", "s-new"] {
            #expect(try run.pg.session(id: id) == (try run.memory.session(id: id)), "session \(id)")
        }
        #expect(try run.pg.session(id: "s-new")?.version == 1)
        #expect(try run.pg.item(id: "old-1")?.hits == 3)
    }

    /// Values that array literals must quote (quotes, backslashes, braces, commas, the word NULL, empty text, non-ASCII) come back unchanged through the multi-row writes.
    @Test
    func commit_KeepsTextThatArrayLiteralsQuote_WhenWritingManyRows() throws {
        let tricky = ["a\"b", "c\\d", "{x,y}", "NULL", "", " spaced ", "ação 🙂", "\\\""]
        let session = NewSession(
            id: "s-\"{NULL}", clientUserId: "NULL", returnURL: "https://app.example/a?b=\"c\"&d=\\", createdAt: 500, expiresAt: 900_000)
        let batch: [StoreWrite] = [.createSession(session)] + tricky.enumerated().map { index, text in
            .callback(
                CallbackEvent(
                    itemId: "item-\(index)", sessionId: nil, error: LandingError(code: "e", description: text),
                    rawParameters: [RawParameter(name: text, value: text)], receivedAt: 1_000))
        }
        let run = try commitBoth([batch])
        #expect(run.pgCommit == run.memoryCommit)
        #expect(try run.pg.session(id: session.id) == (try run.memory.session(id: session.id)))
        #expect(try run.pg.session(id: session.id)?.clientUserId == "NULL")
        for index in tricky.indices {
            #expect(try run.pg.item(id: "item-\(index)") == (try run.memory.item(id: "item-\(index)")), "\(tricky[index])")
        }
    }

    /// A new item's row inserted by another writer (past the advisory locks) while the batch runs: the batch fails with `.conflict`, none of it is written or announced, and its retry counts a hit.
    @Test
    func commit_RefusesWholeBatchWithoutNotice_WhenAnotherWriterInsertedItsNewItem() throws {
        let schema = try PostgresTestSchema()
        let store = try schema.store()
        let tag = PGTestEnvironment.uniqueName("conflict")
        let newItem = "\(tag)-new"
        let bound = "\(tag)-bound"
        let session = "\(tag)-s"
        _ = try store.commit([newSession(session), callback(bound, session: session, at: 900)])
        let boundBefore = try #require(try store.item(id: bound))

        let listener = try schema.connect()
        try listener.listen(PostgresStore.changeChannel)
        let outside = try schema.connect()
        // The outsider holds the session's row lock, so the batch stops at the webhook's on-demand read.
        try outside.execute("BEGIN")
        try outside.execute("SELECT 1 FROM sessions WHERE session_id = $1 FOR UPDATE", [session])

        let batch: [StoreWrite] = [callback(newItem, at: 1_000), webhook("\(tag)-ev", item: bound, at: 1_010)]
        let outcome = Mutex<Result<StoreCommit, StoreError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let pid = try #require(store.backendPID)
        DispatchQueue.global().async {
            let result = Result { () throws(StoreError) in try store.commit(batch) }
            outcome.withLock { $0 = result }
            done.signal()
        }
        let observer = try PGTestEnvironment.connect()
        var waiting = false
        for _ in 0..<500 where !waiting {
            let row = try observer.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", [String(pid)])
            waiting = row.rowCount == 1 && row.text(row: 0, column: 0) == "Lock"
            if !waiting { usleep(10_000) }
        }
        #expect(waiting, "the batch never waited for the session's row lock")
        let early = try listener.nextNotifications(timeout: 0.2).filter { $0.payload.contains(tag) }
        #expect(early.isEmpty, "notified before COMMIT: \(early)")
        try outside.execute(
            "INSERT INTO items (item_id, status, created_at, updated_at) VALUES ($1, 'completed', 1, 1)", [newItem])
        try outside.execute("COMMIT")
        done.wait()

        let result = try #require(outcome.withLock { $0 })
        guard case .failure(let error) = result else {
            Issue.record("the batch committed over another writer's row: \(result)")
            return
        }
        #expect(error.kind == .conflict, "\(error)")
        #expect(try store.item(id: bound) == boundBefore, "the webhook's change was rolled back")
        let late = try listener.nextNotifications(timeout: 0.3).filter { $0.payload.contains(tag) }
        #expect(late.isEmpty, "a rolled-back batch was announced: \(late)")

        let retry = try store.commit(batch)
        guard case .callback(.recorded(let item, firstCompletion: false)) = retry.results.first else {
            Issue.record("retry: \(retry.results)")
            return
        }
        #expect(item.hits == 1 && item.version == 2)
        var heard: [String] = []
        for _ in 0..<20 where heard.count < retry.changes.count {
            heard += try listener.nextNotifications(timeout: 0.5).map(\.payload).filter { $0.contains(tag) }
        }
        #expect(Set(heard) == Set(retry.changes.map(RecordChangeNotice.encode)))
    }

    /// The prefetch reads by primary-key lookups even under a generic plan made on an empty table (PostgreSQL keeps one for a prepared statement), never a scan of the whole table.
    @Test
    func prefetch_LooksUpKeysByIndex_UnderGenericPlanMadeOnEmptyTable() throws {
        let schema = try PostgresTestSchema()
        _ = try schema.store()  // creates the tables
        let db = try schema.connect()
        try db.executeScript("SET plan_cache_mode = force_generic_plan")
        for table in [PostgresTable.items, PostgresTable.sessions] {
            try db.executeScript("PREPARE probe_\(table.name) AS \(table.selectManyForUpdate)")
            let plan = try db.execute("EXPLAIN EXECUTE probe_\(table.name)('{a,b}')")
            let text = (0..<plan.rowCount).compactMap { plan.text(row: $0, column: 0) }.joined(separator: "\n")
            #expect(!text.contains("Seq Scan on \(table.name)"), "\(text)")
            #expect(text.contains("Index Scan using \(table.name)_pkey"), "\(text)")
        }
    }

    /// A batch of callbacks for new items costs the same 6 statements in 2 round trips whether it holds 1 or 40 (BEGIN, locks, one read; one insert, notify, COMMIT).
    @Test
    func commit_RunsSixStatementsInTwoRoundTrips_ForAnyBatchOfNewItemCallbacks() throws {
        let schema = try PostgresTestSchema()
        let store = try schema.store()
        _ = try store.commit([callback("warm-1", at: 1)])  // prepares the statements once
        for size in [1, 40] {
            let statementsBefore = try #require(store.statementCount)
            let roundTripsBefore = try #require(store.roundTripCount)
            let commit = try store.commit((0..<size).map { callback("item-\(size)-\($0)", at: 1_000 + Int64($0)) })
            #expect(commit.changes.count == size)
            let statements = try #require(store.statementCount) - statementsBefore
            let roundTrips = try #require(store.roundTripCount) - roundTripsBefore
            #expect(statements == 6, "a batch of \(size) ran \(statements) statements")
            #expect(roundTrips == 2, "a batch of \(size) took \(roundTrips) round trips")
        }
    }
}
