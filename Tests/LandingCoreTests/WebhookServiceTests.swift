import Foundation
import Synchronization
import Testing
@testable import LandingCore

private let secret = "whsec-0123456789abcdef"

/// A harness with webhooks enabled.
private func harness() -> LandingHarness { LandingHarness(webhookSecret: secret) }

/// The JSON body of a webhook.
private func payload(_ event: String, id eventId: String = UUID().uuidString, item itemId: String? = "it-1", extra: String = "") -> String {
    var fields = ["\"event\": \"\(event)\"", "\"eventId\": \"\(eventId)\""]
    if let itemId { fields.append("\"itemId\": \"\(itemId)\"") }
    if !extra.isEmpty { fields.append(extra) }
    return "{" + fields.joined(separator: ", ") + "}"
}

extension LandingHarness {
    /// POSTs `body` to /webhooks/pluggy with the secret (or `secretHeader`, or none) and a JSON content type.
    fileprivate func webhook(
        _ body: String, secretHeader: String? = secret, contentType: String = "application/json", headers extra: [(String, String)] = []
    ) -> HTTPResponse {
        var headers = [("Content-Type", contentType)] + extra
        if let secretHeader { headers.append(("X-Webhook-Secret", secretHeader)) }
        return send(.post, WebhookService.path, headers: headers, body: body)
    }
}

/// A store whose webhook writes fail (a broken disk) with `error`; everything else goes to a memory store.
private final class FailingWebhookStore: LandingStore {
    let base = MemoryStore()
    let error: StoreError
    init(_ error: StoreError = StoreError(.unavailable, "disk failed")) { self.error = error }
    func commit(_ writes: [StoreWrite]) throws(StoreError) -> StoreCommit {
        if writes.contains(where: { if case .webhook = $0 { true } else { false } }) { throw error }
        return try base.commit(writes)
    }
    func session(id: String) throws(StoreError) -> LandingRecord? { try base.session(id: id) }
    func item(id: String) throws(StoreError) -> LandingRecord? { try base.item(id: id) }
    func purge(updatedBefore cutoff: Int64) throws(StoreError) -> Int { try base.purge(updatedBefore: cutoff) }
}

/// Store access that queues jobs until the test runs them (like the store thread, later), and
/// can refuse jobs (like a worker that has shut down).
private final class ManualStoreAccess: LandingStoreAccess, @unchecked Sendable {  // why: all state behind `lock`.
    let store: any LandingStore
    private let lock = NSLock()
    private var jobs: [@Sendable () -> Void] = []
    private var refusing = false

    init(store: any LandingStore) { self.store = store }

    func refuse() { lock.withLock { refusing = true } }

    var queued: Int { lock.withLock { jobs.count } }

    func write(_ write: StoreWrite, completion: @escaping @Sendable (Result<StoreWriteResult, StoreError>) -> Void) {
        perform({ (store) throws(StoreError) -> StoreWriteResult in
            let commit = try store.commit([write])
            return commit.results[0]
        }, completion: completion)
    }

    func perform<T: Sendable>(
        _ work: @escaping @Sendable (LandingStore) throws(StoreError) -> T, completion: @escaping @Sendable (Result<T, StoreError>) -> Void
    ) {
        let store = self.store
        let accepted = lock.withLock { () -> Bool in
            guard !refusing else { return false }
            jobs.append {
                do throws(StoreError) {
                    completion(.success(try work(store)))
                } catch {
                    completion(.failure(error))
                }
            }
            return true
        }
        if !accepted { completion(.failure(StoreError(.unavailable, "shut down"))) }
    }

    /// Runs every queued job in order.
    func runAll() {
        let taken = lock.withLock { () -> [@Sendable () -> Void] in
            defer { jobs.removeAll() }
            return jobs
        }
        for job in taken { job() }
    }
}

/// A webhook request to hand straight to `WebhookService.handle`.
private func request(_ body: String) -> HTTPRequest {
    HTTPRequest(
        method: .post, target: WebhookService.path, path: WebhookService.path, query: nil, version: .http1_1,
        headers: HTTPHeaders([("Content-Type", "application/json"), ("X-Webhook-Secret", secret)]), body: Array(body.utf8))
}

/// A landing service over `access`, for handler tests that need their own store.
private func service(_ access: LandingStoreAccess) -> LandingService {
    LandingService(
        settings: LandingSettings(publicURL: "https://landing.example.com"), store: access,
        environment: LandingEnvironment(now: { 1_800_000_000_000 }, randomBytes: { [UInt8](repeating: 7, count: $0) }),
        templates: { LandingHarness.templates })
}

@Suite struct WebhookServiceTests {
    // MARK: - Enabling and the secret

    /// Without a configured secret the route does not exist: 404, nothing recorded.
    @Test func webhook_IsNotFound_WhenNoSecretConfigured() {
        let h = LandingHarness()
        let response = h.send(.post, WebhookService.path, headers: [("Content-Type", "application/json"), ("X-Webhook-Secret", secret)], body: payload("item/updated"))
        #expect(response.status == .notFound)
        #expect((try? h.store.item(id: "it-1")) == nil)
    }

    /// A missing, wrong, truncated, extended or repeated secret is 401 JSON and changes nothing.
    @Test(arguments: [nil, "", "wrong", String(secret.dropLast()), secret + "x", secret.uppercased()])
    func webhook_Rejects401_WhenSecretMissingOrWrong(presented: String?) throws {
        let h = harness()
        let response = h.webhook(payload("item/updated"), secretHeader: presented)
        #expect(response.status == .unauthorized)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(response.json["error"] as? String == "unauthorized")
        #expect(response.json["message"] is String)
        #expect(!response.text.contains(secret))
        #expect(try h.store.item(id: "it-1") == nil)
    }

    /// Two X-Webhook-Secret fields, even both right, are 401.
    @Test func webhook_Rejects401_WhenSecretHeaderRepeated() throws {
        let h = harness()
        let response = h.webhook(payload("item/updated"), headers: [("X-Webhook-Secret", secret)])
        #expect(response.status == .unauthorized)
        #expect(try h.store.item(id: "it-1") == nil)
    }

    /// The secret check is checked before anything else: an unauthenticated oversized or non-JSON body is still 401.
    @Test func webhook_ChecksSecretFirst_WhenRequestIsAlsoInvalid() {
        let h = harness()
        #expect(h.webhook(String(repeating: "x", count: WebhookService.maxBodyBytes + 1), secretHeader: "nope").status == .unauthorized)
        #expect(h.webhook("{}", secretHeader: nil, contentType: "text/plain").status == .unauthorized)
    }

    /// The comparison accepts exactly the secret, whatever the presented length.
    @Test func webhook_MatchesSecretExactly_WhenComparingInConstantTime() {
        let s = Array("abc".utf8)
        #expect(WebhookService.secretMatches(Array("abc".utf8), s))
        #expect(!WebhookService.secretMatches(Array("abd".utf8), s))
        #expect(!WebhookService.secretMatches(Array("abcabc".utf8), s), "a repetition of the secret cycles to zero difference but differs in length")
        #expect(!WebhookService.secretMatches(Array("ab".utf8), s))
        #expect(!WebhookService.secretMatches([], s))
        #expect(!WebhookService.secretMatches([], []))
    }

    // MARK: - Mapping

    /// `item/updated` for an unseen item answers 200 applied and creates it completed and confirmed.
    @Test func webhook_ConfirmsCompletion_WhenItemUpdated() throws {
        let h = harness()
        let response = h.webhook(payload("item/updated", extra: "\"triggeredBy\": \"SYNC\""))
        #expect(response.status == .ok)
        #expect(response.json["status"] as? String == "applied")
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(response.headers["Cache-Control"] == "no-store")
        let item = try #require(try h.store.item(id: "it-1"))
        #expect(item.status == .completed && item.confirmed && item.createdAt == h.clock.value.withLock { $0 })
        // The status API shows it.
        let status = h.send(.get, "/v1/items/it-1", headers: [("Authorization", "Bearer \(LandingHarness.apiKey)")])
        #expect(status.json["status"] as? String == "completed")
        #expect(status.json["confirmed"] as? Bool == true)
    }

    /// Each mapped event answers 200 and leaves a new item in its status, confirmed as the issue says.
    @Test(arguments: [
        ("item/updated", LandingStatus.completed, true), ("item/login_succeeded", .completed, true), ("item/error", .failed, true),
        ("item/waiting_user_input", .pending, false), ("item/waiting_user_action", .pending, false), ("item/deleted", .expired, true),
    ])
    func webhook_MapsEvent_ToStatus(event: String, status: LandingStatus, confirmed: Bool) throws {
        let h = harness()
        let response = h.webhook(payload(event))
        #expect(response.status == .ok, "\(event): \(response.text)")
        let item = try #require(try h.store.item(id: "it-1"))
        #expect(item.status == status, "\(event)")
        #expect(item.confirmed == confirmed, "\(event)")
    }

    /// `item/error` records Pluggy's code (NQSCHAR-sanitized) and its message as a display text: UTF-8 kept, controls gone, 300 characters.
    @Test func webhook_RecordsSanitizedError_WhenItemError() throws {
        let h = harness()
        let message = "Autoriza\\u00e7\\u00e3o \\\"negada\\\" <script>\\n" + String(repeating: "m", count: 600)
        let response = h.webhook(payload("item/error", extra: "\"error\": {\"code\": \"USER_AUTHORIZATION_NOT_GRANTED\", \"message\": \"\(message)\", \"providerMessage\": 1}"))
        #expect(response.status == .ok, "\(response.text)")
        let error = try #require(try h.store.item(id: "it-1")?.error)
        #expect(error.code == "USER_AUTHORIZATION_NOT_GRANTED")
        let description = try #require(error.description)
        #expect(description.hasPrefix("Autorização \"negada\" <script> mmm"))
        #expect(description.count == CallbackParameters.maxDisplayTextCharacters)
        #expect(description.hasSuffix("m…"))
    }

    /// `item/error` without an error object (or with error null) still fails the item, with code ITEM_ERROR.
    @Test func webhook_FailsWithDefaultCode_WhenItemErrorHasNoError() throws {
        let h = harness()
        #expect(h.webhook(payload("item/error", extra: "\"error\": null")).status == .ok)
        #expect(try h.store.item(id: "it-1")?.error == LandingError(code: WebhookRules.missingErrorCode, description: nil))
    }

    /// Unmapped item events and non-item events are 202 ignored and record nothing; they need no itemId.
    @Test(arguments: ["item/CREATED", "transactions/created", "connector/status_updated", "payment_intent/completed", "Item/Updated"])
    func webhook_Answers202Ignored_WhenEventNotMapped(event: String) throws {
        let h = harness()
        for body in [payload(event), payload(event, item: nil), payload(event, item: "not an item id!")] {
            let response = h.webhook(body)
            #expect(response.status == .accepted, "\(event): \(response.text)")
            #expect(response.json["status"] as? String == "ignored")
        }
        #expect(try h.store.item(id: "it-1") == nil)
    }

    /// Fields the handler does not use (Pluggy adds some over time) are accepted and ignored.
    @Test func webhook_AcceptsUnknownFields_WhenPayloadHasMore() throws {
        let h = harness()
        let response = h.webhook(payload("item/updated", extra: "\"clientUserId\": \"u-1\", \"data\": {\"x\": [1, 2]}, \"createdAt\": \"2025-01-01T00:00:00Z\""))
        #expect(response.status == .ok, "\(response.text)")
        #expect(try h.store.item(id: "it-1")?.confirmed == true)
    }

    /// `Content-Type: application/json; charset=utf-8` (any case) is accepted.
    @Test func webhook_AcceptsJSONWithParameters_WhenContentTypeHasCharset() {
        let h = harness()
        #expect(h.webhook(payload("item/updated"), contentType: "Application/JSON; charset=utf-8").status == .ok)
    }

    // MARK: - Replays

    /// A replayed event id answers 200 duplicate and changes nothing, even when its content differs.
    @Test func webhook_AnswersDuplicate_WhenEventIdReplays() throws {
        let h = harness()
        #expect(h.webhook(payload("item/updated", id: "ev-1")).json["status"] as? String == "applied")
        let before = try h.store.item(id: "it-1")
        h.advance(seconds: 5)
        for body in [payload("item/updated", id: "ev-1"), payload("item/error", id: "ev-1")] {
            let response = h.webhook(body)
            #expect(response.status == .ok)
            #expect(response.json["status"] as? String == "duplicate")
        }
        #expect(try h.store.item(id: "it-1") == before)
    }

    // MARK: - Rejections

    /// Malformed payloads are 400 JSON with a stable code, and record nothing.
    @Test(arguments: [
        ("not json", "invalid_json"), ("[]", "invalid_json"), ("\"item/updated\"", "invalid_json"), ("", "invalid_json"),
        ("{\"eventId\": \"e\", \"itemId\": \"it-1\"}", "invalid_request"),
        ("{\"event\": \"\", \"eventId\": \"e\", \"itemId\": \"it-1\"}", "invalid_request"),
        ("{\"event\": 1, \"eventId\": \"e\", \"itemId\": \"it-1\"}", "invalid_request"),
        ("{\"event\": \"item/updated\", \"itemId\": \"it-1\"}", "invalid_request"),
        ("{\"event\": \"item/updated\", \"eventId\": \"\", \"itemId\": \"it-1\"}", "invalid_request"),
        ("{\"event\": \"item/updated\", \"eventId\": 12, \"itemId\": \"it-1\"}", "invalid_request"),
        ("{\"event\": \"item/updated\", \"eventId\": \"\(String(repeating: "e", count: 129))\", \"itemId\": \"it-1\"}", "invalid_request"),
        ("{\"event\": \"item/updated\", \"eventId\": \"ev\\u00e9\", \"itemId\": \"it-1\"}", "invalid_request"),
        ("{\"event\": \"item/updated\", \"eventId\": \"ev\\n1\", \"itemId\": \"it-1\"}", "invalid_request"),
        ("{\"event\": \"item/updated\", \"eventId\": \"e\"}", "invalid_request"),
        ("{\"event\": \"item/updated\", \"eventId\": \"e\", \"itemId\": \"\"}", "invalid_request"),
        ("{\"event\": \"item/updated\", \"eventId\": \"e\", \"itemId\": 5}", "invalid_request"),
        ("{\"event\": \"item/updated\", \"eventId\": \"e\", \"itemId\": \"it/1\"}", "invalid_request"),
        ("{\"event\": \"item/updated\", \"eventId\": \"e\", \"itemId\": \"\(String(repeating: "i", count: 129))\"}", "invalid_request"),
        ("{\"event\": \"item/updated\", \"eventId\": \"e\", \"itemId\": \"it-1\", \"triggeredBy\": 3}", "invalid_request"),
        ("{\"event\": \"item/error\", \"eventId\": \"e\", \"itemId\": \"it-1\", \"error\": \"boom\"}", "invalid_request"),
        ("{\"event\": \"item/error\", \"eventId\": \"e\", \"itemId\": \"it-1\", \"error\": {\"message\": \"m\"}}", "invalid_request"),
        ("{\"event\": \"item/error\", \"eventId\": \"e\", \"itemId\": \"it-1\", \"error\": {\"code\": \"\"}}", "invalid_request"),
        ("{\"event\": \"item/error\", \"eventId\": \"e\", \"itemId\": \"it-1\", \"error\": {\"code\": \"X\", \"message\": 4}}", "invalid_request"),
    ])
    func webhook_Rejects400_WhenPayloadMalformed(body: String, code: String) throws {
        let h = harness()
        let response = h.webhook(body)
        #expect(response.status == .badRequest, "\(body): \(response.text)")
        #expect(response.json["error"] as? String == code, "\(body)")
        #expect(response.json["message"] is String)
        #expect(try h.store.item(id: "it-1") == nil)
    }

    /// A body over 64 KiB is 413 JSON (when the server's parser lets it through at all).
    @Test func webhook_Rejects413_WhenBodyTooLarge() throws {
        let h = harness()
        let padding = String(repeating: "p", count: WebhookService.maxBodyBytes)
        let response = h.webhook(payload("item/updated", extra: "\"pad\": \"\(padding)\""))
        #expect(response.status == .contentTooLarge)
        #expect(response.json["error"] as? String == "payload_too_large")
        #expect(try h.store.item(id: "it-1") == nil)
        // Exactly at the limit is fine.
        let fits = payload("item/updated", extra: "\"pad\": \"\"")
        let exact = fits.replacingOccurrences(of: "\"pad\": \"\"", with: "\"pad\": \"\(String(repeating: "p", count: WebhookService.maxBodyBytes - fits.utf8.count))\"")
        #expect(exact.utf8.count == WebhookService.maxBodyBytes)
        #expect(h.webhook(exact).status == .ok)
    }

    /// A body that is not declared as JSON is 415.
    @Test(arguments: ["text/plain", "application/x-www-form-urlencoded", "application/jsonx", ""])
    func webhook_Rejects415_WhenNotJSON(contentType: String) throws {
        let h = harness()
        let response = h.webhook(payload("item/updated"), contentType: contentType)
        #expect(response.status == .unsupportedMediaType)
        #expect(response.json["error"] as? String == "unsupported_media_type")
        #expect(try h.store.item(id: "it-1") == nil)
    }

    /// Only POST exists on the route: GET is 405.
    @Test func webhook_Answers405_WhenMethodIsNotPost() {
        #expect(harness().send(.get, WebhookService.path).status == .methodNotAllowed)
    }

    // MARK: - Store and waiters

    /// Long-polls on the item and on the session bound to it wake when a webhook changes them.
    @Test func webhook_WakesWaiters_WhenApplied() throws {
        let h = harness()
        let (_, sessionId) = h.createSession()
        let id = try #require(sessionId)
        _ = h.send(.get, "/oauth/callback/\(id)?itemId=it-1", headers: [("User-Agent", UA.iPhone)])
        let woken = Mutex<[String]>([])
        let w = h.service.waiters
        w.wait(try w.reserve(owner: "t").get(), for: .item("it-1")) { wake in woken.withLock { $0.append("item \(wake)") } }
        w.wait(try w.reserve(owner: "t").get(), for: .session(id)) { wake in woken.withLock { $0.append("session \(wake)") } }
        w.wait(try w.reserve(owner: "t").get(), for: .item("it-other")) { wake in woken.withLock { $0.append("other \(wake)") } }
        #expect(h.webhook(payload("item/error", extra: "\"error\": {\"code\": \"X\"}")).status == .ok)
        #expect(woken.withLock { $0 }.sorted() == ["item changed", "session changed"])
        let session = try #require(try h.store.session(id: id))
        #expect(session.status == .failed && session.confirmed)
    }

    /// A duplicate wakes nobody.
    @Test func webhook_WakesNobody_WhenDuplicate() throws {
        let h = harness()
        _ = h.webhook(payload("item/updated", id: "ev-1"))
        let woken = Mutex(0)
        h.service.waiters.wait(try h.service.waiters.reserve(owner: "t").get(), for: .item("it-1")) { _ in woken.withLock { $0 += 1 } }
        #expect(h.webhook(payload("item/updated", id: "ev-1")).json["status"] as? String == "duplicate")
        #expect(woken.withLock { $0 } == 0)
    }

    /// A store failure is 503 JSON with Retry-After when retrying may help, 500 when the store is corrupt; never a 2xx.
    @Test(arguments: [
        (StoreError.Kind.unavailable, 503, "store_unavailable"), (.conflict, 503, "store_unavailable"), (.corrupt, 500, "store_error"),
    ])
    func webhook_AnswersByErrorKind_WhenStoreFails(kind: StoreError.Kind, status: Int, code: String) {
        let webhooks = WebhookService(service: service(InlineStoreAccess(store: FailingWebhookStore(StoreError(kind, "x")))), secret: secret)
        guard case .deferred(let work) = webhooks.handle(request(payload("item/updated"))) else {
            Issue.record("answered without the store")
            return
        }
        let answer = Mutex<HTTPResponse?>(nil)
        work { build in answer.withLock { $0 = build() } }
        let response = answer.withLock { $0 }
        #expect(response?.status.code == status)
        #expect(response?.json["error"] as? String == code)
        #expect((response?.headers["Retry-After"] != nil) == (status == 503))
    }

    /// A webhook is answered only once its store write ran (is durable), in submission order.
    @Test func webhook_AnswersOnlyAfterStoreWrite() throws {
        let access = ManualStoreAccess(store: MemoryStore())
        let webhooks = WebhookService(service: service(access), secret: secret)
        let answers = Mutex<[String]>([])
        for index in 0..<5 {
            guard case .deferred(let work) = webhooks.handle(request(payload("item/updated", id: "ev-\(index % 4)", item: "it-\(index)"))) else {
                Issue.record("answered without the store")
                return
            }
            work { build in answers.withLock { $0.append(build().json["status"] as? String ?? "?") } }
        }
        #expect(answers.withLock { $0 }.isEmpty, "answered before the store ran")
        #expect(access.queued == 5)
        access.runAll()
        #expect(answers.withLock { $0 } == ["applied", "applied", "applied", "applied", "duplicate"])
        #expect(try access.store.item(id: "it-4") == nil)
    }

    /// Webhooks whose store job is refused (the worker shut down) are answered 503, none left hanging.
    @Test func webhook_Answers503_WhenStoreRefusesWork() {
        let access = ManualStoreAccess(store: MemoryStore())
        access.refuse()
        let webhooks = WebhookService(service: service(access), secret: secret)
        let answers = Mutex<[Int]>([])
        for index in 0..<3 {
            guard case .deferred(let work) = webhooks.handle(request(payload("item/updated", id: "ev-\(index)"))) else { return }
            work { build in answers.withLock { $0.append(build().status.code) } }
        }
        #expect(answers.withLock { $0 } == [503, 503, 503])
    }
}
