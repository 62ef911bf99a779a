/// The landing flow's counters: `landing_callbacks_total{outcome,test}` and
/// `landing_webhook_events_total{event}`. Every series exists from the start (zeros included), so
/// rates work from the first scrape; incrementing is one atomic add, no lock.
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
    /// Never mutated after `init`, so lookups from any thread are safe.
    private let webhooks: [String: MetricCounter]

    public init() {
        callbacks = (0..<(CallbackMetricOutcome.allCases.count * 2)).map { _ in MetricCounter() }
        var webhooks: [String: MetricCounter] = [:]
        for event in Self.knownWebhookEvents + [Self.otherWebhookEvent] { webhooks[event] = MetricCounter() }
        self.webhooks = webhooks
    }

    public func callback(outcome: CallbackMetricOutcome, isTest: Bool) {
        callbacks[Self.index(outcome, isTest)].increment()
    }

    public func webhook(event: String) {
        (webhooks[event] ?? webhooks[Self.otherWebhookEvent]!).increment()
    }

    /// Both families: callbacks by outcome (in `CallbackMetricOutcome` order) and test flag, webhook
    /// events in `knownWebhookEvents` order, then `other`.
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
        let webhookSamples = (Self.knownWebhookEvents + [Self.otherWebhookEvent]).map { event in
            MetricSample(labels: [MetricLabel("event", event)], value: Double(webhooks[event]!.value))
        }
        return [
            MetricFamily(
                name: "landing_callbacks_total", help: "OAuth callback pages shown, by outcome and whether the record is a QA test.",
                kind: .counter, samples: callbackSamples),
            MetricFamily(
                name: "landing_webhook_events_total", help: "Pluggy webhook events accepted, by event (unknown events as other).",
                kind: .counter, samples: webhookSamples),
        ]
    }

    private static let outcomeIndex: [CallbackMetricOutcome: Int] = Dictionary(
        uniqueKeysWithValues: CallbackMetricOutcome.allCases.enumerated().map { ($1, $0) })

    private static func index(_ outcome: CallbackMetricOutcome, _ isTest: Bool) -> Int {
        outcomeIndex[outcome]! * 2 + (isTest ? 1 : 0)
    }
}
