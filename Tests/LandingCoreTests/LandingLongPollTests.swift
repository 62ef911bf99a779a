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

    /// Without a change, the long-poll answers 304 when its connection fires the timer it asked for
    /// (the wait, capped at 60 s); `?wait=` works like Prefer.
    @Test func longPoll_Answers304AtDeadline() throws {
        let h = LandingHarness()
        let id = try #require(h.createSession().id)
        let etag = try #require(h.send(.get, "/v1/sessions/\(id)", headers: [Self.auth]).headers["ETag"])
        let (waiting, lifetime) = h.startWithLifetime(.get, "/v1/sessions/\(id)?wait=999", headers: [Self.auth, ("If-None-Match", etag)])
        #expect(lifetime.timerDelay == 60)
        #expect(waiting.value.withLock { $0 } == nil)
        lifetime.fireTimer()
        let response = try #require(waiting.value.withLock { $0 })
        #expect(response.status.code == 304)
        #expect(response.headers["Preference-Applied"] == "wait=60")
        #expect(h.service.waiters.count == 0)
    }

    /// A long-poll whose client left is cancelled: its waiter is gone at once and nothing is answered.
    @Test func longPoll_CancelRemovesWaiter() throws {
        let h = LandingHarness()
        let (waiting, lifetime) = h.startWithLifetime(.get, "/v1/items/gone-1", headers: [Self.auth, ("Prefer", "wait=60")])
        #expect(h.service.waiters.count == 1)
        lifetime.cancel()
        #expect(h.service.waiters.count == 0)
        _ = h.send(.get, "/oauth/callback?itemId=gone-1")
        lifetime.fireTimer()
        #expect(waiting.value.withLock { $0 } == nil)
    }

    /// A waiter woken to re-read while the store is unavailable keeps waiting (no 503), and answers once a later change reads fine.
    @Test func longPoll_KeepsWaiting_WhenRereadFindsStoreUnavailable() throws {
        let h = LandingHarness()
        let (waiting, lifetime) = h.startWithLifetime(.get, "/v1/items/flaky-1", headers: [Self.auth, ("Prefer", "wait=30")])
        #expect(h.service.waiters.count == 1)
        h.readsFail.value.withLock { $0 = true }
        h.service.waiters.notifyAll()  // the listener reconnected: every waiter re-reads
        #expect(waiting.value.withLock { $0 } == nil, "a re-read failure must not answer the long-poll")
        #expect(h.service.waiters.count == 1)
        h.readsFail.value.withLock { $0 = false }
        _ = h.send(.get, "/oauth/callback?itemId=flaky-1")
        let response = try #require(waiting.value.withLock { $0 })
        #expect(response.status.code == 200)
        #expect(response.json["status"] as? String == "completed")
        _ = lifetime
    }

    /// The first read of a long-poll failing answers 503 at once (the client learns the store is down).
    @Test func longPoll_Answers503_WhenFirstReadFindsStoreUnavailable() throws {
        let h = LandingHarness()
        h.readsFail.value.withLock { $0 = true }
        let response = h.send(.get, "/v1/items/flaky-2", headers: [Self.auth, ("Prefer", "wait=30")])
        #expect(response.status.code == 503)
        #expect(response.headers["Retry-After"] != nil)
        #expect(h.service.waiters.count == 0)
    }

    /// The timer firing while the record is being read (before the wait registers) still ends the wait.
    @Test func longPoll_TimeoutBeforeRegistrationStillAnswers() throws {
        let h = LandingHarness()
        let waiters = h.service.waiters
        let ticket = try #require(try? waiters.reserve(owner: "k").get())
        waiters.timeOut(ticket)
        let woken = LandingHarness.Cell<RecordWaiters.Wake?>(nil)
        waiters.wait(ticket, for: .item("x")) { wake in woken.value.withLock { $0 = wake } }
        #expect(woken.value.withLock { $0 } == .timedOut)
        waiters.release(ticket)
        #expect(waiters.count == 0)
    }

    /// Beyond --max-waiters-per-key a long-poll gets 503 JSON with Retry-After, and another key still waits.
    @Test func longPoll_PerKeyCapAnswers503() throws {
        let h = LandingHarness(waiterLimits: RecordWaiters.Limits(maxTotal: 3, maxPerOwner: 2))
        _ = h.start(.get, "/v1/items/cap-1", headers: [Self.auth, ("Prefer", "wait=60")])
        _ = h.start(.get, "/v1/items/cap-2", headers: [Self.auth, ("Prefer", "wait=60")])
        let refused = try #require(h.start(.get, "/v1/items/cap-3", headers: [Self.auth, ("Prefer", "wait=60")]).value.withLock { $0 })
        #expect(refused.status.code == 503)
        #expect(refused.headers["Retry-After"] == "5")
        #expect(refused.json["error"] as? String == "too_many_waiters")
        #expect(h.service.waiters.count == 2)
        // A plain read (no wait) is never refused.
        #expect(h.send(.get, "/v1/items/cap-3", headers: [Self.auth]).status.code == 404)
    }

    /// The total cap counts every key's waiters; answered long-polls give their place back.
    @Test func longPoll_TotalCapAndRelease() throws {
        let waiters = RecordWaiters(limits: RecordWaiters.Limits(maxTotal: 2, maxPerOwner: 0))
        let a = try waiters.reserve(owner: "a").get()
        _ = try waiters.reserve(owner: "b").get()
        #expect(waiters.reserve(owner: "c") == .failure(.tooManyInTotal))
        waiters.release(a)
        #expect((try? waiters.reserve(owner: "c").get()) != nil)
        #expect(waiters.count(owner: "a") == 0)
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
