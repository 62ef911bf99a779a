import Foundation
import Glibc
import LandingCore
import Testing

@testable import LandingIO

// MARK: - Fixtures

private func itemJSON(_ id: String, status: String, executionStatus: String, connector: String = "Banco Teste", error: String = "null") -> String {
    #"{"id":"\#(id)","status":"\#(status)","executionStatus":"\#(executionStatus)","error":\#(error),"connector":{"id":7,"name":"\#(connector)"}}"#
}

private func updated(_ id: String) -> String { itemJSON(id, status: "UPDATED", executionStatus: "SUCCESS") }
private func waiting(_ id: String) -> String { itemJSON(id, status: "UPDATING", executionStatus: "USER_AUTHORIZATION_PENDING") }

/// A 200 answer with `json`, queued ahead of the server's normal answers.
private func scripted(_ json: String) -> FakePluggyServer.Scripted {
    FakePluggyServer.response("200 OK", headers: ["Content-Type: application/json"], body: json)
}

/// A fast, jitter-free schedule: `initial` s, doubling, at most `maximum` s.
private func fastPolicy(_ initial: Double = 0.05, maximum: Double = 0.4) -> PluggyRecheckSchedule.Policy {
    PluggyRecheckSchedule.Policy(initialDelay: initial, multiplier: 2, maximumDelay: maximum, jitter: 0)
}

/// A confirmer over a fresh `MemoryStore`, its client talking to `endpoint` (default: `server`'s)
/// and trusting the test CA. Shut the client down at the end (`defer`), which ends any chain.
private struct Harness {
    let store = MemoryStore()
    let client: PluggyClient
    let confirmer: PluggyConfirmer

    init(
        _ server: FakePluggyServer?, endpoint: HTTPSEndpoint? = nil, horizon: Double = 10, maxTracked: Int = 100,
        policy: PluggyRecheckSchedule.Policy = fastPolicy(), maxConcurrent: Int = 4, maxQueued: Int = 256
    ) throws {
        let configuration = PluggyClient.Configuration(
            endpoint: endpoint ?? server!.endpoint,
            credentials: PluggyCredentials(clientId: server?.clientId ?? "id", clientSecret: server?.clientSecret ?? "secret"),
            maxConcurrentRequests: maxConcurrent, maxQueuedRequests: maxQueued)
        client = PluggyClient(configuration: configuration, http: try testHTTPSClient(totalTimeout: 2))
        confirmer = PluggyConfirmer(client: client, store: InlineStoreAccess(store: store), horizon: horizon, maxTracked: maxTracked, policy: policy)
    }

    func item(_ id: String) -> LandingRecord? { try? store.item(id: id) }
}

/// Polls `condition` every 10 ms until it holds or `timeout` seconds pass; returns whether it held.
@discardableResult
private func eventually(timeout: Double = 3, _ condition: () -> Bool) -> Bool {
    let deadline = Date(timeIntervalSinceNow: timeout)
    while true {
        if condition() { return true }
        if Date() >= deadline { return false }
        usleep(10_000)
    }
}

@Suite struct PluggyConfirmerTests {
    /// An item Pluggy reports UPDATED on the first check is recorded completed, confirmed by the API, with its connector; one request, not followed further.
    @Test func confirmer_RecordsAPIConfirmation_WhenCompletedOnFirstCheck() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        server.setItem("item-1", json: updated("item-1"))
        let harness = try Harness(server)
        defer { harness.client.shutdown() }
        harness.confirmer.itemSeen("item-1")
        #expect(eventually { harness.item("item-1")?.confirmed == true })
        let item = try #require(harness.item("item-1"))
        #expect(item.status == .completed && item.confirmedBy == .api)
        #expect(item.connectorName == "Banco Teste" && item.executionStatus == "SUCCESS")
        #expect(eventually { harness.confirmer.trackedCount == 0 })
        #expect(harness.confirmer.count(.completed) == 1)
        usleep(150_000)
        #expect(server.counts == (auth: 1, items: 1))
    }

    /// An item whose following ended (terminal or unknown to Pluggy) is not asked about again within the quiet period: a refreshed page or a replayed made-up id spends no Pluggy quota.
    @Test func confirmer_DoesNotAskAgain_WithinQuietPeriod() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        server.setItem("item-q", json: updated("item-q"))
        let harness = try Harness(server)
        defer { harness.client.shutdown() }
        harness.confirmer.itemSeen("item-q")
        #expect(eventually { harness.confirmer.trackedCount == 0 && harness.confirmer.count(.completed) == 1 })
        for _ in 0..<5 { harness.confirmer.itemSeen("item-q") }
        harness.confirmer.itemSeen("made-up-q")
        #expect(eventually { harness.confirmer.count(.notFound) == 1 })
        for _ in 0..<5 { harness.confirmer.itemSeen("made-up-q") }
        usleep(150_000)
        #expect(server.counts.items == 2)
        #expect(harness.confirmer.trackedCount == 0)
    }

    /// An item in LOGIN_ERROR is recorded failed with Pluggy's error, confirmed by the API, and counted `failed`.
    @Test func confirmer_RecordsFailure_WhenLoginError() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        let error = #"{"code":"USER_AUTHORIZATION_NOT_GRANTED","message":"Consentimento não concedido"}"#
        server.setItem("item-f", json: itemJSON("item-f", status: "LOGIN_ERROR", executionStatus: "USER_AUTHORIZATION_NOT_GRANTED", error: error))
        let harness = try Harness(server)
        defer { harness.client.shutdown() }
        harness.confirmer.itemSeen("item-f")
        #expect(eventually { harness.item("item-f")?.confirmed == true })
        let item = try #require(harness.item("item-f"))
        #expect(item.status == .failed && item.confirmedBy == .api)
        #expect(item.error == LandingError(code: "USER_AUTHORIZATION_NOT_GRANTED", description: "Consentimento não concedido"))
        #expect(eventually { harness.confirmer.trackedCount == 0 })
        #expect(harness.confirmer.count(.failed) == 1)
    }

    /// Pending, pending, then UPDATED: exactly three item requests, the record ends completed by the API, and nothing is asked afterwards.
    @Test func confirmer_RechecksWhilePending_ThenStops() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        server.scriptItems(scripted(waiting("item-1")), scripted(waiting("item-1")))
        server.setItem("item-1", json: updated("item-1"))
        let harness = try Harness(server)
        defer { harness.client.shutdown() }
        harness.confirmer.itemSeen("item-1")
        #expect(eventually { harness.item("item-1")?.confirmed == true })
        #expect(eventually { harness.confirmer.trackedCount == 0 })
        let item = try #require(harness.item("item-1"))
        #expect(item.status == .completed && item.confirmedBy == .api && item.error == nil)
        #expect(item.executionStatus == "SUCCESS")
        #expect(harness.confirmer.count(.pending) == 2)
        #expect(harness.confirmer.count(.completed) == 1)
        usleep(300_000)  // longer than the next delay would have been (0.2 s)
        #expect(server.counts.items == 3)
    }

    /// The pending answers are recorded as they come: the item exists pending, unconfirmed, with the waiting code before the outcome.
    @Test func confirmer_RecordsPendingDetail_WhileWaiting() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        server.setItem("item-w", json: waiting("item-w"))
        let harness = try Harness(server, policy: fastPolicy(1, maximum: 2))
        defer { harness.client.shutdown() }
        harness.confirmer.itemSeen("item-w")
        #expect(eventually { harness.confirmer.count(.pending) == 1 })
        let item = try #require(harness.item("item-w"))
        #expect(item.status == .pending && !item.confirmed)
        #expect(item.error?.code == "USER_AUTHORIZATION_PENDING")
        #expect(item.executionStatus == "USER_AUTHORIZATION_PENDING" && item.connectorName == "Banco Teste")
        #expect(harness.confirmer.trackedCount == 1)
    }

    /// A 404 records nothing, stops following the item at once and counts one `not_found`.
    @Test func confirmer_DropsItem_WhenPluggyDoesNotKnowIt() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        let harness = try Harness(server)
        defer { harness.client.shutdown() }
        harness.confirmer.itemSeen("made-up-item")
        #expect(eventually { harness.confirmer.count(.notFound) == 1 })
        #expect(harness.confirmer.trackedCount == 0)
        usleep(200_000)
        #expect(server.counts.items == 1)
        #expect(harness.item("made-up-item") == nil)
        #expect(harness.confirmer.count(.unavailable) == 0 && harness.confirmer.count(.pending) == 0)
    }

    /// A 429 with Retry-After: 1 holds the next request back at least ~1 s (not the 0.05 s schedule), then the item is confirmed.
    @Test func confirmer_HonoursRetryAfter_On429() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        server.scriptItems(FakePluggyServer.response("429 Too Many Requests", headers: ["Retry-After: 1"]))
        server.setItem("item-1", json: updated("item-1"))
        let harness = try Harness(server)
        defer { harness.client.shutdown() }
        harness.confirmer.itemSeen("item-1")
        #expect(eventually { harness.item("item-1")?.confirmed == true })
        #expect(harness.confirmer.count(.rateLimited) == 1)
        let arrivals = server.itemRequestArrivals
        try #require(arrivals.count == 2, "\(arrivals)")
        let gap = arrivals[1] - arrivals[0]
        #expect(gap >= 0.9, "the re-check came \(gap) s after the 429")
        #expect(gap < 2, "the re-check came \(gap) s after the 429")
    }

    /// With Pluggy down (port closed), each check counts `unavailable`, the item is re-checked and stays followed, and nothing is recorded.
    @Test func confirmer_RetriesWhileUnavailable() throws {
        let harness = try Harness(nil, endpoint: HTTPSEndpoint(host: "127.0.0.1", port: closedLoopbackPort()))
        defer { harness.client.shutdown() }
        harness.confirmer.itemSeen("item-1")
        #expect(eventually { harness.confirmer.count(.unavailable) >= 3 })
        #expect(harness.confirmer.trackedCount == 1)
        #expect(harness.item("item-1") == nil)
        #expect(harness.confirmer.count(.notFound) == 0)
    }

    /// Seeing an item again while it is followed starts no second chain: one request until the schedule's re-check, nothing skipped.
    @Test func confirmer_FollowsAnItemOnce_WhenSeenAgain() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        server.setItem("item-1", json: waiting("item-1"))
        let harness = try Harness(server, policy: fastPolicy(0.6, maximum: 2))
        defer { harness.client.shutdown() }
        for _ in 0..<3 { harness.confirmer.itemSeen("item-1") }
        #expect(eventually { harness.confirmer.count(.pending) == 1 })
        for _ in 0..<3 { harness.confirmer.itemSeen("item-1") }
        usleep(300_000)
        #expect(server.counts.items == 1)
        #expect(harness.confirmer.trackedCount == 1)
        #expect(harness.confirmer.count(.skipped) == 0)
        #expect(eventually { server.counts.items == 2 })
        usleep(100_000)
        #expect(server.counts.items == 2)
    }

    /// With maxTracked 1, a second item seen while the first is followed is `skipped` (never requested); once the first ends, the slot is free again.
    @Test func confirmer_SkipsItems_BeyondMaxTracked() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        server.setItem("item-a", json: waiting("item-a"))
        server.setItem("item-b", json: updated("item-b"))
        let harness = try Harness(server, maxTracked: 1, policy: fastPolicy(0.5, maximum: 2))
        defer { harness.client.shutdown() }
        harness.confirmer.itemSeen("item-a")
        harness.confirmer.itemSeen("item-b")
        #expect(harness.confirmer.count(.skipped) == 1)
        #expect(eventually { harness.confirmer.count(.pending) == 1 })
        usleep(100_000)
        #expect(server.counts.items == 1)
        #expect(harness.item("item-b") == nil)
        // item-a completes at its re-check; then item-b can be followed.
        server.setItem("item-a", json: updated("item-a"))
        #expect(eventually { harness.item("item-a")?.confirmed == true })
        #expect(eventually { harness.confirmer.trackedCount == 0 })
        harness.confirmer.itemSeen("item-b")
        #expect(eventually { harness.item("item-b")?.confirmed == true })
        #expect(harness.confirmer.count(.skipped) == 1)
    }

    /// Past the horizon (0.3 s) a still-pending item is no longer followed: the checks stop and the record stays pending.
    @Test func confirmer_StopsFollowing_AtTheDeadline() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        server.setItem("item-1", json: waiting("item-1"))
        let harness = try Harness(server, horizon: 0.3)
        defer { harness.client.shutdown() }
        harness.confirmer.itemSeen("item-1")
        #expect(eventually(timeout: 2) { harness.confirmer.trackedCount == 0 })
        let checks = server.counts.items
        // 0, 0.05, 0.15 s; the next (0.35 s) is past the deadline.
        #expect((2...4).contains(checks), "\(checks) checks")
        #expect(harness.confirmer.count(.pending) == checks)
        usleep(400_000)
        #expect(server.counts.items == checks)
        let item = try #require(harness.item("item-1"))
        #expect(item.status == .pending && !item.confirmed)
    }

    /// A momentarily full client queue only delays a check (as documented): every item seen in a burst is confirmed in the end, none counted `not_found`.
    @Test func confirmer_ChecksLater_WhenClientQueueIsFull() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        for id in ["item-a", "item-b", "item-c"] { server.setItem(id, json: updated(id)) }
        server.itemDelay = 0.3
        let harness = try Harness(server, maxConcurrent: 1, maxQueued: 1)
        defer { harness.client.shutdown() }
        for id in ["item-a", "item-b", "item-c"] { harness.confirmer.itemSeen(id) }
        let ids = ["item-a", "item-b", "item-c"]
        eventually(timeout: 2.5) { ids.allSatisfy { harness.item($0)?.confirmed == true } }
        let unconfirmed = ids.filter { harness.item($0)?.confirmed != true }
        #expect(unconfirmed == [], "never confirmed: the confirmer dropped them when the client's queue was full")
        #expect(harness.confirmer.count(.notFound) == 0, "an overloaded client is counted as not_found")
    }
}
