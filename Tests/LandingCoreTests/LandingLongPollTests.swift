import Foundation
import Testing
@testable import LandingCore

@Suite struct LandingLongPollTests {
    static let auth = ("Authorization", "Bearer \(LandingHarness.apiKey)")

    /// Status responses carry an ETag; If-None-Match with it is 304.
    @Test func status_ETagAndNotModified() throws {
        let h = LandingHarness()
        _ = h.send(.get, "/oauth/callback?itemId=e1")
        let first = h.send(.get, "/v1/items/e1", headers: [Self.auth])
        let etag = try #require(first.headers["ETag"])
        #expect(first.headers["Cache-Control"] == "no-store")
        let again = h.send(.get, "/v1/items/e1", headers: [Self.auth, ("If-None-Match", etag)])
        #expect(again.status.code == 304)
        #expect(again.body.isEmpty)
        _ = h.send(.get, "/oauth/callback?itemId=e1")
        #expect(h.send(.get, "/v1/items/e1", headers: [Self.auth, ("If-None-Match", etag)]).status.code == 200)
    }

    /// A long-poll with the current ETag waits, and a callback on the record answers it with the new state.
    @Test func longPoll_WakesOnChange() throws {
        let h = LandingHarness()
        let id = try #require(h.createSession().id)
        let etag = try #require(h.send(.get, "/v1/sessions/\(id)", headers: [Self.auth]).headers["ETag"])
        let waiting = h.start(.get, "/v1/sessions/\(id)", headers: [Self.auth, ("If-None-Match", etag), ("Prefer", "wait=30")])
        #expect(waiting.value.withLock { $0 } == nil)
        #expect(h.service.waiters.count == 1)
        _ = h.send(.get, "/oauth/callback/\(id)?itemId=lp-1")
        let response = try #require(waiting.value.withLock { $0 })
        #expect(response.status.code == 200)
        #expect(response.json["status"] as? String == "completed")
        #expect(response.headers["Preference-Applied"] == "wait=30")
        #expect(h.service.waiters.count == 0)
    }

    /// Without a change, the long-poll answers 304 at its deadline; `?wait=` works like Prefer, capped at 60.
    @Test func longPoll_Answers304AtDeadline() throws {
        let h = LandingHarness()
        let id = try #require(h.createSession().id)
        let etag = try #require(h.send(.get, "/v1/sessions/\(id)", headers: [Self.auth]).headers["ETag"])
        let waiting = h.start(.get, "/v1/sessions/\(id)?wait=999", headers: [Self.auth, ("If-None-Match", etag)])
        h.advance(seconds: 59)
        h.service.waiters.expire(now: h.clock.value.withLock { $0 })
        #expect(waiting.value.withLock { $0 } == nil)
        h.advance(seconds: 1)
        h.service.waiters.expire(now: h.clock.value.withLock { $0 })
        let response = try #require(waiting.value.withLock { $0 })
        #expect(response.status.code == 304)
        #expect(response.headers["Preference-Applied"] == "wait=60")
    }

    /// On shutdown, waiting requests are answered at once with the current state.
    @Test func longPoll_AnswersCurrentStateOnShutdown() throws {
        let h = LandingHarness()
        let id = try #require(h.createSession().id)
        let etag = try #require(h.send(.get, "/v1/sessions/\(id)", headers: [Self.auth]).headers["ETag"])
        let waiting = h.start(.get, "/v1/sessions/\(id)", headers: [Self.auth, ("If-None-Match", etag), ("Prefer", "wait=30")])
        h.service.waiters.shutdownAll()
        let response = try #require(waiting.value.withLock { $0 })
        #expect(response.status.code == 200)
        #expect(response.json["status"] as? String == "pending")
    }

    /// A long-poll on an item that does not exist yet waits for it to be created.
    @Test func longPoll_WaitsForRecordCreation() throws {
        let h = LandingHarness()
        let waiting = h.start(.get, "/v1/items/future-1", headers: [Self.auth, ("Prefer", "wait=10")])
        #expect(waiting.value.withLock { $0 } == nil)
        _ = h.send(.get, "/oauth/callback?itemId=future-1")
        #expect(waiting.value.withLock { $0 }?.status.code == 200)
    }

    /// 1,000 concurrent waiters are each woken by their own callback, and only by it.
    @Test func longPoll_ThousandWaitersWokenByTheirCallbacks() throws {
        let h = LandingHarness()
        var cells: [LandingHarness.Cell<HTTPResponse?>] = []
        for i in 0..<1000 {
            cells.append(h.start(.get, "/v1/items/many-\(i)", headers: [Self.auth, ("Prefer", "wait=60")]))
        }
        #expect(h.service.waiters.count == 1000)
        for i in stride(from: 0, to: 1000, by: 2) { _ = h.send(.get, "/oauth/callback?itemId=many-\(i)") }
        for (i, cell) in cells.enumerated() {
            let done = cell.value.withLock { $0 } != nil
            #expect(done == (i % 2 == 0), "waiter \(i)")
        }
        #expect(h.service.waiters.count == 500)
    }

    /// CORS: a configured origin gets a preflight and response headers; others get none (403 preflight).
    @Test func cors_OnlyForConfiguredOrigins() {
        let h = LandingHarness(corsOrigins: ["https://app.example.com"])
        let pre = h.send(.options, "/v1/sessions", headers: [("Origin", "https://app.example.com"), ("Access-Control-Request-Method", "POST")])
        #expect(pre.status.code == 204)
        #expect(pre.headers["Access-Control-Allow-Origin"] == "https://app.example.com")
        #expect(pre.headers["Access-Control-Allow-Headers"]?.contains("Authorization") == true)
        let bad = h.send(.options, "/v1/sessions", headers: [("Origin", "https://evil.example")])
        #expect(bad.status.code == 403)
        #expect(bad.headers["Access-Control-Allow-Origin"] == nil)
        let r = h.send(.get, "/v1/items/none", headers: [Self.auth, ("Origin", "https://app.example.com")])
        #expect(r.headers["Access-Control-Allow-Origin"] == "https://app.example.com")
        #expect(LandingHarness().send(.get, "/v1/items/none", headers: [Self.auth, ("Origin", "https://app.example.com")]).headers["Access-Control-Allow-Origin"] == nil)
    }
}
