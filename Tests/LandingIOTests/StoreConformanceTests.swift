import Foundation
import LandingCore
import Testing

@testable import LandingIO

/// Which store a conformance test runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory, sqlite, postgres
    var testDescription: String { rawValue }

    /// The kinds the conformance suites run against: PostgreSQL when `PGTestEnvironment.shouldRun`
    /// (a server is given, or on CI, where a missing one fails).
    static var allCases: [StoreKind] { PGTestEnvironment.shouldRun ? [.memory, .sqlite, .postgres] : [.memory, .sqlite] }
}

/// A temporary directory under /tmp, unique per use. Tests remove it with `defer { directory.remove() }`,
/// which also keeps it alive until the test ends (deinit removes it too, as a backstop).
final class StoreTestDirectory: @unchecked Sendable {  // why: immutable after init.
    let path: String

    init() throws {
        var template = Array("/tmp/landing-store-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw StoreError("mkdtemp failed: errno \(errno)")
        }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    deinit { remove() }
}

/// A fresh store of one kind, used as the store itself (it forwards every call). An SQLite store's
/// database lives in its own temporary directory, a PostgreSQL store's tables in their own schema
/// (`PostgresTestSchema`); either is removed after the store is closed, when this value is released.
final class StoreUnderTest: LandingStore, @unchecked Sendable {  // why: `base` changes only in deinit.
    private var base: (any LandingStore)?
    private let directory: StoreTestDirectory?
    private let schema: PostgresTestSchema?

    init(_ kind: StoreKind) throws {
        switch kind {
        case .memory:
            base = MemoryStore()
            directory = nil
            schema = nil
        case .sqlite:
            let directory = try StoreTestDirectory()
            base = try SQLiteStore(path: directory.file("landing.db"))
            self.directory = directory
            schema = nil
        case .postgres:
            let schema = try PostgresTestSchema()
            base = try schema.store()
            directory = nil
            self.schema = schema
        }
    }

    deinit {
        base = nil  // why: close the database before its directory (or schema) goes.
        directory?.remove()
        schema?.remove()
    }

    private var store: any LandingStore { base! }

    /// The store's own answers, versions included (the rule tests below compare contents, so this
    /// wrapper reports every record with version 0 unless `versions` is set).
    var versions = false

    func commit(_ writes: [StoreWrite]) throws(StoreError) -> StoreCommit {
        var commit = try store.commit(writes)
        if !versions { commit.results = commit.results.map(Self.unversioned) }
        return commit
    }
    func session(id: String) throws(StoreError) -> LandingRecord? { unversioned(try store.session(id: id)) }
    func item(id: String) throws(StoreError) -> LandingRecord? { unversioned(try store.item(id: id)) }
    func purge(updatedBefore cutoff: Int64) throws(StoreError) -> Int { try store.purge(updatedBefore: cutoff) }
    func purge(updatedBefore cutoff: Int64, limit: Int) throws(StoreError) -> PurgeBatch {
        try store.purge(updatedBefore: cutoff, limit: limit)
    }

    private func unversioned(_ record: LandingRecord?) -> LandingRecord? {
        guard var record, !versions else { return record }
        record.version = 0
        return record
    }

    private static func unversioned(_ result: StoreWriteResult) -> StoreWriteResult {
        func strip(_ record: LandingRecord) -> LandingRecord {
            var record = record
            record.version = 0
            return record
        }
        switch result {
        case .callback(.recorded(let record, let first)): return .callback(.recorded(strip(record), firstCompletion: first))
        case .callback(.unknownSession): return result
        case .webhook(.applied(let item, let session)): return .webhook(.applied(strip(item), sessionRecord: session.map(strip)))
        case .webhook(.duplicate(let item)): return .webhook(.duplicate(item.map(strip)))
        case .webhook(.ignored): return result
        case .sessionCreated(let record): return .sessionCreated(strip(record))
        case .confirmed(let record): return .confirmed(strip(record))
        case .sessionDeleted: return result
        }
    }
}

// MARK: - Fixtures

private let params = [RawParameter(name: "itemId", value: "it-1"), RawParameter(name: "scope", value: "accounts")]
private let denied = LandingError(code: "access_denied", description: "The user denied access")

private func itemCallback(_ itemId: String, at time: Int64, error: LandingError? = nil, isTest: Bool = false) -> CallbackEvent {
    CallbackEvent(itemId: itemId, sessionId: nil, error: error, rawParameters: params, receivedAt: time, isTest: isTest)
}

private func sessionCallback(_ sessionId: String, item itemId: String?, at time: Int64, error: LandingError? = nil) -> CallbackEvent {
    CallbackEvent(itemId: itemId, sessionId: sessionId, error: error, rawParameters: params, receivedAt: time)
}

private func newSession(_ id: String, createdAt: Int64 = 1_000, expiresAt: Int64 = 5_000, isTest: Bool = false) -> NewSession {
    NewSession(id: id, clientUserId: "user-7", returnURL: "https://app.example/done", createdAt: createdAt, expiresAt: expiresAt, isTest: isTest)
}

/// The record a pending session has right after `createSession(newSession(id))`.
private func pendingSession(_ id: String, createdAt: Int64 = 1_000, expiresAt: Int64 = 5_000) -> LandingRecord {
    LandingRecord(
        key: .session(id), sessionId: id, status: .pending, createdAt: createdAt, updatedAt: createdAt,
        expiresAt: expiresAt, clientUserId: "user-7", returnURL: "https://app.example/done")
}

/// The record of an item created by its first callback at `time`.
private func completedItem(_ id: String, at time: Int64, session: String? = nil) -> LandingRecord {
    LandingRecord(
        key: .item(id), itemId: id, sessionId: session, status: .completed, hits: 1, createdAt: time, updatedAt: time,
        completedAt: time, rawParameters: params)
}

// MARK: - Rules of LandingStore, against both stores

@Suite("Store conformance")
struct StoreConformanceTests {
    /// A first callback without error creates a completed item with its parameters, as a first completion.
    @Test(arguments: StoreKind.allCases)
    func store_CompletesItem_WhenFirstCallbackHasNoError(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        let result = try store.recordCallback(itemCallback("it-1", at: 1_000))
        #expect(result == .recorded(completedItem("it-1", at: 1_000), firstCompletion: true))
        #expect(try store.item(id: "it-1") == completedItem("it-1", at: 1_000))
    }

    /// A first callback with an OAuth error creates a failed item carrying the error (with or without description).
    @Test(arguments: StoreKind.allCases)
    func store_FailsItem_WhenFirstCallbackCarriesError(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        var expected = completedItem("it-1", at: 1_000)
        expected.status = .failed
        expected.error = denied
        #expect(try store.recordCallback(itemCallback("it-1", at: 1_000, error: denied)) == .recorded(expected, firstCompletion: true))
        #expect(try store.item(id: "it-1") == expected)

        let bare = LandingError(code: "server_error", description: nil)
        _ = try store.recordCallback(itemCallback("it-2", at: 1_000, error: bare))
        #expect(try store.item(id: "it-2")?.error == bare)
    }

    /// A repeated callback (refresh) counts a hit and keeps the first outcome, parameters and completion time.
    @Test(arguments: StoreKind.allCases)
    func store_KeepsFirstOutcome_WhenCallbackRepeats(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.recordCallback(itemCallback("it-1", at: 1_000))
        var later = itemCallback("it-1", at: 2_000, error: denied)
        later.rawParameters = [RawParameter(name: "other", value: "x")]
        later.droppedParameters = 3
        var expected = completedItem("it-1", at: 1_000)
        expected.hits = 2
        expected.updatedAt = 2_000
        #expect(try store.recordCallback(later) == .recorded(expected, firstCompletion: false))
        expected.hits = 3
        expected.updatedAt = 3_000
        #expect(try store.recordCallback(itemCallback("it-1", at: 3_000)) == .recorded(expected, firstCompletion: false))
        #expect(try store.item(id: "it-1") == expected)
    }

    /// A failed item stays failed when a later callback for it succeeds.
    @Test(arguments: StoreKind.allCases)
    func store_KeepsFirstFailure_WhenLaterCallbackSucceeds(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.recordCallback(itemCallback("it-1", at: 1_000, error: denied))
        guard case .recorded(let record, let first) = try store.recordCallback(itemCallback("it-1", at: 2_000)) else {
            Issue.record("not recorded")
            return
        }
        #expect(!first)
        #expect(record.status == .failed && record.error == denied && record.hits == 2 && record.completedAt == 1_000)
    }

    /// createSession stores a pending session with the app's fields, zero hits and its expiry.
    @Test(arguments: StoreKind.allCases)
    func store_CreatesPendingSession_WithGivenFields(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        #expect(try store.createSession(newSession("s-1")) == pendingSession("s-1"))
        #expect(try store.session(id: "s-1") == pendingSession("s-1"))
        let bare = NewSession(id: "s-2", clientUserId: nil, returnURL: nil, createdAt: 10, expiresAt: 20)
        #expect(try store.createSession(bare).clientUserId == nil)
        #expect(try store.session(id: "s-2")?.returnURL == nil)
    }

    /// Reads of unknown ids return nil; items and sessions live in separate key spaces.
    @Test(arguments: StoreKind.allCases)
    func store_ReturnsNil_WhenRecordMissing(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.createSession(newSession("same"))
        _ = try store.recordCallback(itemCallback("other", at: 1_000))
        #expect(try store.item(id: "same") == nil)
        #expect(try store.session(id: "other") == nil)
        #expect(try store.item(id: "missing") == nil)
    }

    /// A session's first callback completes it, binds the item id, and creates the item linked to the session.
    @Test(arguments: StoreKind.allCases)
    func store_BindsItemAndUpdatesBoth_WhenSessionCallbackHasItemId(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.createSession(newSession("s-1"))
        var session = pendingSession("s-1")
        session.itemId = "it-9"
        session.status = .completed
        session.hits = 1
        session.updatedAt = 2_000
        session.completedAt = 2_000
        session.rawParameters = params
        #expect(try store.recordCallback(sessionCallback("s-1", item: "it-9", at: 2_000)) == .recorded(session, firstCompletion: true))
        #expect(try store.session(id: "s-1") == session)
        #expect(try store.item(id: "it-9") == completedItem("it-9", at: 2_000, session: "s-1"))
    }

    /// A session's first callback with an error fails both the session and its item.
    @Test(arguments: StoreKind.allCases)
    func store_FailsSessionAndItem_WhenSessionCallbackCarriesError(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.createSession(newSession("s-1"))
        _ = try store.recordCallback(sessionCallback("s-1", item: "it-9", at: 2_000, error: denied))
        #expect(try store.session(id: "s-1")?.status == .failed)
        #expect(try store.session(id: "s-1")?.error == denied)
        #expect(try store.item(id: "it-9")?.status == .failed)
        #expect(try store.item(id: "it-9")?.error == denied)
    }

    /// A repeated session callback only counts hits, on the session and on its item; the outcome stays.
    @Test(arguments: StoreKind.allCases)
    func store_CountsHitsOnly_WhenSessionCallbackRepeats(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.createSession(newSession("s-1"))
        _ = try store.recordCallback(sessionCallback("s-1", item: "it-9", at: 2_000))
        let again = try store.recordCallback(sessionCallback("s-1", item: "it-9", at: 3_000, error: denied))
        guard case .recorded(let session, let first) = again else {
            Issue.record("not recorded")
            return
        }
        #expect(!first)
        #expect(session.status == .completed && session.error == nil && session.hits == 2)
        #expect(session.updatedAt == 3_000 && session.completedAt == 2_000 && session.itemId == "it-9")
        #expect(try store.session(id: "s-1") == session)
        let item = try #require(try store.item(id: "it-9"))
        #expect(item.status == .completed && item.hits == 2 && item.updatedAt == 3_000 && item.sessionId == "s-1")
    }

    /// A session callback naming an item that already has a record counts a hit on it and links it to the session.
    @Test(arguments: StoreKind.allCases)
    func store_LinksExistingItem_WhenSessionCallbackNamesIt(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.recordCallback(itemCallback("it-9", at: 1_500, error: denied))
        _ = try store.createSession(newSession("s-1"))
        let result = try store.recordCallback(sessionCallback("s-1", item: "it-9", at: 2_000))
        guard case .recorded(let session, true) = result else {
            Issue.record("expected the session's first completion, got \(result)")
            return
        }
        #expect(session.status == .completed && session.itemId == "it-9")
        let item = try #require(try store.item(id: "it-9"))
        #expect(item.status == .failed && item.hits == 2 && item.sessionId == "s-1" && item.createdAt == 1_500)
    }

    /// A callback on an unknown session returns `.unknownSession` and writes nothing, not even its item.
    @Test(arguments: StoreKind.allCases)
    func store_ReturnsUnknownSession_WhenSessionDoesNotExist(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        #expect(try store.recordCallback(sessionCallback("nope", item: "it-1", at: 2_000)) == .unknownSession)
        #expect(try store.item(id: "it-1") == nil)
        #expect(try store.session(id: "nope") == nil)
    }

    /// A pending session is unknown from its expiry on (receivedAt ≥ expiresAt); nothing is written.
    @Test(arguments: StoreKind.allCases)
    func store_ReturnsUnknownSession_WhenPendingSessionHasExpired(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.createSession(newSession("s-1", expiresAt: 5_000))
        #expect(try store.recordCallback(sessionCallback("s-1", item: "it-1", at: 5_000)) == .unknownSession)
        #expect(try store.recordCallback(sessionCallback("s-1", item: "it-1", at: 9_000)) == .unknownSession)
        #expect(try store.session(id: "s-1") == pendingSession("s-1", expiresAt: 5_000))
        #expect(try store.item(id: "it-1") == nil)
    }

    /// A pending session still takes a callback one millisecond before its expiry.
    @Test(arguments: StoreKind.allCases)
    func store_RecordsSessionCallback_WhenJustBeforeExpiry(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.createSession(newSession("s-1", expiresAt: 5_000))
        guard case .recorded(let session, true) = try store.recordCallback(sessionCallback("s-1", item: nil, at: 4_999)) else {
            Issue.record("not recorded as a first completion")
            return
        }
        #expect(session.status == .completed && session.itemId == nil && session.hits == 1)
    }

    /// A completed (or failed) session past its expiry still re-renders its outcome instead of reading as unknown.
    @Test(arguments: StoreKind.allCases)
    func store_RerendersFinishedSession_WhenPastExpiry(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.createSession(newSession("done", expiresAt: 5_000))
        _ = try store.createSession(newSession("failed", expiresAt: 5_000))
        _ = try store.recordCallback(sessionCallback("done", item: "it-1", at: 2_000))
        _ = try store.recordCallback(sessionCallback("failed", item: "it-2", at: 2_000, error: denied))
        for id in ["done", "failed"] {
            guard case .recorded(let session, false) = try store.recordCallback(sessionCallback(id, item: nil, at: 60_000)) else {
                Issue.record("\(id): not re-rendered")
                continue
            }
            #expect(session.hits == 2 && session.updatedAt == 60_000 && session.completedAt == 2_000)
            #expect(session.status == (id == "done" ? .completed : .failed))
        }
    }

    /// createSession refuses an id that already exists (pending or finished) and leaves the session as it was.
    @Test(arguments: StoreKind.allCases)
    func store_Throws_WhenSessionIdAlreadyExists(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.createSession(newSession("s-1"))
        #expect(throws: StoreError(.conflict, "session id already exists")) { try store.createSession(newSession("s-1", createdAt: 7)) }
        #expect(try store.session(id: "s-1") == pendingSession("s-1"))
        _ = try store.recordCallback(sessionCallback("s-1", item: nil, at: 2_000))
        #expect(throws: StoreError.self) { try store.createSession(newSession("s-1")) }
        #expect(try store.session(id: "s-1")?.status == .completed)
    }

    /// deleteSession removes the session (not its item), says whether it existed, and its callbacks become unknown.
    @Test(arguments: StoreKind.allCases)
    func store_DeletesSession_AndReportsWhetherItExisted(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.createSession(newSession("s-1"))
        _ = try store.recordCallback(sessionCallback("s-1", item: "it-1", at: 2_000))
        #expect(try store.deleteSession(id: "s-1"))
        #expect(try store.session(id: "s-1") == nil)
        #expect(try store.item(id: "it-1") != nil)
        #expect(try !store.deleteSession(id: "s-1"))
        #expect(try !store.deleteSession(id: "never"))
        #expect(try store.recordCallback(sessionCallback("s-1", item: "it-1", at: 3_000)) == .unknownSession)
        #expect(try store.item(id: "it-1")?.hits == 1)
    }

    /// purge removes items and sessions last updated strictly before the cutoff and returns how many.
    @Test(arguments: StoreKind.allCases)
    func store_PurgesRecords_WhenUpdatedBeforeCutoff(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.recordCallback(itemCallback("old", at: 1_000))
        _ = try store.recordCallback(itemCallback("edge", at: 3_000))
        _ = try store.recordCallback(itemCallback("refreshed", at: 1_000))
        _ = try store.recordCallback(itemCallback("refreshed", at: 4_000))
        _ = try store.createSession(newSession("stale", createdAt: 1_000, expiresAt: 2_000))
        _ = try store.createSession(newSession("used", createdAt: 500, expiresAt: 90_000))
        _ = try store.recordCallback(sessionCallback("used", item: nil, at: 3_500))
        #expect(try store.purge(updatedBefore: 3_000) == 2)
        #expect(try store.item(id: "old") == nil)
        #expect(try store.session(id: "stale") == nil)
        #expect(try store.item(id: "edge") != nil)
        #expect(try store.item(id: "refreshed") != nil)
        #expect(try store.session(id: "used") != nil)
        #expect(try store.purge(updatedBefore: 3_000) == 0)
        #expect(try store.purge(updatedBefore: 10_000) == 3)
    }

    /// A batched purge deletes at most `limit` rows per step, records before webhook ids, the same
    /// rows a whole purge would, and says when nothing is left.
    @Test(arguments: StoreKind.allCases)
    func store_PurgesInBatches_WhenLimitGiven(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        for n in 0..<7 { _ = try store.recordCallback(itemCallback("old-\(n)", at: 1_000)) }
        _ = try store.createSession(newSession("stale", createdAt: 1_000, expiresAt: 2_000))
        _ = try store.recordCallback(itemCallback("fresh", at: 9_000))
        for n in 0..<2 {
            _ = try store.applyWebhook(
                WebhookEvent(event: "item/updated", eventId: "ev-\(n)", itemId: "wh-\(n)", receivedAt: 1_000))
        }
        // 8 old records, then 2 webhook ids (their items were written at 1_000 too: 2 more records).
        var steps: [PurgeBatch] = []
        repeat {
            steps.append(try store.purge(updatedBefore: 5_000, limit: 3))
        } while !(steps.last?.isComplete ?? true) && steps.count < 10
        #expect(steps.allSatisfy { $0.rows <= 3 })
        #expect(steps.reduce(0) { $0 + $1.records } == 10)
        #expect(steps.reduce(0) { $0 + $1.rows } == 12)
        #expect(steps.count == 5)
        #expect(steps.last == PurgeBatch(records: 0, rows: 0, isComplete: true))
        #expect(try store.item(id: "fresh") != nil)
        #expect(try store.session(id: "stale") == nil)
        #expect(try store.purge(updatedBefore: 5_000) == 0)
        #expect(try store.purge(updatedBefore: 5_000, limit: 3) == PurgeBatch(records: 0, rows: 0, isComplete: true))
    }

    /// Raw parameters (order, duplicates, empty and unusual text) and the dropped count round-trip exactly.
    @Test(arguments: StoreKind.allCases)
    func store_RoundTripsRawParametersAndDroppedCount(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        let odd = [
            RawParameter(name: "z", value: "last first"), RawParameter(name: "a", value: ""), RawParameter(name: "", value: "no name"),
            RawParameter(name: "a", value: "duplicate"), RawParameter(name: "quote\"", value: "back\\slash\n\t/ü€😀"),
            RawParameter(name: "nul", value: "a\u{0}b"), RawParameter(name: "json", value: "[{\"name\":1}]"),
        ]
        var event = itemCallback("it-1", at: 1_000)
        event.rawParameters = odd
        event.droppedParameters = 7
        _ = try store.recordCallback(event)
        let item = try #require(try store.item(id: "it-1"))
        #expect(item.rawParameters == odd)
        #expect(item.droppedParameters == 7)
        var empty = itemCallback("it-2", at: 1_000)
        empty.rawParameters = []
        _ = try store.recordCallback(empty)
        #expect(try store.item(id: "it-2")?.rawParameters == [])
        #expect(try store.item(id: "it-2")?.droppedParameters == 0)
    }

    /// The QA flag round-trips on sessions and items, and a test callback marks the session it completes.
    @Test(arguments: StoreKind.allCases)
    func store_RoundTripsIsTest(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        #expect(try store.createSession(newSession("qa", isTest: true)).isTest)
        #expect(try store.session(id: "qa")?.isTest == true)
        _ = try store.recordCallback(itemCallback("qa-item", at: 1_000, isTest: true))
        _ = try store.recordCallback(itemCallback("real-item", at: 1_000))
        #expect(try store.item(id: "qa-item")?.isTest == true)
        #expect(try store.item(id: "real-item")?.isTest == false)
        _ = try store.createSession(newSession("plain"))
        var event = sessionCallback("plain", item: "from-qa", at: 2_000)
        event.isTest = true
        _ = try store.recordCallback(event)
        #expect(try store.session(id: "plain")?.isTest == true)
        #expect(try store.item(id: "from-qa")?.isTest == true)
    }

    /// A stored pending session reads as expired from its expiry on; finished records keep their status.
    @Test(arguments: StoreKind.allCases)
    func store_ReportsEffectiveStatus_OfStoredRecords(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        _ = try store.createSession(newSession("s-1", expiresAt: 5_000))
        let pending = try #require(try store.session(id: "s-1"))
        #expect(pending.effectiveStatus(now: 4_999) == .pending)
        #expect(pending.effectiveStatus(now: 5_000) == .expired)
        _ = try store.createSession(newSession("s-2", expiresAt: 5_000))
        _ = try store.recordCallback(sessionCallback("s-2", item: "it-1", at: 2_000))
        #expect(try store.session(id: "s-2")?.effectiveStatus(now: 99_000) == .completed)
        #expect(try store.item(id: "it-1")?.effectiveStatus(now: 99_000) == .completed)
    }

    /// A callback naming neither a session nor an item records nothing and reads as an unknown session.
    @Test(arguments: StoreKind.allCases)
    func store_ReturnsUnknownSession_WhenEventNamesNoRecord(kind: StoreKind) throws {
        let store = try StoreUnderTest(kind)
        let event = CallbackEvent(itemId: nil, sessionId: nil, error: nil, receivedAt: 1_000)
        #expect(try store.recordCallback(event) == .unknownSession)
        #expect(try store.purge(updatedBefore: .max) == 0)
    }

    /// recordCallbacks gives, in order, what one recordCallback per event gives; later events see earlier ones.
    @Test(arguments: StoreKind.allCases)
    func store_RecordsBatchLikeSingleCallbacks(kind: StoreKind) throws {
        let batched = try StoreUnderTest(kind)
        let single = try StoreUnderTest(kind)
        let events = [
            itemCallback("it-1", at: 1_000), itemCallback("it-1", at: 1_001, error: denied),
            sessionCallback("s-1", item: "it-2", at: 1_002), sessionCallback("ghost", item: "it-3", at: 1_003),
            sessionCallback("s-1", item: "it-2", at: 1_004), itemCallback("it-4", at: 1_005, error: denied),
        ]
        for store in [batched, single] { _ = try store.createSession(newSession("s-1")) }
        let batchResults = try batched.recordCallbacks(events)
        let singleResults = try events.map { try single.recordCallback($0) }
        #expect(batchResults == singleResults)
        #expect(batchResults.count == events.count)
        guard case .recorded(_, false) = batchResults[1] else {
            Issue.record("the second callback for it-1 did not see the first")
            return
        }
        for id in ["it-1", "it-2", "it-3", "it-4"] { #expect(try batched.item(id: id) == single.item(id: id)) }
        #expect(try batched.session(id: "s-1") == single.session(id: "s-1"))
        #expect(try batched.recordCallbacks([]) == [])
    }
}
