import Dispatch
import Foundation
import Glibc
import LandingCore
import Testing

@testable import LandingIO

/// Several real `oauth-landing` processes on one PostgreSQL database (`serve --store postgres://…`):
/// long-polls woken across instances by LISTEN/NOTIFY, webhooks and first callbacks racing on two
/// instances, an instance SIGKILLed under load, a database restart, and `--drain-delay`. Each test
/// has a schema of its own in the test database (the test role may not create databases), except
/// the restart test, which starts a PostgreSQL server of its own.
// why .serialized: the kill and restart tests measure recovery times; a load test running next to
// them on a 2-core machine would only add noise.
@Suite(.serialized, .enabled(if: PGTestEnvironment.shouldRun, PGTestEnvironment.skipReason))
struct EndToEndPostgresTests {
    static let auth = "Authorization: Bearer \(ServerProcess.apiKey)"

    // MARK: - Helpers

    /// A callback on `server` (`/oauth/callback?query`) through curl.
    static func callback(_ server: ServerProcess, _ query: String) throws -> E2EResponse {
        try LandingE2E.get(server, "/oauth/callback?" + query)
    }

    /// The `status` the landing page shows.
    static func pageStatus(_ response: E2EResponse) -> String? {
        (try? LandingE2E.pageData(response))?["status"] as? String
    }

    /// `GET /v1/items/{id}` on `server`: the response and its JSON (empty for a non-JSON body).
    static func item(_ server: ServerProcess, _ id: String, headers: [String] = []) throws -> (E2EResponse, [String: Any]) {
        let response = try LandingE2E.api(server, "GET", "/v1/items/\(id)", headers: headers)
        return (response, (try? LandingE2E.json(response)) ?? [:])
    }

    /// A webhook body (the format of `EndToEndWebhookTests.payload`).
    static func webhookBody(_ event: String, eventId: String, itemId: String, extra: String = "") -> String {
        EndToEndWebhookTests.payload(event, id: eventId, item: itemId, extra: extra)
    }

    /// POSTs a webhook to `server` through curl.
    static func postWebhook(_ server: ServerProcess, _ body: String) throws -> E2EResponse {
        try Curl.fetch(
            server.baseURL + "/webhooks/pluggy",
            [
                "-X", "POST", "-H", "Content-Type: application/json", "-H", "X-Webhook-Secret: \(PostgresServerPair.webhookSecret)",
                "--data-binary", body,
            ]
        ).response
    }

    /// The raw request of a webhook POST.
    static func rawWebhook(_ body: String) -> String {
        "POST /webhooks/pluggy HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            + "X-Webhook-Secret: \(PostgresServerPair.webhookSecret)\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
    }

    /// `/readyz` on `server` as "status body" ("200 ready", "503 draining").
    static func readyz(_ server: ServerProcess) -> String {
        guard let response = try? LandingE2E.get(server, "/readyz") else { return "no response" }
        return "\(response.status) \(response.bodyText.trimmingCharacters(in: .whitespacesAndNewlines))"
    }

    /// Polls `/readyz` until it answers `expected` ("503 draining"); the seconds it took, nil after `timeout`.
    static func waitForReadyz(_ server: ServerProcess, _ expected: String, timeout: Double) -> Double? {
        let started = Date()
        while Date().timeIntervalSince(started) < timeout {
            if readyz(server) == expected { return Date().timeIntervalSince(started) }
            usleep(50_000)
        }
        return nil
    }

    /// One sample of `server`'s `/metrics` (the series as written, e.g. `landing_store_available`),
    /// from its metrics listener (started with `ServerProcess.metricsListen`).
    static func metric(_ server: ServerProcess, _ series: String) throws -> Double? {
        try EndToEndMetricsTests.scrape(try server.metricsURL)[series]
    }

    /// Sends each request on its own connection to its port, all connected first and then released
    /// together (so the two instances' transactions overlap); the responses, in order.
    static func simultaneously(_ sends: [(port: UInt16, request: String)], timeout: Double = 15) throws -> [E2EResponse] {
        let results = E2ELocked<[Int: Result<E2EResponse, any Error>]>([:])
        let ready = DispatchSemaphore(value: 0)
        let go = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for (index, send) in sends.enumerated() {
            done.enter()
            DispatchQueue.global().async {
                defer { done.leave() }
                let client: RawTLSClient
                do {
                    client = try RawTLSClient(port: send.port)
                } catch {
                    results.withLock { $0[index] = .failure(error) }
                    ready.signal()
                    return
                }
                ready.signal()
                go.wait()
                let result = Result { () throws -> E2EResponse in
                    try client.send(send.request)
                    return try client.readResponse(timeout: timeout)
                }
                results.withLock { $0[index] = result }
            }
        }
        for _ in sends { ready.wait() }
        for _ in sends { go.signal() }
        done.wait()
        return try results.withLock { all in try (0..<sends.count).map { try all[$0]!.get() } }
    }

    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    // MARK: - Across instances

    /// A long-poll on B is answered with the new record within moments of a callback on A (NOTIFY), and the other way round.
    @Test func endToEndPostgres_LongPollOnB_WakesOnCallbackOnA() throws {
        let pair = try PostgresServerPair(arguments: ServerProcess.metricsListen)
        defer { pair.stop() }
        let id = LandingE2E.uniqueItemId("pg-lp")
        let notificationsBefore = try Self.metric(pair.b, "landing_store_notifications_received_total") ?? 0

        // The item does not exist yet: B's long-poll waits for it to be created.
        let waiter = try RawTLSClient(port: pair.b.port)
        try waiter.send(Request.get("/v1/items/\(id)", [Self.auth, "Prefer: wait=20"]))
        #expect(waiter.staysOpen(for: 0.5), "B closed the long-poll")
        #expect(waiter.takeBufferedResponse() == nil, "B answered before the item existed")
        let page = try Self.callback(pair.a, "itemId=\(id)")
        #expect(page.status == 200, "\(page)")
        let calledAt = Date()
        let response = try waiter.readResponse(timeout: 20)
        let latency = Date().timeIntervalSince(calledAt)
        print("EndToEndPostgresTests: B's long-poll answered \(Int(latency * 1000)) ms after A's callback page")
        #expect(response.status == 200, "\(response)")
        #expect(latency < 5, "B's long-poll took \(latency) s after the callback on A (its wait was 20 s)")
        #expect(response.header("Preference-Applied") == "wait=20")
        let record = try LandingE2E.json(response)
        #expect(record["itemId"] as? String == id)
        #expect(record["status"] as? String == "completed", "\(record)")
        #expect(record["callbacks"] as? Int == 1, "\(record)")
        let etag = try #require(response.header("ETag"))
        let notificationsAfter = try Self.metric(pair.b, "landing_store_notifications_received_total") ?? 0
        #expect(notificationsAfter > notificationsBefore, "B counted no notification")

        // The other way: A waits on the ETag B just gave, a refresh on B wakes it.
        let reverse = try RawTLSClient(port: pair.a.port)
        try reverse.send(Request.get("/v1/items/\(id)", [Self.auth, "If-None-Match: \(etag)", "Prefer: wait=20"]))
        #expect(reverse.staysOpen(for: 0.3))
        #expect(reverse.takeBufferedResponse() == nil, "A answered an unchanged record")
        #expect(try Self.callback(pair.b, "itemId=\(id)").status == 200)
        let refreshedAt = Date()
        let second = try reverse.readResponse(timeout: 20)
        #expect(Date().timeIntervalSince(refreshedAt) < 5)
        #expect(second.status == 200, "\(second)")
        #expect(second.header("ETag") != etag)
        #expect(try LandingE2E.json(second)["callbacks"] as? Int == 2)
    }

    /// A webhook posted to B changes what A's status API returns (status, confirmation, error, ETag).
    @Test func endToEndPostgres_WebhookOnB_ChangesStatusOnA() throws {
        let pair = try PostgresServerPair()
        defer { pair.stop() }
        let id = LandingE2E.uniqueItemId("pg-wh")
        #expect(try Self.callback(pair.a, "itemId=\(id)").status == 200)
        let (before, beforeRecord) = try Self.item(pair.a, id)
        #expect(before.status == 200, "\(before)")
        #expect(beforeRecord["status"] as? String == "completed")
        #expect(beforeRecord["confirmed"] as? Bool == false)
        let etag = try #require(before.header("ETag"))

        let body = Self.webhookBody(
            "item/error", eventId: UUID().uuidString, itemId: id,
            extra: "\"error\": {\"code\": \"INVALID_CREDENTIALS\", \"message\": \"Wrong password\"}")
        let webhook = try Self.postWebhook(pair.b, body)
        #expect(webhook.status == 200, "\(webhook)")
        #expect((try? LandingE2E.json(webhook))?["status"] as? String == "applied")

        let (after, record) = try Self.item(pair.a, id, headers: ["If-None-Match: \(etag)"])
        #expect(after.status == 200, "A still matches the old ETag: \(after)")
        #expect(after.header("ETag") != etag)
        #expect(record["status"] as? String == "failed", "\(record)")
        #expect(record["confirmed"] as? Bool == true, "\(record)")
        let error = record["error"] as? [String: Any]
        #expect(error?["code"] as? String == "INVALID_CREDENTIALS", "\(record)")
        #expect(error?["description"] as? String == "Wrong password", "\(record)")
        #expect(record["callbacks"] as? Int == 1)
    }

    /// One webhook eventId sent to A and B at the same moment (with different events) is applied exactly once: one `applied`, one `duplicate`, the record shows the applied event.
    @Test func endToEndPostgres_SameEventIdOnBothInstances_AppliesOnce() throws {
        let pair = try PostgresServerPair(arguments: ServerProcess.metricsListen)
        defer { pair.stop() }
        var appliedOn: [String] = []
        for round in 0..<6 {
            let id = LandingE2E.uniqueItemId("pg-evt-\(round)")
            let eventId = "evt-\(UUID().uuidString)"
            // The same delivery id with different events: whichever instance applies it decides the record.
            let onA = Self.webhookBody("item/updated", eventId: eventId, itemId: id)
            let onB = Self.webhookBody(
                "item/error", eventId: eventId, itemId: id, extra: "\"error\": {\"code\": \"RACE_B\", \"message\": \"from B\"}")
            let responses = try Self.simultaneously([(pair.a.port, Self.rawWebhook(onA)), (pair.b.port, Self.rawWebhook(onB))])
            let words = responses.map { (try? LandingE2E.json($0))?["status"] as? String ?? "\($0.status) \($0.bodyText)" }
            #expect(responses.allSatisfy { $0.status == 200 }, "round \(round): \(responses)")
            #expect(words.sorted() == ["applied", "duplicate"], "round \(round): A \(words[0]), B \(words[1])")
            guard let winner = words.firstIndex(of: "applied") else { continue }
            appliedOn.append(winner == 0 ? "A" : "B")

            let expected = winner == 0 ? "completed" : "failed"
            for server in pair.both {
                let (_, record) = try Self.item(server, id)
                #expect(record["status"] as? String == expected, "round \(round): \(record)")
                #expect(record["confirmed"] as? Bool == true)
            }
            #expect(try pair.store.webhookEventCount(eventId) == 1)
            // Created by one write only: a second application would have changed the status again.
            let row = try #require(try pair.store.itemRow(id))
            #expect(row["version"] == "1", "round \(round): \(row)")
            #expect(row["error_code"] == (winner == 0 ? "" : "RACE_B"), "round \(round): \(row)")
            // A replay later, on either instance, is still a duplicate.
            #expect((try? LandingE2E.json(try Self.postWebhook(pair.a, onB)))?["status"] as? String == "duplicate")
        }
        print("EndToEndPostgresTests: the racing webhook was applied on \(appliedOn)")
        // Each instance counted the deliveries it received, applied or not.
        /// Deliveries of `event` that `server` counted, whatever their result.
        func counted(_ server: ServerProcess, _ event: String) throws -> Double {
            let scrape = try EndToEndMetricsTests.scrape(try server.metricsURL)
            return ["applied", "duplicate", "ignored", "rejected", "unavailable"].reduce(0) {
                $0 + scrape.value("landing_webhook_events_total{event=\"\(event)\",result=\"\($1)\"}")
            }
        }
        let countedOnA = try counted(pair.a, "item/updated")
        let countedOnB = try counted(pair.b, "item/error")
        #expect(countedOnA == 6 && countedOnB == 6, "A counted \(countedOnA) item/updated, B \(countedOnB) item/error deliveries")
    }

    /// The first callback for one item on A and B at the same moment completes it once: two hits, the winner's outcome on both pages and in the record.
    @Test func endToEndPostgres_FirstCallbackOnBothInstances_CompletesOnce() throws {
        let pair = try PostgresServerPair()
        defer { pair.stop() }
        var winners: [String] = []
        for round in 0..<6 {
            let id = LandingE2E.uniqueItemId("pg-first-\(round)")
            // A reports success, B a denial: the record keeps whichever committed first.
            let responses = try Self.simultaneously([
                (pair.a.port, Request.get("/oauth/callback?itemId=\(id)")),
                (pair.b.port, Request.get("/oauth/callback?itemId=\(id)&error=access_denied&error_description=Denied")),
            ])
            #expect(responses.map(\.status) == [200, 200], "round \(round): \(responses.map(\.status))")
            let shown = responses.map(Self.pageStatus)
            let (_, record) = try Self.item(pair.b, id)
            let status = record["status"] as? String
            #expect(status == "completed" || status == "failed", "round \(round): \(record)")
            #expect(shown == [status, status], "round \(round): pages show \(shown), the record is \(status ?? "?")")
            #expect(record["callbacks"] as? Int == 2, "round \(round): \(record)")
            let error = record["error"] as? [String: Any]
            #expect((error?["code"] as? String) == (status == "failed" ? "access_denied" : nil), "round \(round): \(record)")
            let row = try #require(try pair.store.itemRow(id))
            #expect(row["hits"] == "2" && row["version"] == "2", "round \(round): \(row)")
            winners.append(status == "completed" ? "A" : "B")
        }
        print("EndToEndPostgresTests: the first callback was won by \(winners)")
    }

    // MARK: - Failures

    /// An instance SIGKILLed in the middle of a callback load spread over two instances loses nothing it acknowledged: every callback answered 200 is in the database.
    @Test func endToEndPostgres_SIGKILLUnderLoad_LosesNoAcknowledgedCallback() throws {
        let pair = try PostgresServerPair(arguments: ["--max-callbacks-per-address-per-minute", "0"])
        defer { pair.stop() }
        let prefix = LandingE2E.uniqueItemId("pg-kill")
        let (aPort, bPort) = (pair.a.port, pair.b.port)
        struct Ack { var id: String; var onA: Bool; var at: Date }
        let acknowledged = E2ELocked<[Ack]>([])
        let unanswered = E2ELocked<Int>(0)
        let failedOnB = E2ELocked<[String]>([])
        let started = Date()
        let stopAt = started.addingTimeInterval(2.2)
        let done = DispatchGroup()
        for thread in 0..<4 {
            done.enter()
            DispatchQueue.global().async {
                defer { done.leave() }
                var clients: [UInt16: RawTLSClient] = [:]
                var n = 0
                while Date() < stopAt {
                    n += 1
                    let port = (n + thread) % 2 == 0 ? aPort : bPort
                    let id = "\(prefix)-\(thread)-\(n)"
                    do {
                        let client = try clients[port] ?? RawTLSClient(port: port, timeout: 5)
                        clients[port] = client
                        try client.send(Request.get("/oauth/callback?itemId=\(id)"))
                        let response = try client.readResponse(timeout: 5)
                        if response.status == 200, Self.pageStatus(response) == "completed" {
                            let ack = Ack(id: id, onA: port == aPort, at: Date())
                            acknowledged.withLock { $0.append(ack) }
                        } else {
                            unanswered.withLock { $0 += 1 }
                            if port == bPort { failedOnB.withLock { $0.append("\(id): \(response.status)") } }
                        }
                        if response.closesConnection { clients[port] = nil }
                    } catch {
                        // A killed mid-request, or refusing connections since: not acknowledged.
                        clients[port] = nil
                        unanswered.withLock { $0 += 1 }
                        if port == aPort { usleep(2_000) } else { failedOnB.withLock { $0.append("\(id): \(error)") } }
                    }
                }
            }
        }
        usleep(1_000_000)
        pair.a.send(signal: SIGKILL)
        let killedAt = Date()
        done.wait()
        #expect(pair.a.waitForExit(timeout: 10) != nil)
        #expect(pair.a.child.exitedBySignal)

        let acks = acknowledged.withLock { $0 }
        let onA = acks.filter(\.onA)
        let onBAfterKill = acks.filter { !$0.onA && $0.at > killedAt }
        print(
            "EndToEndPostgresTests: \(acks.count) callbacks acknowledged in \(Int(Date().timeIntervalSince(started) * 1000)) ms (\(onA.count) by A before SIGKILL, \(onBAfterKill.count) by B after it), \(unanswered.withLock { $0 }) not acknowledged"
        )
        #expect(onA.count >= 10, "A acknowledged only \(onA.count) callbacks before it was killed")
        #expect(!onA.contains { $0.at > killedAt.addingTimeInterval(0.5) }, "A answered long after SIGKILL")
        let bFailures = failedOnB.withLock { $0 }
        #expect(bFailures.isEmpty, "B failed \(bFailures.count) callbacks: \(bFailures.prefix(5))")
        #expect(onBAfterKill.count >= 10, "B acknowledged only \(onBAfterKill.count) callbacks after A was killed")

        let stored = try pair.store.itemIds()
        let missing = acks.map(\.id).filter { !stored.contains($0) }
        #expect(missing.isEmpty, "\(missing.count) acknowledged callbacks are not in the database: \(missing.prefix(10))")
        // B serves A's acknowledged records.
        if let last = onA.max(by: { $0.at < $1.at }) {
            let (response, record) = try Self.item(pair.b, last.id)
            #expect(response.status == 200 && record["status"] as? String == "completed", "\(response)")
        }
        #expect(Self.readyz(pair.b) == "200 ready")
    }

    /// A PostgreSQL restart: /readyz 503 and 503 pages while it is down (nothing hangs), a change made while B's listener cannot connect still wakes B's long-poll, both instances recover, and nothing acknowledged before is lost.
    @Test func endToEndPostgres_DatabaseRestart_RecoversAndWakesWaiterOfChangeMissedWhileListenerDown() throws {
        // why: like every PostgreSQL test, fail on CI without the test server (this one starts its own too).
        _ = try PGTestEnvironment.requireURL()
        let database = try ThrowawayPostgres()
        defer { database.stop() }
        let pair = try PostgresServerPair(store: try PostgresE2EStore(url: database.url, schema: nil), arguments: ServerProcess.metricsListen)
        defer { pair.stop() }

        // Acknowledged before the restart, on both instances.
        let before = (0..<6).map { LandingE2E.uniqueItemId("pg-pre-\($0)") }
        for (index, id) in before.enumerated() {
            let page = try Self.callback(index % 2 == 0 ? pair.a : pair.b, "itemId=\(id)")
            #expect(page.status == 200, "\(page)")
        }
        for server in pair.both { #expect(Self.readyz(server) == "200 ready") }

        // B waits for item X, which does not exist yet.
        let itemX = LandingE2E.uniqueItemId("pg-x")
        let waiter = try RawTLSClient(port: pair.b.port)
        try waiter.send(Request.get("/v1/items/\(itemX)", [Self.auth, "Prefer: wait=30"]))
        let waitStarted = Date()
        #expect(waiter.staysOpen(for: 0.3))

        // Once the server is back, the instances' role may not connect until the test says so
        // (superusers are exempt), so the change below is certainly made while B's listener is down.
        _ = try database.superuserConnection().executeScript("ALTER ROLE landing_test CONNECTION LIMIT 0")

        try database.down()
        // Both notice at once: their listeners' connections are cut.
        for (name, server) in [("A", pair.a), ("B", pair.b)] {
            let took = Self.waitForReadyz(server, "503 database unreachable", timeout: 5)
            #expect(took != nil, "\(name)'s /readyz still says \(Self.readyz(server)) with the database down")
            print("EndToEndPostgresTests: \(name)'s /readyz said 503 database unreachable after \(Int((took ?? -1) * 1000)) ms")
        }
        // A callback now: a 503 page with Retry-After, at once.
        var asked = Date()
        let refused = try Self.callback(pair.a, "itemId=\(LandingE2E.uniqueItemId("pg-down"))")
        #expect(Date().timeIntervalSince(asked) < 3, "the callback took \(Date().timeIntervalSince(asked)) s with the database down")
        #expect(refused.status == 503, "\(refused)")
        #expect(Int(refused.header("Retry-After") ?? "") != nil, "\(refused.headers)")
        #expect(refused.header("Content-Type") == "text/html; charset=utf-8")
        // The API: 503 store_unavailable JSON with Retry-After, at once.
        asked = Date()
        let (api, apiError) = try Self.item(pair.a, before[0])
        #expect(Date().timeIntervalSince(asked) < 3, "the API took \(Date().timeIntervalSince(asked)) s with the database down")
        #expect(api.status == 503, "\(api)")
        #expect(apiError["error"] as? String == "store_unavailable", "\(api)")
        #expect(Int(api.header("Retry-After") ?? "") != nil, "\(api.headers)")
        // B's waiter is still waiting: not answered, not dropped.
        #expect(waiter.staysOpen(for: 0.2))
        #expect(waiter.takeBufferedResponse() == nil)

        try database.up()
        // The change, while no instance can connect: X completed by the store's own code (which
        // also sends the NOTIFY no instance hears).
        let writer = try PostgresStore(connection: try database.superuserConnection())
        _ = try writer.recordCallback(CallbackEvent(itemId: itemX, sessionId: nil, error: nil, receivedAt: Self.nowMillis()))
        #expect(Self.readyz(pair.b) == "503 database unreachable", "B reconnected despite the connection limit")
        #expect(waiter.staysOpen(for: 0.3))
        #expect(waiter.takeBufferedResponse() == nil, "B answered before it could reach the database")

        _ = try database.superuserConnection().executeScript("ALTER ROLE landing_test CONNECTION LIMIT -1")
        let liftedAt = Date()
        // B's listener reconnects, LISTENs, and every waiter re-reads: X's waiter sees the change.
        let response = try waiter.readResponse(timeout: 28)
        let woke = Date().timeIntervalSince(liftedAt)
        print("EndToEndPostgresTests: B's long-poll answered \(Int(woke * 1000)) ms after the instances could connect again")
        #expect(response.status == 200, "\(response)")
        #expect((try? LandingE2E.json(response))?["status"] as? String == "completed", "\(response)")
        #expect(woke < 12, "B's waiter woke \(woke) s after the database was reachable again")
        #expect(Date().timeIntervalSince(waitStarted) < 25, "B's long-poll took nearly its whole 30 s wait")

        for (name, server) in [("A", pair.a), ("B", pair.b)] {
            let took = Self.waitForReadyz(server, "200 ready", timeout: 10)
            #expect(took != nil, "\(name)'s /readyz still says \(Self.readyz(server)) 10 s after the database came back")
            print("EndToEndPostgresTests: \(name)'s /readyz said 200 ready after \(Int((took ?? -1) * 1000)) ms more")
        }
        // A takes callbacks again (a pool connection may still be in its backoff: retry as told).
        let afterId = LandingE2E.uniqueItemId("pg-post")
        var accepted: E2EResponse?
        let retryUntil = Date(timeIntervalSinceNow: 10)
        while Date() < retryUntil {
            let page = try Self.callback(pair.a, "itemId=\(afterId)")
            if page.status == 200 {
                accepted = page
                break
            }
            #expect(page.status == 503, "\(page)")
            usleep(200_000)
        }
        #expect(accepted.map(Self.pageStatus) == "completed", "A took no callback within 10 s of recovering")
        // Nothing acknowledged before the restart is lost; B reads what A wrote after it.
        let stored = try pair.store.itemIds()
        #expect(before.allSatisfy(stored.contains), "missing: \(before.filter { !stored.contains($0) })")
        for id in before + [afterId] {
            let (response, record) = try Self.item(pair.b, id)
            #expect(response.status == 200 && record["status"] as? String == "completed", "\(id): \(response)")
        }
        for (name, server) in [("A", pair.a), ("B", pair.b)] {
            #expect(try Self.metric(server, "landing_store_available") == 1, "\(name)")
            #expect((try Self.metric(server, "landing_store_reconnects_total") ?? 0) >= 1, "\(name)")
            // The losses and reconnects were logged, never with the password.
            #expect(server.stderrText.contains("store notification listener lost its connection"), "\(name): \(server.stderrText)")
            if let password = pair.store.password {
                #expect(!server.stderrText.contains(password) && !server.stdoutText.contains(password), "\(name) printed the password")
            }
        }
    }

    // MARK: - Shutdown

    /// With `--drain-delay 2`, SIGTERM turns `/readyz` to 503 `draining` while the instance keeps serving (callbacks, long-polls) for about 2 s, then it exits 0.
    @Test func endToEndPostgres_DrainDelay_ServesWithReadyz503_ThenExits0() throws {
        let store = try PostgresE2EStore()
        let server = try ServerProcess(store.arguments + ["--drain-delay", "2", "--shutdown-grace", "5"])
        defer { server.stop() }
        #expect(Self.readyz(server) == "200 ready")
        let id = LandingE2E.uniqueItemId("pg-drain")
        #expect(try Self.callback(server, "itemId=\(id)").status == 200)
        let etag = try #require(try Self.item(server, id).0.header("ETag"))
        let waiter = try RawTLSClient(port: server.port)
        try waiter.send(Request.get("/v1/items/\(id)", [Self.auth, "If-None-Match: \(etag)", "Prefer: wait=30"]))
        #expect(waiter.staysOpen(for: 0.3))

        server.send(signal: SIGTERM)
        let signalledAt = Date()
        let took = Self.waitForReadyz(server, "503 draining", timeout: 1.5)
        #expect(took != nil, "/readyz says \(Self.readyz(server)) after SIGTERM")
        // Still serving during the delay: new connections, callbacks, long-polls woken by them.
        let page = try Self.callback(server, "itemId=\(id)")
        #expect(page.status == 200, "\(page)")
        let woken = try waiter.readResponse(timeout: 5)
        #expect(Date().timeIntervalSince(signalledAt) < 2, "the checks took too long to fall inside the drain delay")
        #expect(woken.status == 200, "\(woken)")
        #expect((try? LandingE2E.json(woken))?["callbacks"] as? Int == 2)
        #expect(!woken.closesConnection, "the long-poll was answered by the drain, not by the callback")
        var checks = 0
        while Date().timeIntervalSince(signalledAt) < 1.7 {
            #expect(Self.readyz(server) == "503 draining")
            #expect(try LandingE2E.get(server, "/healthz").status == 200)
            checks += 1
        }
        #expect(checks > 0)

        let status = server.waitForExit(timeout: 15)
        let exitedAfter = Date().timeIntervalSince(signalledAt)
        print("EndToEndPostgresTests: exited \(Int(exitedAfter * 1000)) ms after SIGTERM with --drain-delay 2")
        #expect(status == 0, "\(server.stderrText)")
        #expect(exitedAfter >= 1.95, "exited \(exitedAfter) s after SIGTERM, before the 2 s drain delay")
        #expect(exitedAfter < 7, "exited \(exitedAfter) s after SIGTERM")
        #expect(server.stderrText.contains("drain delay"))
        #expect(try store.itemRow(id)?["hits"] == "2")
    }
}
