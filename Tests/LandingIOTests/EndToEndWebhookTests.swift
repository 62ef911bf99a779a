import Foundation
import Glibc
import Testing

/// Pluggy webhooks end to end: the real server started with `--webhook-secret`, curl as Pluggy,
/// the status API to read the outcome back; the SQLite store killed and reopened.
@Suite struct EndToEndWebhookTests {
    static let secret = "e2e-webhook-secret-0123456789"

    /// A server with webhooks enabled (plus `arguments`).
    static func server(_ arguments: [String] = []) throws -> ServerProcess {
        try ServerProcess(["--webhook-secret", secret] + arguments)
    }

    /// The JSON of one webhook.
    static func payload(_ event: String, id eventId: String = UUID().uuidString, item itemId: String, extra: String = "") -> String {
        "{\"event\": \"\(event)\", \"eventId\": \"\(eventId)\", \"itemId\": \"\(itemId)\", \"triggeredBy\": \"USER\"\(extra.isEmpty ? "" : ", " + extra)}"
    }

    /// POSTs `body` (written to a file, so any size works) to /webhooks/pluggy with `secret` (nil: no header).
    static func post(_ server: ServerProcess, _ body: String, secret: String? = secret, contentType: String = "application/json") throws -> E2EResponse {
        let directory = try TemporaryDirectory("landing-e2e-webhook")
        let file = directory.file("body.json")
        try Data(body.utf8).write(to: URL(fileURLWithPath: file))
        var arguments = ["-X", "POST", "-H", "Content-Type: \(contentType)", "--data-binary", "@\(file)"]
        if let secret { arguments += ["-H", "X-Webhook-Secret: \(secret)"] }
        return try Curl.fetch(server.baseURL + "/webhooks/pluggy", arguments).response
    }

    /// `GET /v1/items/{id}` with the API key.
    static func item(_ server: ServerProcess, _ id: String) throws -> E2EResponse {
        try Curl.fetch(server.baseURL + "/v1/items/" + id, ["-H", "Authorization: Bearer \(ServerProcess.apiKey)"]).response
    }

    static func json(_ response: E2EResponse) -> [String: Any] {
        ((try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]) ?? [:]
    }

    // MARK: - Enabling and the secret

    /// Without `--webhook-secret` the route does not exist: 404.
    @Test func endToEndWebhook_IsNotFound_WhenNoSecretConfigured() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let response = try Self.post(server, Self.payload("item/updated", item: "it-1"))
        #expect(response.status == 404, "\(response)")
        #expect(try Self.item(server, "it-1").status == 404)
    }

    /// A missing or wrong X-Webhook-Secret is 401 JSON and changes nothing; the right one is 200.
    @Test func endToEndWebhook_Rejects401_WhenSecretMissingOrWrong() throws {
        let server = try Self.server()
        defer { server.stop() }
        for secret in [nil, "wrong-secret-0123456789", Self.secret + "x", String(Self.secret.dropLast())] {
            let response = try Self.post(server, Self.payload("item/updated", item: "it-1"), secret: secret)
            #expect(response.status == 401, "\(secret ?? "none"): \(response)")
            #expect(response.header("Content-Type") == "application/json")
            #expect(Self.json(response)["error"] as? String == "unauthorized")
            #expect(!response.bodyText.contains(Self.secret))
        }
        #expect(try Self.item(server, "it-1").status == 404)
        #expect(try Self.post(server, Self.payload("item/updated", item: "it-1")).status == 200)
        // The secret never reaches the access log.
        #expect(!server.stdoutText.contains(Self.secret))
        #expect(!server.stderrText.contains(Self.secret))
    }

    // MARK: - Mapping, replays, unknown items

    /// Each event maps to its status (read back through the API), ignored events are 202, unseen items are created.
    @Test func endToEndWebhook_MapsEvents_WhenReadBackThroughAPI() throws {
        let server = try Self.server()
        defer { server.stop() }
        let cases: [(String, String, Bool)] = [
            ("item/updated", "completed", true), ("item/login_succeeded", "completed", true), ("item/error", "failed", true),
            ("item/waiting_user_input", "pending", false), ("item/waiting_user_action", "pending", false), ("item/deleted", "expired", true),
        ]
        for (index, (event, status, confirmed)) in cases.enumerated() {
            let id = "e2e-map-\(index)"
            let extra = event == "item/error" ? "\"error\": {\"code\": \"USER_AUTHORIZATION_NOT_GRANTED\", \"message\": \"Not granted\"}" : ""
            let response = try Self.post(server, Self.payload(event, item: id, extra: extra))
            #expect(response.status == 200, "\(event): \(response)")
            #expect(Self.json(response)["status"] as? String == "applied")
            let record = Self.json(try Self.item(server, id))
            #expect(record["status"] as? String == status, "\(event): \(record)")
            #expect(record["confirmed"] as? Bool == confirmed, "\(event): \(record)")
            if event == "item/error" {
                let error = record["error"] as? [String: Any]
                #expect(error?["code"] as? String == "USER_AUTHORIZATION_NOT_GRANTED")
                #expect(error?["description"] as? String == "Not granted")
            }
        }
        for event in ["transactions/created", "connector/status_updated"] {
            let response = try Self.post(server, Self.payload(event, item: "e2e-ignored"))
            #expect(response.status == 202, "\(event): \(response)")
            #expect(Self.json(response)["status"] as? String == "ignored")
        }
        #expect(try Self.item(server, "e2e-ignored").status == 404)
        #expect(try Self.post(server, "{\"event\": \"item/updated\"}").status == 400)
        #expect(try Self.post(server, Self.payload("item/updated", item: "x"), contentType: "text/plain").status == 415)
    }

    /// A replayed eventId answers 200 duplicate and leaves the record exactly as it was (same ETag).
    @Test func endToEndWebhook_IsIdempotent_WhenEventReplayed() throws {
        let server = try Self.server()
        defer { server.stop() }
        let body = Self.payload("item/updated", id: "replayed-event-1", item: "e2e-replay")
        #expect(Self.json(try Self.post(server, body))["status"] as? String == "applied")
        let before = try Self.item(server, "e2e-replay")
        for replay in [body, Self.payload("item/error", id: "replayed-event-1", item: "e2e-replay")] {
            let response = try Self.post(server, replay)
            #expect(response.status == 200)
            #expect(Self.json(response)["status"] as? String == "duplicate")
        }
        let after = try Self.item(server, "e2e-replay")
        #expect(after.bodyText == before.bodyText)
        #expect(after.header("ETag") == before.header("ETag"))
    }

    /// A long-poll waiting on an item the server has never seen answers as soon as a webhook creates it.
    @Test func endToEndWebhook_WakesLongPoll_WhenWebhookApplies() throws {
        let server = try Self.server(ServerProcess.metricsListen)
        defer { server.stop() }
        let poll = try Subprocess(
            Curl.executable,
            ["--http1.1", "-sk", "--max-time", "30", "-H", "Authorization: Bearer \(ServerProcess.apiKey)", "-H", "Prefer: wait=20",
             "-w", "\n%{http_code} %{time_total}", server.baseURL + "/v1/items/e2e-longpoll"])
        // Wait until the long-poll is registered (the waiter gauge says so), not for a fixed time.
        var registered = false
        for _ in 0..<200 where !registered {
            let metrics = try Curl.run([try server.metricsURL]).stdoutText
            registered = metrics.contains("landing_longpolls_waiting 1")
            if !registered { usleep(20_000) }
        }
        #expect(registered, "the long-poll never registered")
        let started = Date()
        #expect(try Self.post(server, Self.payload("item/login_succeeded", item: "e2e-longpoll")).status == 200)
        #expect(poll.waitForExit(timeout: 25) == 0)
        poll.stdout.waitForEnd(timeout: 5)
        let woke = Date().timeIntervalSince(started)
        #expect(poll.stdout.text.contains("\"status\":\"completed\""), "\(poll.stdout.text)")
        #expect(poll.stdout.text.contains("\n200 "), "\(poll.stdout.text)")
        #expect(woke < 10, "the long-poll answered \(woke) s after the webhook")
        print("webhook e2e: long-poll answered \(String(format: "%.3f", woke)) s after the webhook was sent")
    }

    // MARK: - Limits

    /// Over 64 KiB: 413 from the parser at the default body limit, and 413 JSON from the route when the server allows bigger bodies.
    @Test func endToEndWebhook_Rejects413_WhenBodyTooLarge() throws {
        let padding = "\"pad\": \"" + String(repeating: "p", count: 64 * 1024) + "\""
        let body = Self.payload("item/updated", item: "e2e-large", extra: padding)
        do {
            let server = try Self.server()
            defer { server.stop() }
            #expect(try Self.post(server, body).status == 413)
        }
        let server = try Self.server(["--max-body-bytes", "1048576"])
        defer { server.stop() }
        let response = try Self.post(server, body)
        #expect(response.status == 413, "\(response)")
        #expect(Self.json(response)["error"] as? String == "payload_too_large")
        #expect(try Self.item(server, "e2e-large").status == 404)
    }

    // MARK: - Load

    /// A burst of 200 concurrent webhooks (SQLite store, one TLS connection each) is answered 2xx, every one applied.
    @Test func endToEndWebhook_AnswersBurstOf200_WhenConcurrent() throws {
        let directory = try TemporaryDirectory("landing-e2e-webhook-burst")
        let server = try Self.server(["--store", "sqlite:\(directory.file("landing.db"))"])
        defer { server.stop() }
        let count = 200
        var config = ""
        for index in 0..<count {
            let file = directory.file("body-\(index).json")
            try Data(Self.payload("item/updated", id: "burst-event-\(index)", item: "burst-\(index)").utf8).write(to: URL(fileURLWithPath: file))
            config += """
                url = "\(server.baseURL)/webhooks/pluggy"
                insecure
                http1.1
                max-time = 30
                request = "POST"
                header = "Content-Type: application/json"
                header = "X-Webhook-Secret: \(Self.secret)"
                data-binary = "@\(file)"
                output = "/dev/null"
                write-out = "BURST %{http_code} %{time_total} %{time_pretransfer} %{time_starttransfer}\\n"

                """
            if index < count - 1 { config += "next\n" }
        }
        let configFile = directory.file("curl.config")
        try Data(config.utf8).write(to: URL(fileURLWithPath: configFile))
        let started = Date()
        let result = try Subprocess.run(Curl.executable, ["-s", "--parallel", "--parallel-immediate", "--parallel-max", "\(count)", "-K", configFile], timeout: 60)
        let wall = Date().timeIntervalSince(started)
        let lines = result.stdoutText.split(separator: "\n").filter { $0.hasPrefix("BURST ") }.map { $0.split(separator: " ") }
        #expect(lines.count == count, "\(result)")
        let codes = lines.map { String($0[1]) }
        #expect(codes.allSatisfy { $0 == "200" }, "codes: \(Dictionary(grouping: codes, by: { $0 }).mapValues(\.count))")
        let totals = lines.compactMap { Double($0[2]) }.sorted()
        // Server time: from the request sent (TLS done) to the first response byte.
        let serverTimes = lines.compactMap { fields -> Double? in
            guard let pre = Double(fields[3]), let first = Double(fields[4]) else { return nil }
            return first - pre
        }.sorted()
        if let maxTotal = totals.last, let maxServer = serverTimes.last {
            print(String(
                format: "webhook e2e burst: %d concurrent webhooks in %.3f s; per request max %.3f s, p50 %.3f s (TLS handshake included); server part max %.3f s, p50 %.3f s",
                count, wall, maxTotal, totals[totals.count / 2], maxServer, serverTimes[serverTimes.count / 2]))
        }
        // Every one is durable and readable.
        let urls = (0..<count).map { "\(server.baseURL)/v1/items/burst-\($0)" }
        let transfers = try Curl.fetch(urls, ["-H", "Authorization: Bearer \(ServerProcess.apiKey)"], timeout: 60)
        #expect(transfers.filter { Self.json($0.response)["confirmed"] as? Bool == true }.count == count)
    }

    // MARK: - Durability

    /// After a 200, the change is on disk: SIGKILL, restart on the same SQLite file, and the record (and its event id) is there.
    @Test func endToEndWebhook_KeepsAppliedChange_WhenKilledAndRestarted() throws {
        let directory = try TemporaryDirectory("landing-e2e-webhook-durable")
        let store = ["--store", "sqlite:\(directory.file("data/landing.db"))"]
        let body = Self.payload("item/error", id: "durable-event-1", item: "e2e-durable", extra: "\"error\": {\"code\": \"INVALID_CREDENTIALS\", \"message\": \"Wrong password\"}")
        do {
            let server = try Self.server(store)
            let response = try Self.post(server, body)
            #expect(response.status == 200, "\(response)")
            server.child.kill()  // SIGKILL right after the answer: no drain, no clean close.
            #expect(server.child.exitedBySignal)
            server.stop()
        }
        let restarted = try Self.server(store)
        defer { restarted.stop() }
        let record = Self.json(try Self.item(restarted, "e2e-durable"))
        #expect(record["status"] as? String == "failed", "\(record)")
        #expect(record["confirmed"] as? Bool == true)
        #expect((record["error"] as? [String: Any])?["code"] as? String == "INVALID_CREDENTIALS")
        let replay = try Self.post(restarted, body)
        #expect(Self.json(replay)["status"] as? String == "duplicate", "\(replay)")
    }

    /// Support can follow a user in the logs: one info line per callback outcome, webhook and authentication failure, with request id, ids, outcome, error code, test flag and instance — and never the OAuth code, state, API key or webhook secret.
    @Test func endToEnd_LogsOneLinePerCallbackWebhookAndAuthFailure_WithoutSecrets() throws {
        let server = try Self.server()
        let item = "log-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try LandingE2E.get(server, "/oauth/callback?itemId=\(item)&code=C0DE-SECRET-1234&state=ST4TE-SECRET-5678")
        _ = try Self.post(server, Self.payload("item/error", item: item, extra: #""error": {"code": "USER_AUTHORIZATION_NOT_GRANTED", "message": "x"}"#))
        _ = try Self.post(server, Self.payload("item/updated", item: item), secret: "wrong-secret-wrong-secret")
        _ = try Curl.fetch(server.baseURL + "/v1/items/" + item, ["-H", "Authorization: Bearer bad-key-0123456789abcdef"])
        // The lines reach stderr from the log writer's thread, a moment after the answers.
        server.waitForStderr(containing: #""what":"api""#)
        let output = server.stdoutText + server.stderrText
        let lines = ServerProcess.jsonLines(output)
        let callback = lines.first { $0["msg"] as? String == "callback" && $0["item_id"] as? String == item }
        #expect(callback?["outcome"] as? String == "completed", "\(output)")
        #expect(callback?["request_id"] is String && callback?["instance"] is String && callback?["test"] as? Bool == false)
        #expect(output.contains(#""test":false"#), "the test flag is a JSON boolean")
        let webhook = lines.first { $0["msg"] as? String == "webhook" && $0["item_id"] as? String == item }
        #expect(webhook?["outcome"] as? String == "applied", "\(output)")
        #expect(webhook?["error_code"] as? String == "USER_AUTHORIZATION_NOT_GRANTED")
        #expect(webhook?["event"] as? String == "item/error")
        let failures = lines.filter { $0["msg"] as? String == "authentication failed" }
        #expect(Set(failures.compactMap { $0["what"] as? String }) == ["webhook", "api"], "\(output)")
        for secret in ["C0DE-SECRET-1234", "ST4TE-SECRET-5678", "bad-key-0123456789abcdef", "wrong-secret-wrong-secret", Self.secret, ServerProcess.apiKey] {
            #expect(!output.contains(secret), "\(secret) leaked into the logs")
        }
    }
}
