import Foundation
import Glibc
import LandingCore
import Synchronization
import Testing
@testable import LandingIO

/// A monotonic clock the test moves by hand.
final class ManualClock: Sendable {
    private let seconds = Mutex(1000.0)
    func now() -> Double { seconds.withLock { $0 } }
    func advance(_ delta: Double) { seconds.withLock { $0 += delta } }
}

/// A Pluggy client for `server`, trusting the test CA.
private func makeClient(
    _ server: FakePluggyServer, secret: String? = nil, clock: ManualClock? = nil, wallClock: (@Sendable () -> Int)? = nil,
    maxConcurrent: Int = 4, maxQueued: Int = 256, totalTimeout: Double = 5
) throws -> PluggyClient {
    let configuration = PluggyClient.Configuration(
        endpoint: server.endpoint, credentials: PluggyCredentials(clientId: server.clientId, clientSecret: secret ?? server.clientSecret),
        maxConcurrentRequests: maxConcurrent, maxQueuedRequests: maxQueued)
    var now: (@Sendable () -> Double)?
    if let clock { now = { clock.now() } }
    return PluggyClient(configuration: configuration, http: try testHTTPSClient(totalTimeout: totalTimeout), now: now, wallClock: wallClock)
}

private let updatedItem = #"{"id":"item-1","status":"UPDATED","executionStatus":"SUCCESS","error":null,"connector":{"id":1,"name":"Nubank"}}"#

@Suite struct PluggyClientTests {
    /// One POST /auth serves many item requests: the key is cached.
    @Test func pluggyClient_CachesTheAPIKey() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        server.setItem("item-1", json: updatedItem)
        let client = try makeClient(server)
        defer { client.shutdown() }
        #expect(throws: Never.self) { try client.authenticate().get() }
        for _ in 0..<5 {
            let item = try client.item(id: "item-1").get()
            #expect(item.state == .completed)
            #expect(item.connectorName == "Nubank")
        }
        #expect(server.counts == (auth: 1, items: 5))
    }

    /// At 1 h 50 min the key is refreshed (one more POST /auth), and after that the new key is used.
    @Test func pluggyClient_RefreshesTheKey_BeforeExpiry() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        server.setItem("item-1", json: updatedItem)
        let clock = ManualClock()
        let client = try makeClient(server, clock: clock)
        defer { client.shutdown() }
        _ = try client.item(id: "item-1").get()
        clock.advance(6000)
        _ = try client.item(id: "item-1").get()
        #expect(server.counts.auth == 1)
        clock.advance(700)
        _ = try client.item(id: "item-1").get()
        _ = try client.item(id: "item-1").get()
        #expect(server.counts == (auth: 2, items: 4))
        clock.advance(3 * 3600)
        _ = try client.item(id: "item-1").get()
        #expect(server.counts == (auth: 3, items: 5))
    }

    /// A 401 on an item forgets the key, authenticates again and retries once, successfully.
    @Test func pluggyClient_RetriesOnce_AfterA401() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        server.setItem("item-1", json: updatedItem)
        let client = try makeClient(server)
        defer { client.shutdown() }
        _ = try client.item(id: "item-1").get()
        server.revokeAllKeys()
        #expect(try client.item(id: "item-1").get().state == .completed)
        #expect(server.counts == (auth: 2, items: 3))
    }

    /// A 401 that persists with a fresh key ends as `.unauthorized` after exactly one retry.
    @Test func pluggyClient_GivesUp_WhenThe401Persists() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        let client = try makeClient(server)
        defer { client.shutdown() }
        server.scriptItems(FakePluggyServer.response("401 Unauthorized"), FakePluggyServer.response("401 Unauthorized"))
        #expect(client.item(id: "item-1") == .failure(.unauthorized))
        #expect(server.counts == (auth: 2, items: 2))
    }

    /// A 429's Retry-After reaches the caller, in seconds, from delay-seconds or an HTTP-date.
    @Test func pluggyClient_SurfacesRetryAfter_On429() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        let now = 1_700_000_000
        let client = try makeClient(server, wallClock: { now })
        defer { client.shutdown() }
        server.scriptItems(
            FakePluggyServer.response("429 Too Many Requests", headers: ["Retry-After: 17"]),
            FakePluggyServer.response("429 Too Many Requests", headers: ["Retry-After: \(HTTPDate.imfFixdate(epochSeconds: now + 42))"]),
            FakePluggyServer.response("429 Too Many Requests"))
        #expect(client.item(id: "item-1") == .failure(.rateLimited(retryAfter: 17)))
        #expect(client.item(id: "item-1") == .failure(.rateLimited(retryAfter: 42)))
        #expect(client.item(id: "item-1") == .failure(.rateLimited(retryAfter: nil)))
    }

    /// Items in each kind of state come back mapped: completed, failed with Pluggy's error, pending with the waiting code.
    @Test func pluggyClient_MapsItemStates() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        server.setItem("ok", json: #"{"id":"ok","status":"UPDATED","executionStatus":"SUCCESS"}"#)
        server.setItem("denied", json: #"{"id":"denied","status":"LOGIN_ERROR","executionStatus":"USER_AUTHORIZATION_NOT_GRANTED","error":{"code":"USER_AUTHORIZATION_NOT_GRANTED","message":"Consentimento não concedido"},"connector":{"name":"Itaú"}}"#)
        server.setItem("waiting", json: #"{"id":"waiting","status":"UPDATING","executionStatus":"USER_AUTHORIZATION_PENDING","error":null}"#)
        let client = try makeClient(server)
        defer { client.shutdown() }
        #expect(try client.item(id: "ok").get().state == .completed)
        let denied = try client.item(id: "denied").get()
        #expect(denied.state == .failed(LandingError(code: "USER_AUTHORIZATION_NOT_GRANTED", description: "Consentimento não concedido")))
        #expect(denied.connectorName == "Itaú")
        let waiting = try client.item(id: "waiting").get()
        #expect(waiting.state == .pending(detail: LandingError(code: "USER_AUTHORIZATION_PENDING", description: nil)))
        #expect(waiting.executionStatus == "USER_AUTHORIZATION_PENDING")
        #expect(client.item(id: "unknown") == .failure(.itemNotFound))
    }

    /// Bad answers are values: malformed JSON, another item's id, an unexpected status, an invalid id (nothing sent).
    @Test func pluggyClient_ReportsBadAnswers() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        let client = try makeClient(server)
        defer { client.shutdown() }
        server.scriptItems(
            FakePluggyServer.response("200 OK", body: "{not json"),
            FakePluggyServer.response("200 OK", body: #"{"id":"other","status":"UPDATED"}"#),
            FakePluggyServer.response("503 Service Unavailable"))
        #expect(client.item(id: "item-1") == .failure(.invalidResponse(.invalidJSON)))
        #expect(client.item(id: "item-1") == .failure(.itemMismatch))
        #expect(client.item(id: "item-1") == .failure(.unexpectedStatus(503)))
        #expect(client.item(id: "../auth") == .failure(.invalidItemId))
        #expect(server.counts.items == 3)
    }

    /// Wrong credentials are `.authenticationRejected`; the next call within the cooldown does not hit /auth again.
    @Test func pluggyClient_ReportsRejectedCredentials_AndCoolsDown() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        let client = try makeClient(server, secret: "wrong", clock: ManualClock())
        defer { client.shutdown() }
        #expect(client.item(id: "item-1") == .failure(.authenticationRejected(status: 401)))
        guard case .failure(.authenticationUnavailable(let retryAfter?)) = client.item(id: "item-1") else {
            Issue.record("expected authenticationUnavailable")
            return
        }
        #expect(retryAfter > 0 && retryAfter <= 5)
        #expect(server.counts == (auth: 1, items: 0))
    }

    /// A 429 on /auth is surfaced with its Retry-After and blocks /auth for that long.
    @Test func pluggyClient_HonoursRetryAfter_OnAuth() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        let client = try makeClient(server, clock: ManualClock())
        defer { client.shutdown() }
        server.scriptAuth(FakePluggyServer.response("429 Too Many Requests", headers: ["Retry-After: 60"]))
        #expect(client.authenticate().failure == .rateLimited(retryAfter: 60))
        #expect(client.authenticate().failure == .authenticationUnavailable(retryAfter: 60))
        #expect(server.counts.auth == 1)
    }

    /// With Pluggy down, calls fail fast with a transport error, never a crash or a hang.
    @Test func pluggyClient_ReportsOutage_Quickly() throws {
        let configuration = PluggyClient.Configuration(
            endpoint: HTTPSEndpoint(host: "127.0.0.1", port: closedLoopbackPort()), credentials: PluggyCredentials(clientId: "a", clientSecret: "b"))
        let client = PluggyClient(configuration: configuration, http: try testHTTPSClient())
        defer { client.shutdown() }
        let start = Date()
        #expect(client.item(id: "item-1") == .failure(.transport(.connect(SystemError(call: "connect", errno: ECONNREFUSED)))))
        #expect(Date().timeIntervalSince(start) < 1)
    }

    /// Many concurrent callbacks share one POST /auth and never exceed `maxConcurrentRequests` exchanges at once.
    @Test func pluggyClient_BoundsConcurrency_AndSharesOneAuth() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        server.setItem("item-1", json: updatedItem)
        server.itemDelay = 0.05
        let client = try makeClient(server, maxConcurrent: 3)
        defer { client.shutdown() }
        let results = Mutex<[Result<PluggyItem, PluggyClientError>]>([])
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<20 {
            client.item(id: "item-1") { result in
                results.withLock { $0.append(result) }
                done.signal()
            }
        }
        for _ in 0..<20 { #expect(done.wait(timeout: .now() + 10) == .success) }
        #expect(results.withLock { $0.allSatisfy { (try? $0.get())?.state == .completed } })
        #expect(server.counts == (auth: 1, items: 20))
        #expect(server.observedMaxInFlight <= 3)
        #expect(server.observedMaxInFlight >= 2)
    }

    /// A full queue refuses new calls at once with `.overloaded`; a shut-down client with `.shutDown`.
    @Test func pluggyClient_RefusesWork_WhenOverloadedOrShutDown() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        server.scriptAuth(.silence(1))
        let client = try makeClient(server, maxConcurrent: 1, maxQueued: 1, totalTimeout: 0.5)
        let results = Mutex<[PluggyClientError?]>([])
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<3 {
            client.authenticate { result in
                results.withLock { $0.append(result.failure) }
                done.signal()
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        for _ in 0..<3 { #expect(done.wait(timeout: .now() + 5) == .success) }
        #expect(results.withLock { $0.contains(.overloaded) })
        client.shutdown()
        let refused = Mutex<PluggyClientError?>(nil)
        client.authenticate { result in refused.withLock { $0 = result.failure } }
        #expect(refused.withLock { $0 } == .shutDown)
    }

    /// The client secret never shows in descriptions or dumps of the credentials.
    @Test func pluggyCredentials_NeverShowTheSecret() {
        let credentials = PluggyCredentials(clientId: "id", clientSecret: "very-secret")
        var dumped = ""
        dump(credentials, to: &dumped)
        for text in [credentials.description, credentials.debugDescription, "\(credentials)", String(reflecting: credentials), dumped] {
            #expect(!text.contains("very-secret"))
        }
    }
}

extension Result {
    /// The error, when this is a failure.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
