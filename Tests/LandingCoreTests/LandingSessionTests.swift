import Foundation
import Testing
@testable import LandingCore

@Suite struct LandingSessionTests {
    /// Creating a session needs the API key: missing or wrong → 401 JSON with WWW-Authenticate.
    @Test func sessions_RequireBearerKey() {
        let h = LandingHarness()
        let missing = h.send(.post, "/v1/sessions", headers: [("Content-Type", "application/json")], body: "{}")
        #expect(missing.status.code == 401)
        #expect(missing.headers["WWW-Authenticate"] == "Bearer")
        #expect(missing.json["error"] as? String == "unauthorized")
        let wrong = h.send(.post, "/v1/sessions", headers: [("Authorization", "Bearer nope-0123456789abcdef"), ("Content-Type", "application/json")], body: "{}")
        #expect(wrong.status.code == 401)
    }

    /// The Bearer scheme matches in any case; another scheme, an empty key, a key's prefix or extension is refused.
    @Test func api_AcceptsBearerInAnyCase_RefusesOthers() {
        let h = LandingHarness()
        _ = h.send(.get, "/oauth/callback?itemId=auth-1")
        let key = LandingHarness.apiKey
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            #expect(h.send(.get, "/v1/items/auth-1", headers: [("Authorization", "\(scheme) \(key)")]).status.code == 200, "\(scheme)")
        }
        for value in ["Basic \(key)", "Bearer ", "Bearer", "Bearer  \(key)", "Bearer \(key.dropLast())", "Bearer \(key)x", "Bearer\t\(key)", "Beare \(key)", "Bearez \(key)"] {
            #expect(h.send(.get, "/v1/items/auth-1", headers: [("Authorization", value)]).status.code == 401, "\(value)")
        }
    }

    /// A session is created with a 128-bit URL-safe id and a redirectUri built from --public-url, never from Host.
    @Test func sessions_Create_ReturnsRedirectUriFromPublicURL() throws {
        let h = LandingHarness()
        let (r, id) = h.createSession("{\"clientUserId\":\"user-1\",\"returnUrl\":\"https://app.example.com/done?x=1\",\"ttlSeconds\":600}")
        #expect(r.status.code == 201)
        let sessionId = try #require(id)
        #expect(sessionId.count == 22)
        #expect(Base64URL.isSessionID(sessionId))
        #expect(r.json["redirectUri"] as? String == "https://landing.example.com/oauth/callback/\(sessionId)")
        #expect(r.json["statusUrl"] as? String == "https://landing.example.com/v1/sessions/\(sessionId)")
        #expect(r.json["expiresAt"] as? String == "2027-01-15T08:10:00Z")
        let stored = try #require(try h.store.session(id: sessionId))
        #expect(stored.clientUserId == "user-1")
        #expect(stored.returnURL == "https://app.example.com/done?x=1")
        #expect(r.json["clientUserId"] as? String == "user-1")
    }

    /// clientUserId is echoed as given in the 201 and in the session's status document, and absent from both without one.
    @Test func sessions_EchoClientUserId_InCreationAndStatus() throws {
        let h = LandingHarness()
        let auth = [("Authorization", "Bearer \(LandingHarness.apiKey)")]
        let given = "user \"42\" \\ é 😀 </script>"
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["clientUserId": given]), as: UTF8.self)
        let (created, id) = h.createSession(body)
        let sessionId = try #require(id)
        #expect(created.json["clientUserId"] as? String == given)
        #expect(h.send(.get, "/v1/sessions/\(sessionId)", headers: auth).json["clientUserId"] as? String == given)

        let (plain, plainId) = h.createSession()
        #expect(plain.json.keys.contains("clientUserId") == false)
        #expect(h.send(.get, "/v1/sessions/\(try #require(plainId))", headers: auth).json.keys.contains("clientUserId") == false)
    }

    /// Session ids differ (they come from the random source, not a counter of the store).
    @Test func sessions_IdsDiffer() {
        let h = LandingHarness()
        #expect(h.createSession().id != h.createSession().id)
    }

    /// A returnUrl outside the allowlist, bad JSON, unknown fields and bad types are 400 JSON errors.
    @Test(arguments: [
        "{\"returnUrl\":\"https://evil.example/\"}", "{\"returnUrl\":\"https://app.example.com.evil.example/\"}",
        "{\"returnUrl\":\"https://app.example.com@evil.example/\"}", "not json", "[]", "{\"other\":1}",
        "{\"ttlSeconds\":true}", "{\"ttlSeconds\":1.5}", "{\"ttlSeconds\":5}", "{\"clientUserId\":\"\"}", "{\"clientUserId\":7}",
    ])
    func sessions_RejectBadBodies(body: String) throws {
        let h = LandingHarness()
        let (r, id) = h.createSession(body)
        #expect(r.status.code == 400)
        #expect(id == nil)
        #expect(r.json["error"] != nil)
        #expect(r.json["message"] != nil)
    }

    /// A callback on the session path completes the session and binds its item id; both records exist.
    @Test func sessions_CallbackBindsItem() throws {
        let h = LandingHarness()
        let id = try #require(h.createSession("{\"returnUrl\":\"https://app.example.com/done/s\"}").id)
        let page = h.send(.get, "/oauth/callback/\(id)?itemId=item-s1", headers: [("User-Agent", UA.iPhone)])
        #expect(page.status.code == 200)
        #expect(page.text.contains("href=\"https://app.example.com/done/s\""))
        let session = try #require(try h.store.session(id: id))
        #expect(session.status == .completed)
        #expect(session.itemId == "item-s1")
        #expect(try h.store.item(id: "item-s1")?.sessionId == id)
        let status = h.send(.get, "/v1/sessions/\(id)", headers: [("Authorization", "Bearer \(LandingHarness.apiKey)")])
        #expect(status.json["status"] as? String == "completed")
        #expect(status.json["itemId"] as? String == "item-s1")
    }

    /// A session callback without any parameter still completes the session (its id is the correlation).
    @Test func sessions_CallbackWithoutItem_CompletesViaRelayPost() throws {
        let h = LandingHarness()
        let id = try #require(h.createSession().id)
        #expect(h.send(.get, "/oauth/callback/\(id)").text.contains("\"relay\":true"))
        let r = h.send(.post, "/oauth/callback/\(id)", headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")], body: "")
        #expect(r.json["status"] as? String == "completed")
        #expect(try h.store.session(id: id)?.status == .completed)
    }

    /// Unknown, malformed or expired session ids get the generic expired page (404) and nothing is recorded.
    @Test func sessions_UnknownOrExpired_RendersExpired() throws {
        let h = LandingHarness()
        let unknown = h.send(.get, "/oauth/callback/AAAAAAAAAAAAAAAAAAAAAA?itemId=item-u1")
        #expect(unknown.status.code == 404)
        #expect(unknown.text.contains("This link has expired"))
        #expect(try h.store.item(id: "item-u1") == nil)
        #expect(h.send(.get, "/oauth/callback/..%2Fetc?itemId=item-u2").status.code == 404)
        let id = try #require(h.createSession("{\"ttlSeconds\":60}").id)
        h.advance(seconds: 61)
        let expired = h.send(.get, "/oauth/callback/\(id)?itemId=item-u3")
        #expect(expired.status.code == 404)
        #expect(try h.store.item(id: "item-u3") == nil)
        let status = h.send(.get, "/v1/sessions/\(id)", headers: [("Authorization", "Bearer \(LandingHarness.apiKey)")])
        #expect(status.json["status"] as? String == "expired")
    }

    /// DELETE removes a session; reading it afterwards is 404.
    @Test func sessions_Delete() throws {
        let h = LandingHarness()
        let id = try #require(h.createSession().id)
        let auth = [("Authorization", "Bearer \(LandingHarness.apiKey)")]
        #expect(h.send(.delete, "/v1/sessions/\(id)", headers: auth).status.code == 204)
        #expect(h.send(.get, "/v1/sessions/\(id)", headers: auth).status.code == 404)
        #expect(h.send(.delete, "/v1/sessions/\(id)", headers: auth).status.code == 404)
    }
}
