import Foundation
import Testing

@testable import LandingCore

private func callback(_ id: String) -> StoreWrite {
    .callback(CallbackEvent(itemId: id, sessionId: nil, error: nil, receivedAt: 1_000))
}

private func webhook(_ id: String) -> StoreWrite {
    .webhook(WebhookEvent(event: "item/updated", eventId: "ev-\(id)", itemId: id, receivedAt: 1_000))
}

private func createSession(_ id: String) -> StoreWrite {
    .createSession(NewSession(id: id, clientUserId: nil, returnURL: nil, createdAt: 1_000, expiresAt: 2_000))
}

private func confirmation(_ id: String) -> StoreWrite {
    .confirmation(PluggyConfirmation(itemId: id, state: .completed, connectorName: nil, executionStatus: "SUCCESS", receivedAt: 1_000))
}

private extension [MetricFamily] {
    func named(_ name: String) -> MetricFamily? { first { $0.name == name } }
}

/// The value of the sample with this suffix and exactly these labels.
private func value(_ family: MetricFamily?, _ suffix: String, _ labels: [MetricLabel] = []) -> Double? {
    family?.samples.first { $0.suffix == suffix && $0.labels == labels }?.value
}

/// The `_count` of the `landing_store_commit_seconds` series for `kind`.
private func kindCount(_ metrics: StoreMetrics, _ kind: String) -> Double? {
    value(metrics.families(health: nil).named("landing_store_commit_seconds"), "_count", [MetricLabel("kind", kind)])
}

@Suite("Store metrics")
struct StoreMetricsTests {
    /// Without health or listener figures there are exactly the three histograms, in export order.
    @Test func families_HasThreeHistograms_ForEmbeddedStore() {
        let families = StoreMetrics().families(health: nil)
        #expect(families.map(\.name) == ["landing_store_write_seconds", "landing_store_commit_seconds", "landing_store_queue_wait_seconds"])
        #expect(families.allSatisfy { $0.kind == .histogram })
        #expect(families.allSatisfy { !$0.help.isEmpty })
    }

    /// With everything given, the families come in the documented order with the right types.
    @Test func families_ListsEveryFamily_InOrder_WhenAllGiven() {
        let families = StoreMetrics().families(health: StoreHealth(), notificationsReceived: 3, notificationQueueUsage: 0.25, queued: 7)
        #expect(families.map(\.name) == [
            "landing_store_write_seconds", "landing_store_commit_seconds", "landing_store_queue_wait_seconds",
            "landing_store_queued_jobs",
            "landing_store_available", "landing_store_connections_down", "landing_store_connections_lost_total",
            "landing_store_reconnects_total",
            "landing_store_notifications_received_total", "landing_store_notification_queue_usage",
        ])
        #expect(families.map(\.kind) == [
            .histogram, .histogram, .histogram, .gauge, .gauge, .gauge, .counter, .counter, .counter, .gauge,
        ])
    }

    /// The gauges and counters carry the values given and the health's figures.
    @Test func families_ReportsValues_FromHealthAndArguments() {
        let health = StoreHealth()
        health.connectionLost()
        health.connectionLost()
        health.connectionRestored()
        let families = StoreMetrics().families(health: health, notificationsReceived: 42, notificationQueueUsage: 0.125, queued: 9)
        #expect(value(families.named("landing_store_queued_jobs"), "") == 9)
        #expect(value(families.named("landing_store_available"), "") == 0)
        #expect(value(families.named("landing_store_connections_down"), "") == 1)
        #expect(value(families.named("landing_store_connections_lost_total"), "") == 2)
        #expect(value(families.named("landing_store_reconnects_total"), "") == 1)
        #expect(value(families.named("landing_store_notifications_received_total"), "") == 42)
        #expect(value(families.named("landing_store_notification_queue_usage"), "") == 0.125)
    }

    /// `landing_store_available` is 1 while every connection is up.
    @Test func families_ReportsAvailable_WhenHealthy() {
        let health = StoreHealth()
        health.connectionLost()
        health.connectionRestored()
        let families = StoreMetrics().families(health: health)
        #expect(value(families.named("landing_store_available"), "") == 1)
        #expect(value(families.named("landing_store_connections_down"), "") == 0)
        #expect(families.named("landing_store_queued_jobs") == nil)
        #expect(families.named("landing_store_notifications_received_total") == nil)
        #expect(families.named("landing_store_notification_queue_usage") == nil)
    }

    /// A queue length alone adds only the queued-jobs gauge (a pool over an embedded store reports no health).
    @Test func families_AddsOnlyQueuedGauge_WhenOnlyQueuedGiven() {
        let families = StoreMetrics().families(health: nil, queued: 0)
        #expect(families.map(\.name).last == "landing_store_queued_jobs")
        #expect(families.count == 4)
        #expect(value(families.named("landing_store_queued_jobs"), "") == 0)
    }

    /// The per-kind histogram has a series for each of callback, webhook, session and confirmation, even before any commit, labelled `kind` then `le`.
    @Test func commitSeconds_HasSeriesForEveryKind_WithKindLabelFirst() throws {
        let family = try #require(StoreMetrics().families(health: nil).named("landing_store_commit_seconds"))
        for kind in ["callback", "webhook", "session", "confirmation"] {
            let buckets = family.samples.filter { $0.suffix == "_bucket" && $0.labels.first == MetricLabel("kind", kind) }
            #expect(buckets.count == MetricHistogram.storeWriteBuckets.count + 1, "\(kind)")
            #expect(buckets.allSatisfy { $0.labels.count == 2 && $0.labels[1].name == "le" })
            #expect(buckets.last?.labels.last == MetricLabel("le", "+Inf"))
            #expect(value(family, "_count", [MetricLabel("kind", kind)]) == 0)
            #expect(value(family, "_sum", [MetricLabel("kind", kind)]) == 0)
        }
        #expect(StoreMetrics.WriteKind.allCases.map(\.rawValue) == ["callback", "webhook", "session", "confirmation"])
    }

    /// A confirmation from Pluggy's API has its own kind: it is not counted as a webhook.
    @Test func observeBatch_CountsConfirmations_AsTheirOwnKind() {
        let metrics = StoreMetrics()
        metrics.observeBatch(seconds: 0.002, writes: [confirmation("i1"), confirmation("i2")])
        #expect(kindCount(metrics, "confirmation") == 1)
        #expect(kindCount(metrics, "webhook") == 0)
        metrics.observeBatch(seconds: 0.002, writes: [webhook("w"), confirmation("i3"), callback("c")])
        #expect(kindCount(metrics, "confirmation") == 2)
        #expect(kindCount(metrics, "webhook") == 1)
        #expect(kindCount(metrics, "callback") == 1)
    }

    /// Every kind of store write maps to a label of its own kind.
    @Test func writeKind_MapsEveryStoreWrite() {
        #expect(StoreMetrics.WriteKind(callback("a")) == .callback)
        #expect(StoreMetrics.WriteKind(webhook("a")) == .webhook)
        #expect(StoreMetrics.WriteKind(createSession("a")) == .session)
        #expect(StoreMetrics.WriteKind(.deleteSession(id: "a")) == .session)
        #expect(StoreMetrics.WriteKind(confirmation("a")) == .confirmation)
    }

    /// A batch counts once in the batch histogram and once per kind of write it held, however many writes of that kind.
    @Test func observeBatch_CountsOncePerKindPresent() {
        let metrics = StoreMetrics()
        metrics.observeBatch(seconds: 0.003, writes: [callback("a"), callback("b"), webhook("c"), callback("d")])
        #expect(metrics.batches.snapshot().count == 1)
        #expect(kindCount(metrics, "callback") == 1)
        #expect(kindCount(metrics, "webhook") == 1)
        #expect(kindCount(metrics, "session") == 0)
    }

    /// Session creation and deletion both count as the `session` kind, once per batch.
    @Test func observeBatch_CountsCreateAndDelete_AsOneSessionKind() {
        let metrics = StoreMetrics()
        metrics.observeBatch(seconds: 0.002, writes: [createSession("s1"), .deleteSession(id: "s2"), createSession("s3")])
        #expect(kindCount(metrics, "session") == 1)
        #expect(kindCount(metrics, "callback") == 0)
        #expect(kindCount(metrics, "webhook") == 0)
        metrics.observeBatch(seconds: 0.002, writes: [.deleteSession(id: "s4")])
        #expect(kindCount(metrics, "session") == 2)
    }

    /// Each kind's series sums the seconds of the batches that held it; the batch histogram sums all.
    @Test func observeBatch_SumsSecondsPerKind() throws {
        let metrics = StoreMetrics()
        metrics.observeBatch(seconds: 0.5, writes: [callback("a")])
        metrics.observeBatch(seconds: 0.25, writes: [webhook("b"), callback("c")])
        let families = metrics.families(health: nil)
        let byKind = families.named("landing_store_commit_seconds")
        #expect(value(byKind, "_sum", [MetricLabel("kind", "callback")]) == 0.75)
        #expect(value(byKind, "_sum", [MetricLabel("kind", "webhook")]) == 0.25)
        #expect(value(byKind, "_count", [MetricLabel("kind", "callback")]) == 2)
        let batches = families.named("landing_store_write_seconds")
        #expect(value(batches, "_sum") == 0.75)
        #expect(value(batches, "_count") == 2)
        // 0.25 falls in the le="0.25" bucket, 0.5 in le="0.5".
        #expect(value(byKind, "_bucket", [MetricLabel("kind", "webhook"), MetricLabel("le", "0.25")]) == 1)
        #expect(value(byKind, "_bucket", [MetricLabel("kind", "callback"), MetricLabel("le", "0.25")]) == 1)
        #expect(value(byKind, "_bucket", [MetricLabel("kind", "callback"), MetricLabel("le", "0.5")]) == 2)
    }

    /// A batch with no writes counts in the batch histogram only.
    @Test func observeBatch_EmptyBatch_CountsNoKind() {
        let metrics = StoreMetrics()
        metrics.observeBatch(seconds: 0.001, writes: [])
        #expect(metrics.batches.snapshot().count == 1)
        for kind in StoreMetrics.WriteKind.allCases { #expect(kindCount(metrics, kind.rawValue) == 0) }
    }

    /// Queue waits land in `landing_store_queue_wait_seconds` and nowhere else.
    @Test func queueWait_IsExported() {
        let metrics = StoreMetrics()
        metrics.queueWait.observe(0.01)
        metrics.queueWait.observe(3)
        let families = metrics.families(health: nil)
        #expect(value(families.named("landing_store_queue_wait_seconds"), "_count") == 2)
        #expect(value(families.named("landing_store_queue_wait_seconds"), "_bucket", [MetricLabel("le", "+Inf")]) == 2)
        #expect(value(families.named("landing_store_queue_wait_seconds"), "_bucket", [MetricLabel("le", "2.5")]) == 1)
        #expect(value(families.named("landing_store_write_seconds"), "_count") == 0)
    }

    /// The families render as Prometheus text with one HELP and TYPE per family and labelled per-kind lines.
    @Test func families_RenderAsPrometheusText() {
        let metrics = StoreMetrics()
        metrics.observeBatch(seconds: 0.004, writes: [webhook("w")])
        let text = PrometheusText.render(metrics.families(health: StoreHealth(), notificationsReceived: 1, notificationQueueUsage: 0, queued: 2))
        #expect(text.contains("# TYPE landing_store_commit_seconds histogram\n"))
        #expect(text.contains("landing_store_commit_seconds_count{kind=\"webhook\"} 1\n"))
        #expect(text.contains("landing_store_commit_seconds_bucket{kind=\"callback\",le=\"+Inf\"} 0\n"))
        #expect(text.contains("landing_store_available 1\n"))
        #expect(text.contains("landing_store_queued_jobs 2\n"))
        #expect(text.contains("# TYPE landing_store_reconnects_total counter\n"))
        #expect(text.components(separatedBy: "# TYPE ").count - 1 == 10)
    }
}
