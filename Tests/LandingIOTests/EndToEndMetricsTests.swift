import Foundation
import Glibc
import Testing

/// `/metrics` scraped from the real server's metrics listener: counters move with traffic, handshakes
/// and connections are counted, and `/metrics` is served only on `--metrics-listen`, never on HTTPS.
@Suite struct EndToEndMetricsTests {
    /// One scrape: its response, and every sample by its series (`name{labels}` as written).
    struct Scrape {
        var response: E2EResponse
        var samples: [String: Double]

        subscript(_ series: String) -> Double? { samples[series] }
        /// The value of `series`, 0 when absent.
        func value(_ series: String) -> Double { samples[series] ?? 0 }
    }

    /// Fetches `url` with curl and parses the exposition text.
    static func scrape(_ url: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Scrape {
        let response = try Curl.fetch(url).response
        #expect(response.status == 200, "\(response)", sourceLocation: sourceLocation)
        var samples: [String: Double] = [:]
        for line in response.bodyText.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else {
                Issue.record("not a sample line: \(line)", sourceLocation: sourceLocation)
                continue
            }
            let value = line[line.index(after: space)...]
            samples[String(line[..<space])] = value == "+Inf" ? .infinity : Double(value)
        }
        return Scrape(response: response, samples: samples)
    }

    static func requests(_ route: String, _ method: String, _ status: Int) -> String {
        "landing_http_requests_total{route=\"\(route)\",method=\"\(method)\",status=\"\(status)\"}"
    }

    static func callbacks(_ outcome: String) -> String {
        "landing_callbacks_total{outcome=\"\(outcome)\",test=\"false\"}"
    }

    /// Scrapes until `condition` holds (the server sees a closed connection a moment after the client);
    /// returns the last scrape.
    static func scrape(_ url: String, until condition: (Scrape) -> Bool, timeout: Double = 5) throws -> Scrape {
        let deadline = Date(timeIntervalSinceNow: timeout)
        var last = try scrape(url)
        while !condition(last) && Date() < deadline {
            usleep(50_000)
            last = try scrape(url)
        }
        return last
    }

    /// Requests are counted by route pattern (never the raw path), method and status, with durations;
    /// callbacks by outcome; store commits timed; the process basics are present.
    @Test func endToEnd_Metrics_CountRequestsByRoute_AndCallbacksByOutcome() throws {
        let server = try ServerProcess(ServerProcess.metricsListen)
        defer { server.stop() }
        let url = try server.metricsURL
        let before = try Self.scrape(url)
        #expect(before.response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(before.response.header("Cache-Control") == "no-store")
        #expect(before.response.bodyText.contains("# TYPE landing_http_request_duration_seconds histogram\n"))
        #expect(before["landing_longpolls_waiting"] == 0)

        let base = server.baseURL
        _ = try Curl.fetch([
            base + "/healthz", base + "/healthz", base + "/no/such/path-7f3a",
            base + "/oauth/callback?itemId=item-m1&code=c", base + "/oauth/callback?itemId=item-m2&error=access_denied",
            base + "/oauth/callback?itemId=a&itemId=b", base + "/oauth/callback/AAAAAAAAAAAAAAAAAAAAAA?code=c",
        ])
        #expect(try Curl.fetch(base + "/oauth/callback?itemId=item-m3", ["-I"]).response.status == 200)
        let after = try Self.scrape(url)
        func delta(_ series: String) -> Double { after.value(series) - before.value(series) }

        #expect(delta(Self.requests("/healthz", "GET", 200)) == 2)
        #expect(delta(Self.requests("unmatched", "GET", 404)) == 1)
        #expect(delta(Self.requests("/oauth/callback", "GET", 200)) == 2)
        #expect(delta(Self.requests("/oauth/callback", "GET", 400)) == 1)
        #expect(delta(Self.requests("/oauth/callback", "HEAD", 200)) == 1)
        #expect(delta(Self.requests("/oauth/callback/{sessionId}", "GET", 404)) == 1)
        #expect(delta(Self.requests("/metrics", "GET", 200)) == 1, "the first scrape is counted by the second")
        #expect(!after.response.bodyText.contains("no/such"), "a raw path became a label")
        #expect(!after.response.bodyText.contains("item-m"), "a query value became a label")
        #expect(delta("landing_http_request_duration_seconds_count{route=\"/healthz\"}") == 2)
        #expect(after["landing_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"}"] == after["landing_http_request_duration_seconds_count{route=\"/healthz\"}"])
        // The batch (one curl, one connection) and the HEAD; the scrapes are plain HTTP.
        #expect(delta("landing_tls_handshakes_total{result=\"ok\"}") >= 2)

        #expect(delta(Self.callbacks("completed")) == 1)
        #expect(delta(Self.callbacks("failed")) == 1)
        #expect(delta(Self.callbacks("invalid")) == 1)
        #expect(delta(Self.callbacks("expired")) == 1)
        #expect(delta(Self.callbacks("preview")) == 1)
        #expect(delta("landing_store_write_seconds_count") >= 1)
        #expect(after["landing_webhook_events_total{event=\"item/updated\",result=\"applied\"}"] == 0)

        #expect(after.value("process_resident_memory_bytes") > 1_000_000)
        #expect(after.value("process_open_fds") >= 4)
        let start = after.value("process_start_time_seconds")
        #expect(abs(start - Date().timeIntervalSince1970) < 600, "start time \(start)")
    }

    /// The build is exported with its version; a created session and webhooks applied, duplicate, ignored and rejected are counted with the right counts; every store write kind has a commit-time series.
    @Test func endToEnd_Metrics_CountBuildSessionsAndWebhookResults() throws {
        let server = try EndToEndWebhookTests.server(ServerProcess.metricsListen)
        defer { server.stop() }
        let url = try server.metricsURL
        let before = try Self.scrape(url)
        let version = try #require(server.listeningLine["version"] as? String)
        #expect(before["landing_build_info{version=\"\(version)\"}"] == 1, "\(before.response.bodyText.prefix(400))")
        #expect(before.response.bodyText.contains("# TYPE landing_build_info gauge\n"))
        #expect(before["landing_sessions_created_total"] == 0)
        #expect(before["landing_sessions_expired_total"] == 0)
        for kind in ["callback", "webhook", "session", "confirmation"] {
            #expect(before["landing_store_commit_seconds_count{kind=\"\(kind)\"}"] == 0, "\(kind)")
        }

        _ = try LandingE2E.createSession(server, json: #"{"clientUserId": "metrics-1"}"#)
        _ = try LandingE2E.createSession(server)
        let item = LandingE2E.uniqueItemId("metrics")
        let applied = EndToEndWebhookTests.payload("item/updated", id: "m-\(item)", item: item)
        #expect(try EndToEndWebhookTests.post(server, applied).status == 200)
        #expect(try EndToEndWebhookTests.post(server, applied).status == 200)
        #expect(try EndToEndWebhookTests.post(server, applied).status == 200)
        #expect(try EndToEndWebhookTests.post(server, EndToEndWebhookTests.payload("transactions/created", item: item)).status == 202)
        #expect(try EndToEndWebhookTests.post(server, applied, secret: "wrong-secret-wrong-secret").status == 401)
        #expect(try EndToEndWebhookTests.post(server, "not json").status == 400)
        let after = try Self.scrape(url)
        func delta(_ series: String) -> Double { after.value(series) - before.value(series) }
        func webhooks(_ event: String, _ result: String) -> Double {
            delta("landing_webhook_events_total{event=\"\(event)\",result=\"\(result)\"}")
        }
        #expect(after["landing_build_info{version=\"\(version)\"}"] == 1)
        #expect(delta("landing_sessions_created_total") == 2)
        #expect(delta("landing_sessions_expired_total") == 0, "the sessions live for --session-ttl")
        #expect(webhooks("item/updated", "applied") == 1)
        #expect(webhooks("item/updated", "duplicate") == 2)
        #expect(webhooks("transactions/created", "ignored") == 1)
        #expect(webhooks("other", "rejected") == 2)
        #expect(webhooks("item/updated", "unavailable") == 0)
        #expect(delta("landing_store_commit_seconds_count{kind=\"session\"}") >= 1)
        #expect(delta("landing_store_commit_seconds_count{kind=\"webhook\"}") >= 1)
    }

    /// A failed TLS handshake (plain HTTP on the TLS port) and a protocol error (route "-") are counted;
    /// open connections follow connections opened and closed.
    @Test func endToEnd_Metrics_CountFailedHandshakes_AndOpenConnections() throws {
        let server = try ServerProcess(ServerProcess.metricsListen)
        defer { server.stop() }
        let url = try server.metricsURL
        let before = try Self.scrape(url, until: { $0["landing_open_connections"] == 1 })
        #expect(before["landing_open_connections"] == 1, "only the scrape's own connection")

        let garbage = try TestSocket(port: server.port)
        try garbage.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(garbage.readUntilClosed(timeout: 5).closed, "the server kept a non-TLS connection open")
        E2EExpect.rejection("GET /x HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", status: 400, server: server)
        let after = try Self.scrape(url)
        #expect(after.value("landing_tls_handshakes_total{result=\"failed\"}") - before.value("landing_tls_handshakes_total{result=\"failed\"}") == 1)
        #expect(after.value(Self.requests("-", "-", 400)) - before.value(Self.requests("-", "-", 400)) == 1)

        let idle = try (0..<3).map { _ in try TestSocket(port: server.port) }
        let open = try Self.scrape(url, until: { $0["landing_open_connections"] == 4 })
        #expect(open["landing_open_connections"] == 4, "3 idle connections plus the scrape's")
        for socket in idle { socket.close(reset: true) }
        let closed = try Self.scrape(url, until: { $0["landing_open_connections"] == 1 })
        #expect(closed["landing_open_connections"] == 1)
    }

    /// Without --metrics-listen there is no metrics endpoint: /metrics on the HTTPS listener is 404
    /// like any unknown path (HEAD too), and the listening line names no metrics listener.
    @Test func endToEnd_Metrics_NotServedOnHTTPS_WithoutMetricsListen() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        #expect(server.listeningLine["metrics_listen"] == nil, "\(server.listeningLine)")
        #expect(server.metricsPort == nil)
        #expect(throws: E2EError.self) { _ = try server.metricsURL }
        let unknown = try Curl.fetch(server.baseURL + "/no/such/path-9c1e").response
        let metrics = try Curl.fetch(server.baseURL + "/metrics").response
        #expect(metrics.status == 404, "\(metrics)")
        #expect(metrics.bodyText == unknown.bodyText, "/metrics must answer like any unknown path")
        #expect(!metrics.bodyText.contains("landing_"), "\(metrics.bodyText)")
        #expect(metrics.header("Content-Type") != "text/plain; version=0.0.4; charset=utf-8")
        #expect(try Curl.fetch(server.baseURL + "/metrics", ["-I"]).response.status == 404)
        #expect(try Curl.fetch(server.baseURL + "/healthz").response.status == 200)
    }

    /// With --metrics-listen, /metrics and /healthz are served on that plain port (nothing else), and
    /// /metrics on the HTTPS listener is still 404 (an unmatched path there).
    @Test func endToEnd_Metrics_OnlyOnMetricsListen() throws {
        let server = try ServerProcess(ServerProcess.metricsListen)
        defer { server.stop() }
        let address = try #require(server.listeningLine["metrics_listen"] as? String, "\(server.listeningLine)")
        let port = try #require(ServerProcess.port(of: address))
        #expect(port != server.port)
        #expect(server.metricsPort == port)
        let plain = "http://127.0.0.1:\(port)"
        #expect(try server.metricsURL == plain + "/metrics")

        #expect(try Curl.fetch(server.baseURL + "/metrics").response.status == 404)
        #expect(try Curl.fetch(server.baseURL + "/metrics", ["-I"]).response.status == 404)
        let scrape = try Self.scrape(plain + "/metrics")
        #expect(scrape.response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(scrape.response.header("Strict-Transport-Security") == nil)
        #expect(scrape[Self.requests("unmatched", "GET", 404)] == 1, "the HTTPS /metrics is an unmatched path there")
        #expect(scrape[Self.requests("unmatched", "HEAD", 404)] == 1, "the HTTPS HEAD /metrics is an unmatched path there")
        #expect(try Curl.fetch(plain + "/healthz").response.status == 200)
        #expect(try Curl.fetch(plain + "/").response.status == 404)
        #expect(try Curl.fetch(plain + "/oauth/callback?itemId=x").response.status == 404)
        let again = try Self.scrape(plain + "/metrics")
        #expect(again[Self.requests("/metrics", "GET", 200)] == 1)
        #expect(again[Self.requests("/healthz", "GET", 200)] == 1)
        // The HTTPS listener still serves.
        #expect(try Curl.fetch(server.baseURL + "/healthz").response.status == 200)
    }
}
