import Foundation
import Testing

@testable import LandingCore

/// One event per callback outcome, webhook result and authentication failure — the log lines a support engineer reads.
@Suite struct LandingEventTests {
    static let auth = ("Authorization", "Bearer \(LandingHarness.apiKey)")

    /// A completed and a failed callback each record one event with the request id, item, session, outcome and error code.
    @Test func callback_RecordsOneEventPerOutcome() throws {
        let h = LandingHarness()
        let sessionId = try #require(h.createSession().id)
        _ = h.send(.get, "/oauth/callback/\(sessionId)?itemId=ev-1&code=c0de&state=st4te")
        _ = h.send(.get, "/oauth/callback?itemId=ev-2&error=access_denied&error_description=no")
        _ = h.send(.get, "/oauth/callback/not-a-session-id?itemId=ev-3")
        let callbacks = h.events.all.filter { $0.kind == .callback }
        #expect(callbacks.count == 3)
        #expect(callbacks[0] == LandingEvent(kind: .callback, requestID: "t", itemId: "ev-1", sessionId: sessionId, outcome: "completed"))
        #expect(callbacks[1] == LandingEvent(kind: .callback, requestID: "t", itemId: "ev-2", outcome: "failed", errorCode: "access_denied"))
        // An id that cannot be a session is not echoed into the log.
        #expect(callbacks[2].outcome == "expired" && callbacks[2].sessionId == nil)
    }

    /// Webhooks record applied, duplicate, ignored and rejected; a wrong or missing secret records an authentication failure.
    @Test func webhook_RecordsResultAndAuthenticationFailures() throws {
        let h = LandingHarness(webhookSecret: "whsec-0123456789abcdef")
        func post(_ body: String, secret: String? = "whsec-0123456789abcdef") {
            var headers = [("Content-Type", "application/json")]
            if let secret { headers.append(("X-Webhook-Secret", secret)) }
            _ = h.send(.post, "/webhooks/pluggy", headers: headers, body: body)
        }
        let body = #"{"event": "item/error", "eventId": "e-1", "itemId": "wh-1", "error": {"code": "USER_AUTHORIZATION_NOT_GRANTED", "message": "x"}}"#
        post(body)
        post(body)
        post(#"{"event": "transactions/created", "eventId": "e-2"}"#)
        post("not json")
        post(body, secret: "wrong-secret-0000000000")
        post(body, secret: nil)
        let webhooks = h.events.all.filter { $0.kind == .webhook }.map(\.outcome)
        #expect(webhooks == ["applied", "duplicate", "ignored", "rejected"])
        #expect(h.events.all.first { $0.kind == .webhook }?.errorCode == "USER_AUTHORIZATION_NOT_GRANTED")
        #expect(h.events.all.first { $0.kind == .webhook }?.detail == "item/error")
        let failures = h.events.all.filter { $0.kind == .authenticationFailure }
        #expect(failures.map(\.outcome) == ["invalid", "missing"])
        #expect(failures.allSatisfy { $0.detail == "webhook" })
    }

    /// The app API records an authentication failure for a missing or wrong key (never the key itself).
    @Test func api_RecordsAuthenticationFailures() {
        let h = LandingHarness()
        _ = h.send(.get, "/v1/items/x")
        _ = h.send(.get, "/v1/items/x", headers: [("Authorization", "Bearer not-the-key-0123456789")])
        _ = h.send(.get, "/v1/items/x", headers: [Self.auth])
        let failures = h.events.all.filter { $0.kind == .authenticationFailure }
        #expect(failures == [
            LandingEvent(kind: .authenticationFailure, requestID: "t", outcome: "missing", detail: "api"),
            LandingEvent(kind: .authenticationFailure, requestID: "t", outcome: "invalid", detail: "api"),
        ])
    }

    /// The log fields of an event: `test` is a JSON boolean, absent ids are left out, `event` or `what` carries the detail.
    @Test func logFields_WriteTestAsABoolean_AndOnlyKnownIds() {
        func text(_ event: LandingEvent) -> String {
            var line = JSONLine()
            for (key, value) in event.logFields(instance: "host:1").sorted(by: { $0.key < $1.key }) { line.add(key, value: value.logValue) }
            return String(decoding: line.finished(), as: UTF8.self)
        }
        let callback = LandingEvent(kind: .callback, requestID: "req-1", itemId: "it-1", sessionId: "s-1", outcome: "completed", isTest: true)
        #expect(text(callback) == #"{"instance":"host:1","item_id":"it-1","outcome":"completed","request_id":"req-1","session_id":"s-1","test":true}"# + "\n")
        let webhook = LandingEvent(kind: .webhook, requestID: nil, itemId: "it-2", outcome: "applied", errorCode: "E", detail: "item/error")
        #expect(text(webhook) == #"{"error_code":"E","event":"item/error","instance":"host:1","item_id":"it-2","outcome":"applied","test":false}"# + "\n")
        let failure = LandingEvent(kind: .authenticationFailure, requestID: "req-3", outcome: "missing", detail: "api")
        #expect(text(failure) == #"{"instance":"host:1","outcome":"missing","request_id":"req-3","what":"api"}"# + "\n")
    }

    /// The support line's fields, written in fixed order, equal its metadata sorted by key, for every kind and every field present or absent.
    @Test func landingEvent_AddLogFields_EqualsSortedLogFields() {
        let kinds: [LandingEvent.Kind] = [.callback, .webhook, .authenticationFailure]
        var checked = 0
        for kind in kinds {
            for mask in 0..<64 {
                func value(_ bit: Int, _ text: String) -> String? { mask & (1 << bit) != 0 ? text : nil }
                let event = LandingEvent(
                    kind: kind, requestID: value(0, "req-1"), itemId: value(1, "it\"em\u{2028}"), sessionId: value(2, "s-1"),
                    outcome: "completed", errorCode: value(3, "E_1"), isTest: mask & 16 != 0, detail: value(5, "item/error"))
                var sorted = JSONLine()
                for (key, value) in event.logFields(instance: "host:1").sorted(by: { $0.key < $1.key }) { sorted.add(key, value: value.logValue) }
                var fixed = JSONLine()
                event.addLogFields(instance: "host:1", to: &fixed)
                #expect(String(decoding: fixed.finished(), as: UTF8.self) == String(decoding: sorted.finished(), as: UTF8.self), "\(event)")
                checked += 1
            }
        }
        #expect(checked == 192)
    }
}
