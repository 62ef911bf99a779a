import Foundation
import Testing
@testable import LandingCore

/// Status reads through a service with a `RecordReadCache`: the same answers as a store read.
/// `readsFail` makes every store read fail, so a 200 while it is set came from the cache.
@Suite struct LandingReadCacheTests {
    static let auth = ("Authorization", "Bearer \(LandingHarness.apiKey)")

    /// A record read once is answered from the cache afterwards, with the store's document and ETag.
    @Test func readCache_ServesRepeatedRead_WithoutTheStore() throws {
        let h = LandingHarness(readCache: RecordReadCache(capacity: 16, retention: nil))
        _ = h.send(.get, "/oauth/callback?itemId=rc-1")
        let first = h.send(.get, "/v1/items/rc-1", headers: [Self.auth])
        #expect(first.status.code == 200)
        h.readsFail.value.withLock { $0 = true }
        let cached = h.send(.get, "/v1/items/rc-1", headers: [Self.auth])
        #expect(cached.status.code == 200)
        #expect(cached.body == first.body)
        #expect(cached.headers["ETag"] == first.headers["ETag"])
        #expect(cached.headers["Cache-Control"] == "no-store")
        let etag = try #require(first.headers["ETag"])
        let notModified = h.send(.get, "/v1/items/rc-1", headers: [Self.auth, ("If-None-Match", etag)])
        #expect(notModified.status.code == 304)
        #expect(notModified.headers["ETag"] == etag)
        // Not cached: the store answers (here: fails).
        #expect(h.send(.get, "/v1/items/rc-2", headers: [Self.auth]).status.code == 503)
    }

    /// A write evicts the record before it completes: the next read shows the write.
    @Test func readCache_ReadAfterWrite_SeesTheWrite() throws {
        let h = LandingHarness(readCache: RecordReadCache(capacity: 16, retention: nil))
        _ = h.send(.get, "/oauth/callback?itemId=rc-3")
        #expect(h.send(.get, "/v1/items/rc-3", headers: [Self.auth]).json["callbacks"] as? Int == 1)
        _ = h.send(.get, "/oauth/callback?itemId=rc-3")
        #expect(h.send(.get, "/v1/items/rc-3", headers: [Self.auth]).json["callbacks"] as? Int == 2)
        let id = try #require(h.createSession().id)
        #expect(h.send(.get, "/v1/sessions/\(id)", headers: [Self.auth]).status.code == 200)
        #expect(h.send(.delete, "/v1/sessions/\(id)", headers: [Self.auth]).status.code == 204)
        #expect(h.send(.get, "/v1/sessions/\(id)", headers: [Self.auth]).status.code == 404)
    }

    /// A cached pending session past its TTL reads as expired, with a new ETag, as the store read answers.
    @Test func readCache_PendingSession_ReadsExpired_AfterTTL() throws {
        let h = LandingHarness(readCache: RecordReadCache(capacity: 16, retention: nil))
        let id = try #require(h.createSession(#"{"ttlSeconds": 60}"#).id)
        let before = h.send(.get, "/v1/sessions/\(id)", headers: [Self.auth])
        #expect(before.json["status"] as? String == "pending")
        h.readsFail.value.withLock { $0 = true }
        // Answered from the cache (and rendered there) while still pending.
        #expect(h.send(.get, "/v1/sessions/\(id)", headers: [Self.auth]).json["status"] as? String == "pending")
        h.advance(seconds: 61)
        let after = h.send(.get, "/v1/sessions/\(id)", headers: [Self.auth])
        #expect(after.status.code == 200)
        #expect(after.json["status"] as? String == "expired")
        #expect(after.headers["ETag"] != before.headers["ETag"])
        let etag = try #require(before.headers["ETag"])
        #expect(h.send(.get, "/v1/sessions/\(id)", headers: [Self.auth, ("If-None-Match", etag)]).status.code == 200)
    }

    /// A long-poll never answers from the cache: it reads the store (here: failing, so 503).
    @Test func readCache_LongPoll_ReadsTheStore() throws {
        let h = LandingHarness(readCache: RecordReadCache(capacity: 16, retention: nil))
        _ = h.send(.get, "/oauth/callback?itemId=rc-4")
        #expect(h.send(.get, "/v1/items/rc-4", headers: [Self.auth]).status.code == 200)
        h.readsFail.value.withLock { $0 = true }
        let waiting = h.start(.get, "/v1/items/rc-4", headers: [Self.auth, ("Prefer", "wait=5")])
        #expect(waiting.value.withLock { $0 }?.status.code == 503)
        let noWait = h.send(.get, "/v1/items/rc-4?wait=0", headers: [Self.auth])
        #expect(noWait.status.code == 200)
        #expect(noWait.headers["Preference-Applied"] == "wait=0")
    }
}
