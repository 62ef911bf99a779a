/// The landing flow's counters: `landing_callbacks_total{outcome,test}`,
/// `landing_webhook_events_total{event,result}`, `landing_sessions_created_total` and
/// `landing_sessions_expired_total`. Every series exists from the start (zeros included), so rates
/// work from the first scrape; incrementing is one atomic add, no lock.
public final class LandingFlowMetrics: LandingMetricsSink {
    /// Pluggy's webhook event names (https://docs.pluggy.ai/docs/webhooks); others count as `other`.
    public static let knownWebhookEvents: [String] = [
        "item/created", "item/updated", "item/deleted", "item/error", "item/waiting_user_input", "item/waiting_user_action",
        "item/login_succeeded", "connector/status_updated", "transactions/created", "transactions/updated",
        "transactions/deleted", "payment_intent/created", "payment_intent/completed",
        "payment_intent/waiting_payer_authorization", "payment_intent/error",
    ]
    /// The `event` label of webhook events not in `knownWebhookEvents`.
    public static let otherWebhookEvent = "other"

    /// Indexed by `outcome index * 2 + (isTest ? 1 : 0)`.
    private let callbacks: [MetricCounter]
    /// Per event name, one counter per `WebhookMetricResult` (in `allCases` order). Never mutated
    /// after `init`, so lookups from any thread are safe.
    private let webhooks: [String: [MetricCounter]]
    private let sessionsCreated = MetricCounter()
    private let sessionsExpired = MetricCounter()

    public init() {
        callbacks = (0..<(CallbackMetricOutcome.allCases.count * 2)).map { _ in MetricCounter() }
        var webhooks: [String: [MetricCounter]] = [:]
        for event in Self.knownWebhookEvents + [Self.otherWebhookEvent] {
            webhooks[event] = WebhookMetricResult.allCases.map { _ in MetricCounter() }
        }
        self.webhooks = webhooks
    }

    public func callback(outcome: CallbackMetricOutcome, isTest: Bool) {
        callbacks[Self.index(outcome, isTest)].increment()
    }

    public func webhook(event: String?, result: WebhookMetricResult) {
        let counters = event.flatMap { webhooks[$0] } ?? webhooks[Self.otherWebhookEvent]!
        counters[Self.resultIndex[result]!].increment()
    }

    public func sessionCreated() { sessionsCreated.increment() }

    public func sessionExpired() { sessionsExpired.increment() }

    /// The families: callbacks by outcome (in `CallbackMetricOutcome` order) and test flag; webhook
    /// requests by event (`knownWebhookEvents` order, then `other`) and result
    /// (`WebhookMetricResult` order); sessions created; sessions expired.
    public func families() -> [MetricFamily] {
        var callbackSamples: [MetricSample] = []
        for outcome in CallbackMetricOutcome.allCases {
            for isTest in [false, true] {
                callbackSamples.append(
                    MetricSample(
                        labels: [MetricLabel("outcome", outcome.rawValue), MetricLabel("test", isTest ? "true" : "false")],
                        value: Double(callbacks[Self.index(outcome, isTest)].value)))
            }
        }
        let webhookSamples = (Self.knownWebhookEvents + [Self.otherWebhookEvent]).flatMap { event in
            zip(WebhookMetricResult.allCases, webhooks[event]!).map { result, counter in
                MetricSample(labels: [MetricLabel("event", event), MetricLabel("result", result.rawValue)], value: Double(counter.value))
            }
        }
        return [
            MetricFamily(
                name: "landing_callbacks_total", help: "OAuth callback pages shown, by outcome and whether the record is a QA test.",
                kind: .counter, samples: callbackSamples),
            MetricFamily(
                name: "landing_webhook_events_total",
                help: "Pluggy webhook requests, by event (unknown or unread as other) and result (applied, duplicate, ignored, rejected, unavailable).",
                kind: .counter, samples: webhookSamples),
            .single(
                "landing_sessions_created_total", help: "Sessions created (POST /v1/sessions, QA sessions included).", kind: .counter,
                value: Double(sessionsCreated.value)),
            .single(
                "landing_sessions_expired_total", help: "Sessions created by this process that reached their expiry still pending.",
                kind: .counter, value: Double(sessionsExpired.value)),
        ]
    }

    private static let resultIndex: [WebhookMetricResult: Int] = Dictionary(
        uniqueKeysWithValues: WebhookMetricResult.allCases.enumerated().map { ($1, $0) })

    private static let outcomeIndex: [CallbackMetricOutcome: Int] = Dictionary(
        uniqueKeysWithValues: CallbackMetricOutcome.allCases.enumerated().map { ($1, $0) })

    private static func index(_ outcome: CallbackMetricOutcome, _ isTest: Bool) -> Int {
        outcomeIndex[outcome]! * 2 + (isTest ? 1 : 0)
    }
}
