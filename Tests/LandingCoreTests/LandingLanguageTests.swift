import Foundation
import Testing

@testable import LandingCore

/// Spanish beside English and Portuguese, a session's own language, and where a confirmation came from.
@Suite struct LandingLanguageTests {
    static let auth = ("Authorization", "Bearer \(LandingHarness.apiKey)")

    /// A Spanish-speaking browser gets the Spanish page.
    @Test func page_SpanishBrowser_GetsSpanishPage() {
        let r = LandingHarness().send(.get, "/oauth/callback?itemId=es-1", headers: [("Accept-Language", "es-MX,es;q=0.9,en;q=0.5")])
        #expect(r.text.contains("<html lang=\"es\""))
        #expect(r.text.contains("Conexión completada"))
    }

    /// A session created with `language` shows its page in that language, whatever the browser asks for.
    @Test func session_Language_WinsOverAcceptLanguage() throws {
        let h = LandingHarness()
        let created = h.createSession(#"{"language": "PT-br"}"#)
        #expect(created.response.status.code == 201)
        let id = try #require(created.id)
        #expect(try h.store.session(id: id)?.language == "pt-BR")
        let r = h.send(.get, "/oauth/callback/\(id)?itemId=lang-1", headers: [("Accept-Language", "en-US,en;q=0.9")])
        #expect(r.text.contains("<html lang=\"pt-BR\""))
        // A session without a language follows the browser.
        let plain = try #require(h.createSession().id)
        #expect(h.send(.get, "/oauth/callback/\(plain)?itemId=lang-2", headers: [("Accept-Language", "es")]).text.contains("<html lang=\"es\""))
    }

    /// A language the server has no catalog for is refused with 400 naming the ones it has.
    @Test func session_Language_RefusesUnknownTag() {
        let h = LandingHarness()
        let r = h.createSession(#"{"language": "fr"}"#).response
        #expect(r.status.code == 400)
        #expect(r.json["message"] as? String == "language must be one of en, es, pt-BR.")
        #expect(h.createSession(#"{"language": 7}"#).response.status.code == 400)
    }

    /// The status document says a webhook confirmed the outcome, and carries the connector and execution status fields.
    @Test func statusDocument_SaysConfirmedByWebhook() throws {
        let h = LandingHarness()
        _ = try h.store.applyWebhook(WebhookEvent(event: "item/login_succeeded", eventId: "ev-c1", itemId: "conf-1", receivedAt: 1_000))
        let doc = h.send(.get, "/v1/items/conf-1", headers: [Self.auth]).json
        #expect(doc["confirmed"] as? Bool == true)
        #expect(doc["confirmedBy"] as? String == "webhook")
        #expect(doc["connector"] is NSNull)
        #expect(doc["executionStatus"] is NSNull)
        _ = h.send(.get, "/oauth/callback?itemId=unconf-1")
        #expect(h.send(.get, "/v1/items/unconf-1", headers: [Self.auth]).json["confirmedBy"] is NSNull)
    }
}
