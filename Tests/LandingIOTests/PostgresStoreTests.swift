import Dispatch
import LandingCore
import Synchronization
import Testing

@testable import LandingIO

/// Runs `body(0)`, `body(1)`, … `body(count - 1)` on `count` threads at once (released together by
/// a barrier, so their transactions overlap) and returns the results in index order.
private func together<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
    let results = Mutex<[Int: Result<T, any Error>]>([:])
    let ready = DispatchSemaphore(value: 0)
    let go = DispatchSemaphore(value: 0)
    let done = DispatchGroup()
    for index in 0..<count {
        done.enter()
        DispatchQueue.global().async {
            ready.signal()
            go.wait()
            let result = Result { try body(index) }
            results.withLock { $0[index] = result }
            done.leave()
        }
    }
    for _ in 0..<count { ready.wait() }
    for _ in 0..<count { go.signal() }
    done.wait()
    return try results.withLock { all in try (0..<count).map { try all[$0]!.get() } }
}

/// Several `PostgresStore`s, each on its own connection, on one fresh schema: instances sharing a
/// database, as a deployment behind a load balancer runs them.
private final class SharedDatabase: @unchecked Sendable {  // why: immutable after init; each store is thread-safe.
    let schema: PostgresTestSchema
    let stores: [PostgresStore]

    init(instances: Int) throws {
        let schema = try PostgresTestSchema()
        stores = try (0..<instances).map { _ in try schema.store() }
        self.schema = schema
    }
}

@Suite("PostgresStore across instances", .enabled(if: PGTestEnvironment.shouldRun, PGTestEnvironment.skipReason))
struct PostgresStoreTests {
    /// Two instances recording the first callback for one new item at the same moment: exactly one wins the first completion.
    @Test
    func postgresStore_GivesOneFirstCompletion_WhenTwoInstancesRaceOnNewItem() throws {
        for round in 0..<10 {
            let db = try SharedDatabase(instances: 2)
            let itemId = "race-item-\(round)"
            let results = try together(2) { index in
                try db.stores[index].recordCallback(
                    CallbackEvent(itemId: itemId, sessionId: nil, error: nil, receivedAt: 1_000 + Int64(index)))
            }
            let firsts = results.filter { if case .recorded(_, true) = $0 { true } else { false } }
            #expect(firsts.count == 1, "round \(round): \(results)")
            let stored = try #require(try db.stores[0].item(id: itemId))
            #expect(stored.hits == 2)
            #expect(stored.version == 2)
        }
    }

    /// Two instances applying one webhook event id at the same moment: one `.applied`, one `.duplicate`.
    @Test
    func postgresStore_AppliesWebhookOnce_WhenTwoInstancesRaceOnEventId() throws {
        for round in 0..<10 {
            let db = try SharedDatabase(instances: 2)
            let event = WebhookEvent(event: "item/updated", eventId: "race-event-\(round)", itemId: "it-\(round)", receivedAt: 3_000)
            let results = try together(2) { index in try db.stores[index].applyWebhook(event) }
            let applied = results.filter { if case .applied = $0 { true } else { false } }
            let duplicates = results.filter { if case .duplicate = $0 { true } else { false } }
            #expect(applied.count == 1 && duplicates.count == 1, "round \(round): \(results)")
            #expect(try db.stores[1].item(id: "it-\(round)")?.version == 1)
        }
    }

    /// Concurrent hits on one item from several instances all count: N hits give a count of N.
    @Test
    func postgresStore_CountsEveryHit_WhenInstancesHitConcurrently() throws {
        let instances = 4
        let hitsEach = 15
        let db = try SharedDatabase(instances: instances)
        _ = try together(instances) { index in
            for hit in 0..<hitsEach {
                _ = try db.stores[index].recordCallback(
                    CallbackEvent(itemId: "busy-item", sessionId: nil, error: nil, receivedAt: Int64(1_000 + hit)))
            }
        }
        let stored = try #require(try db.stores[0].item(id: "busy-item"))
        #expect(stored.hits == instances * hitsEach)
        #expect(stored.version == Int64(instances * hitsEach))
    }

    /// Concurrent first callbacks on one session (with an item) from two instances: one first completion, both hits counted on both records.
    @Test
    func postgresStore_GivesOneFirstCompletion_WhenTwoInstancesRaceOnSession() throws {
        let db = try SharedDatabase(instances: 2)
        _ = try db.stores[0].createSession(
            NewSession(id: "s-race", clientUserId: nil, returnURL: nil, createdAt: 1_000, expiresAt: 60_000))
        let results = try together(2) { index in
            try db.stores[index].recordCallback(
                CallbackEvent(itemId: "it-race", sessionId: "s-race", error: nil, receivedAt: 2_000 + Int64(index)))
        }
        let firsts = results.filter { if case .recorded(_, true) = $0 { true } else { false } }
        #expect(firsts.count == 1, "\(results)")
        #expect(try db.stores[1].session(id: "s-race")?.hits == 2)
        #expect(try db.stores[1].item(id: "it-race")?.hits == 2)
    }

    /// Creating one session id from two instances at once: one creates it, the other gets `.conflict`.
    @Test
    func postgresStore_CreatesSessionOnce_WhenTwoInstancesRace() throws {
        let db = try SharedDatabase(instances: 2)
        let session = NewSession(id: "s-twice", clientUserId: nil, returnURL: nil, createdAt: 1_000, expiresAt: 60_000)
        let outcomes = try together(2) { index -> StoreError.Kind? in
            do throws(StoreError) {
                _ = try db.stores[index].createSession(session)
                return nil
            } catch {
                return error.kind
            }
        }
        #expect(outcomes.filter { $0 == nil }.count == 1)
        #expect(outcomes.filter { $0 == .conflict }.count == 1)
    }

    /// A second store on a migrated schema migrates nothing and reads what the first wrote.
    @Test
    func postgresStore_SharesRecords_WhenOpenedTwiceOnOneSchema() throws {
        let db = try SharedDatabase(instances: 1)
        _ = try db.stores[0].recordCallback(CallbackEvent(itemId: "it-1", sessionId: nil, error: nil, receivedAt: 1_000))
        let again = try db.schema.store()
        #expect(try again.item(id: "it-1")?.status == .completed)
    }

    /// Lock keys are sorted, unique, and cover every key a commit names (ignored webhooks add none).
    @Test
    func postgresLockKeys_AreSortedAndUnique() {
        let keys = PostgresLockKeys([
            .callback(CallbackEvent(itemId: "it-1", sessionId: "s-1", error: nil, receivedAt: 1)),
            .createSession(NewSession(id: "s-1", clientUserId: nil, returnURL: nil, createdAt: 1, expiresAt: 2)),
            .webhook(WebhookEvent(event: "item/updated", eventId: "ev-1", itemId: "it-1", receivedAt: 1)),
        ]).keys
        #expect(keys == keys.sorted())
        #expect(Set(keys).count == keys.count)
        #expect(Set(keys) == [
            PostgresLockKeys.hash(.item("it-1")), PostgresLockKeys.hash(.session("s-1")),
            PostgresLockKeys.hash(webhookEventId: "ev-1"),
        ])
        #expect(PostgresLockKeys.hash(.item("x")) != PostgresLockKeys.hash(.session("x")))
    }
}
