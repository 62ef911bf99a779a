import Foundation
import Synchronization

/// `POST /webhooks/pluggy`: Pluggy's item events, so apps learn the outcome even when the OS
/// caught the redirect and the browser never reached the callback page (domain notes, item 5).
///
/// Installed only when the server has a webhook secret. Checks, in order: the secret in
/// `X-Webhook-Secret` (constant time; Pluggy signs nothing, a custom header is all it offers) →
/// 401; the body size → 413; `Content-Type: application/json` → 415; the payload → 400. An event
/// `WebhookRules` does not map is answered 202 `{"status":"ignored"}` without touching the store
/// (so it is not deduplicated: a replay is ignored again, the same way). A mapped event goes to
/// the store and is answered only once the store call returned, i.e. once the change is durable:
/// 200 `{"status":"applied"}`, or `{"status":"duplicate"}` for an event id already applied; 503
/// when the store failed (Pluggy retries). Long-polls on the item and its bound session wake (the
/// store access announces the change).
///
/// Webhooks arriving together are applied in one store transaction (one fsync for the lot: the
/// store worker group-commits every queued write), so a burst stays well inside Pluggy's 5-second
/// answer budget. A store failure is 503 (`.unavailable`, `.conflict`: Pluggy retries) or 500
/// (`.corrupt`; Pluggy retries that too).
public struct WebhookService: Sendable {
    /// The route.
    public static let path = "/webhooks/pluggy"
    /// The header carrying the shared secret.
    public static let secretHeader = "X-Webhook-Secret"
    /// Largest body accepted (Pluggy's payloads are a few hundred bytes).
    public static let maxBodyBytes = 64 * 1024
    /// Longest `eventId` and `event` accepted.
    public static let maxIdentifierLength = 128
    /// Longest `triggeredBy` kept; longer ones are truncated.
    public static let maxTriggeredByLength = 64

    let service: LandingService
    private let secret: [UInt8]

    /// A handler checking requests against `secret` (non-empty).
    public init(service: LandingService, secret: String) {
        precondition(!secret.isEmpty, "the webhook secret must not be empty")
        self.service = service
        self.secret = Array(secret.utf8)
    }

    /// Adds `POST /webhooks/pluggy` to `router` when `secret` is set; without one the route does
    /// not exist (404), so an unconfigured server never accepts unauthenticated state changes.
    public static func install(into router: inout Router<RouteHandler>, service: LandingService, secret: String?) {
        guard let secret, !secret.isEmpty else { return }
        WebhookService(service: service, secret: secret).install(into: &router)
    }

    public func install(into router: inout Router<RouteHandler>) {
        let handler = self
        router.add(.post, Self.path) { request, context, _ in handler.handle(request, requestID: context.requestID) }
    }

    // MARK: - Handling

    /// Answers one webhook request, counted once in `landing_webhook_events_total` by its result.
    public func handle(_ request: HTTPRequest, requestID: String? = nil) -> HandlerResult {
        let metrics = service.metrics
        let presented = request.headers.values(Self.secretHeader)
        guard presented.count == 1, Self.secretMatches(Array(presented[0].utf8), secret) else {
            metrics.webhook(event: nil, result: .rejected)
            service.events.record(
                LandingEvent(kind: .authenticationFailure, requestID: requestID, outcome: presented.isEmpty ? "missing" : "invalid", detail: "webhook"))
            let message = presented.isEmpty ? "Send the webhook secret in \(Self.secretHeader)." : "The webhook secret is not valid."
            return .response(APIResponse.error(.unauthorized, "unauthorized", message))
        }
        guard request.body.count <= Self.maxBodyBytes else {
            metrics.webhook(event: nil, result: .rejected)
            return .response(APIResponse.error(.contentTooLarge, "payload_too_large", "The body must be at most \(Self.maxBodyBytes) bytes."))
        }
        guard Self.isJSON(request.headers["Content-Type"]) else {
            metrics.webhook(event: nil, result: .rejected)
            return .response(APIResponse.error(.unsupportedMediaType, "unsupported_media_type", "Send the webhook as application/json."))
        }
        let parsed: Parsed
        switch Self.parse(request.body, receivedAt: service.environment.now()) {
        case .success(let p): parsed = p
        case .failure(let rejection):
            metrics.webhook(event: nil, result: .rejected)
            service.events.record(LandingEvent(kind: .webhook, requestID: requestID, outcome: "rejected", errorCode: rejection.code))
            return .response(APIResponse.error(.badRequest, rejection.code, rejection.message))
        }
        switch parsed {
        case .ignored(let event):
            metrics.webhook(event: event, result: .ignored)
            service.events.record(LandingEvent(kind: .webhook, requestID: requestID, outcome: "ignored", detail: event))
            return .response(Self.status(.accepted, "ignored"))
        case .mapped(let event):
            return apply(event, requestID: requestID)
        }
    }

    /// Hands `event` to the store and answers once it is durable.
    private func apply(_ event: WebhookEvent, requestID: String?) -> HandlerResult {
        let store = service.store
        let itemSeen = service.itemSeen
        let events = service.events
        let metrics = service.metrics
        return .deferred { complete in
            // Group-committed with whatever else is queued; the store access wakes the long-polls.
            store.applyWebhook(event) { result in
                let outcome: WebhookMetricResult
                switch result {
                case .success(.applied): outcome = .applied
                case .success(.duplicate): outcome = .duplicate
                case .success(.ignored): outcome = .ignored
                case .failure: outcome = .unavailable
                }
                metrics.webhook(event: event.event, result: outcome)
                events.record(
                    LandingEvent(
                        kind: .webhook, requestID: requestID, itemId: event.itemId, outcome: outcome.rawValue, errorCode: event.error?.code,
                        detail: event.event))
                switch result {
                case .success(.applied):
                    complete { Self.status(.ok, "applied") }
                    itemSeen?(event.itemId)
                case .success(.duplicate):
                    complete { Self.status(.ok, "duplicate") }
                case .success(.ignored):
                    complete { Self.status(.accepted, "ignored") }
                case .failure(let error):
                    complete { APIResponse.storeFailure(error, retry: "The event could not be stored; retry.") }
                }
            }
        }
    }

    static func status(_ status: HTTPStatus, _ word: String) -> HTTPResponse {
        APIResponse.json(status, ["status": word])
    }

    /// Compares the presented secret with the configured one in time that depends only on the
    /// presented length (every presented byte is compared, cycling over the secret), so neither
    /// the position of the first difference nor the secret's length leaks.
    static func secretMatches(_ presented: [UInt8], _ secret: [UInt8]) -> Bool {
        guard !secret.isEmpty else { return false }
        var diff: UInt8 = presented.count == secret.count ? 0 : 1
        for (index, byte) in presented.enumerated() {
            diff |= byte ^ secret[index % secret.count]
        }
        return diff == 0
    }

    /// `application/json`, with or without parameters (`; charset=utf-8`), any case.
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return mediaType.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
    }

    // MARK: - Payload

    /// A payload that passed validation.
    enum Parsed: Equatable {
        /// An event the rules do not map; only `event` and `eventId` were required.
        case ignored(event: String)
        case mapped(WebhookEvent)
    }

    /// Why a payload was refused (400): a stable code and a message that quotes no input.
    struct Rejection: Error, Equatable {
        var code: String
        var message: String
        static func invalid(_ message: String) -> Rejection { Rejection(code: "invalid_request", message: message) }
    }

    /// Validates Pluggy's payload `{event, eventId, itemId, triggeredBy?, error?: {code, message}}`.
    ///
    /// Strict on the fields it uses: `event` and `eventId` are 1 to 128 printable ASCII characters;
    /// for a mapped event `itemId` is an item id (`CallbackParameters.isValidItemId`), `triggeredBy`
    /// a string or null, `error` null or an object whose `code` is a non-empty string and whose
    /// `message` is a string or null (both sanitized like OAuth error texts). Other fields are
    /// ignored: Pluggy adds fields over time (`clientUserId`, `accountId`...), and refusing them
    /// would make it retry a good delivery forever. An ignored event needs no `itemId`
    /// (`connector/status_updated` has none).
    static func parse(_ body: [UInt8], receivedAt: Int64) -> Result<Parsed, Rejection> {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return .failure(Rejection(code: "invalid_json", message: "The body must be a JSON object."))
        }
        guard let event = object["event"] as? String, isIdentifier(event) else {
            return .failure(.invalid("event must be a string of 1 to \(maxIdentifierLength) printable ASCII characters."))
        }
        guard let eventId = object["eventId"] as? String, isIdentifier(eventId) else {
            return .failure(.invalid("eventId must be a string of 1 to \(maxIdentifierLength) printable ASCII characters."))
        }
        let probe = WebhookEvent(event: event, eventId: eventId, itemId: "", receivedAt: receivedAt)
        guard WebhookRules.effect(of: probe) != nil else { return .success(.ignored(event: event)) }

        guard let itemId = object["itemId"] as? String, CallbackParameters.isValidItemId(itemId) else {
            return .failure(.invalid("itemId must be 1 to \(CallbackParameters.maxItemIdLength) characters of A-Z a-z 0-9 . _ -."))
        }
        var triggeredBy: String?
        switch object["triggeredBy"] {
        case nil, is NSNull: break
        case let text as String: triggeredBy = CallbackParameters.sanitize(text, maxLength: maxTriggeredByLength)
        default: return .failure(.invalid("triggeredBy must be a string or null."))
        }
        var error: LandingError?
        switch object["error"] {
        case nil, is NSNull: break
        case let fields as [String: Any]:
            guard let code = fields["code"] as? String, !code.isEmpty else {
                return .failure(.invalid("error.code must be a non-empty string."))
            }
            var description: String?
            switch fields["message"] {
            case nil, is NSNull: break
            case let text as String: description = CallbackParameters.displayText(text)
            default: return .failure(.invalid("error.message must be a string or null."))
            }
            error = LandingError(code: CallbackParameters.sanitize(code, maxLength: CallbackParameters.maxErrorCodeLength), description: description)
        default:
            return .failure(.invalid("error must be an object or null."))
        }
        return .success(.mapped(WebhookEvent(
            event: event, eventId: eventId, itemId: itemId, triggeredBy: triggeredBy, error: error, receivedAt: receivedAt)))
    }

    /// 1 to `maxIdentifierLength` bytes of printable ASCII (`%x20-7E`).
    static func isIdentifier(_ text: String) -> Bool {
        (1...maxIdentifierLength).contains(text.utf8.count) && text.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }
    }
}
