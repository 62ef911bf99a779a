import Testing
@testable import LandingCore

@Suite struct RecordReadCacheTests {
    static func item(_ id: String, version: Int64, hits: Int = 1, updatedAt: Int64 = 1_000) -> LandingRecord {
        LandingRecord(key: .item(id), itemId: id, status: .completed, hits: hits, createdAt: 1_000, updatedAt: updatedAt, version: version)
    }

    /// A filled record is returned as filled; an unknown key is a miss.
    @Test func readCache_ReturnsFilledRecord_AndMissesOthers() {
        let cache = RecordReadCache(capacity: 4, retention: nil)
        cache.fill(Self.item("a", version: 2, hits: 7), generation: cache.generation)
        #expect(cache.record(.item("a"), now: 5_000) == Self.item("a", version: 2, hits: 7))
        #expect(cache.record(.item("b"), now: 5_000) == nil)
        #expect(cache.record(.session("a"), now: 5_000) == nil)
    }

    /// Never more than `capacity` entries: a new key evicts the oldest filled, a refill keeps its place.
    @Test func readCache_StaysWithinCapacity_EvictingOldestFilled() {
        let cache = RecordReadCache(capacity: 3, retention: nil)
        for id in ["a", "b", "c"] { cache.fill(Self.item(id, version: 1), generation: cache.generation) }
        cache.fill(Self.item("a", version: 2), generation: cache.generation)  // a refill: no eviction
        #expect(cache.count == 3)
        cache.fill(Self.item("d", version: 1), generation: cache.generation)
        #expect(cache.count == 3)
        #expect(cache.record(.item("a"), now: 0) == nil)
        #expect(cache.record(.item("b"), now: 0) != nil)
        #expect(cache.record(.item("d"), now: 0) != nil)
        for i in 0..<100 { cache.fill(Self.item("x\(i)", version: 1), generation: cache.generation) }
        #expect(cache.count == 3)
        #expect(cache.record(.item("x99"), now: 0) != nil && cache.record(.item("x96"), now: 0) == nil)
    }

    /// An entry evicted by a change leaves its ring slot stale: later fills never evict the wrong key.
    @Test func readCache_StaleSlot_DoesNotEvictLaterEntry() {
        let cache = RecordReadCache(capacity: 2, retention: nil)
        cache.fill(Self.item("a", version: 1), generation: cache.generation)
        cache.apply([RecordChange(key: .item("a"), version: 2)])
        cache.fill(Self.item("b", version: 1), generation: cache.generation)
        cache.fill(Self.item("c", version: 1), generation: cache.generation)
        #expect(cache.count == 2)
        #expect(cache.record(.item("b"), now: 0) != nil && cache.record(.item("c"), now: 0) != nil)
    }

    /// A fill never replaces a newer cached version with an older one.
    @Test func readCache_Fill_KeepsNewerVersion() {
        let cache = RecordReadCache(capacity: 4, retention: nil)
        cache.fill(Self.item("a", version: 5, hits: 5), generation: cache.generation)
        cache.fill(Self.item("a", version: 4, hits: 4), generation: cache.generation)
        #expect(cache.record(.item("a"), now: 0)?.version == 5)
        cache.fill(Self.item("a", version: 6, hits: 6), generation: cache.generation)
        #expect(cache.record(.item("a"), now: 0)?.hits == 6)
    }

    /// A change (commit or notice) naming a newer version evicts; so does an older one (a record's new life restarts at 1).
    @Test func readCache_Change_EvictsWhateverItsVersion() {
        let cache = RecordReadCache(capacity: 4, retention: nil)
        cache.fill(Self.item("a", version: 3), generation: cache.generation)
        cache.fill(Self.item("b", version: 3), generation: cache.generation)
        cache.fill(Self.item("c", version: 3), generation: cache.generation)
        cache.apply([RecordChange(key: .item("a"), version: 4), RecordChange(key: .item("b"), version: 1)])
        #expect(cache.record(.item("a"), now: 0) == nil)
        #expect(cache.record(.item("b"), now: 0) == nil)
        #expect(cache.record(.item("c"), now: 0)?.version == 3)
        #expect(cache.count == 1)
    }

    /// A read that started before a change may hold the older state: its fill is refused.
    @Test func readCache_FillAfterChange_IsRefused() {
        let cache = RecordReadCache(capacity: 4, retention: nil)
        let before = cache.generation
        cache.apply([RecordChange(key: .item("a"), version: 2)])
        cache.fill(Self.item("a", version: 1), generation: before)
        #expect(cache.record(.item("a"), now: 0) == nil)
        cache.fill(Self.item("a", version: 2), generation: cache.generation)
        #expect(cache.record(.item("a"), now: 0)?.version == 2)
    }

    /// After a reconnect of the change feed everything is dropped, and reads that started before are not filled.
    @Test func readCache_DropAll_ForgetsEverything() {
        let cache = RecordReadCache(capacity: 4, retention: nil)
        for id in ["a", "b"] { cache.fill(Self.item(id, version: 1), generation: cache.generation) }
        let before = cache.generation
        cache.dropAll()
        #expect(cache.count == 0)
        #expect(cache.record(.item("a"), now: 0) == nil)
        cache.fill(Self.item("a", version: 1), generation: before)
        #expect(cache.count == 0)
        for id in ["c", "d", "e", "f", "g"] { cache.fill(Self.item(id, version: 1), generation: cache.generation) }
        #expect(cache.count == 4)
    }

    /// A cached pending session past its expiry reads as expired, as the store read would (the status is computed at read time).
    @Test func readCache_PendingSession_ReadsExpiredAfterExpiresAt() {
        let cache = RecordReadCache(capacity: 4, retention: nil)
        let session = LandingRecord(key: .session("s"), sessionId: "s", status: .pending, createdAt: 0, updatedAt: 0, expiresAt: 10_000, version: 1)
        cache.fill(session, generation: cache.generation)
        let early = try! #require(cache.record(.session("s"), now: 9_999))
        let late = try! #require(cache.record(.session("s"), now: 10_000))
        #expect(early.effectiveStatus(now: 9_999) == .pending)
        #expect(late.effectiveStatus(now: 10_000) == .expired)
        #expect(StatusDocument.etag(of: early, now: 9_999) != StatusDocument.etag(of: late, now: 10_000))
    }

    /// A record the retention purge may already have removed is not served (the store decides).
    @Test func readCache_RecordPastRetention_IsAMiss() {
        let cache = RecordReadCache(capacity: 4, retention: 60)
        cache.fill(Self.item("a", version: 1, updatedAt: 100_000), generation: cache.generation)
        #expect(cache.record(.item("a"), now: 160_000) != nil)
        #expect(cache.record(.item("a"), now: 160_001) == nil)
    }

    /// A rendering is made once per record and effective status: reused while both hold, remade when the session expires or a new version is filled.
    @Test func readCache_Rendered_ReusedUntilStatusOrRecordChanges() {
        let cache = RecordReadCache(capacity: 4, retention: nil)
        var session = LandingRecord(key: .session("s"), sessionId: "s", status: .pending, createdAt: 0, updatedAt: 0, expiresAt: 10_000, version: 1)
        cache.fill(session, generation: cache.generation)
        var renders: [(Int64, LandingStatus)] = []
        func render(_ now: Int64) -> RecordReadCache.Rendered? {
            cache.rendered(.session("s"), now: now) { record, status in
                renders.append((record.version, status))
                return RecordReadCache.Rendered(
                    status: status, etag: "\(record.version)-\(status)", full: HTTPResponse(status: .ok), notModified: HTTPResponse(status: .notModified))
            }
        }
        #expect(render(1)?.etag == "1-pending")
        #expect(render(2)?.etag == "1-pending")
        #expect(renders.count == 1)
        #expect(render(10_000)?.etag == "1-expired")
        #expect(renders.count == 2)
        session.version = 2
        session.status = .completed
        cache.fill(session, generation: cache.generation)
        #expect(render(10_001)?.etag == "2-completed")
        #expect(renders.count == 3)
        #expect(cache.rendered(.session("other"), now: 0) { _, _ in fatalError("not cached") } == nil)
    }
}
