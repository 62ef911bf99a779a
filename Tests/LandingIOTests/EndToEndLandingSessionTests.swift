import Foundation
import Testing

/// The session flow end to end over real TLS with curl: the API key, creating a session whose
/// `redirectUri` comes from `--public-url`, the callback on that URI, reading the outcome back by
/// session and by item, refreshes, unknown sessions and deletion.
@Suite struct EndToEndLandingSessionTests {
    // MARK: - API key

    /// `/v1/` without a key, with a wrong key or with another scheme is 401 with `WWW-Authenticate: Bearer`.
    @Test func endToEndLanding_Answers401_WhenApiKeyMissingOrWrong() throws {
        let server = try LandingE2E.shared()
        let requests: [(String, String, String?, [String])] = [
            ("POST", "/v1/sessions", nil, []),
            ("POST", "/v1/sessions", "wrong-key-0123456789abcdef", []),
            ("POST", "/v1/sessions", ServerProcess.apiKey + "x", []),
            ("POST", "/v1/sessions", nil, ["Authorization: Basic \(Data("user:\(ServerProcess.apiKey)".utf8).base64EncodedString())"]),
            ("POST", "/v1/sessions", nil, ["Authorization: \(ServerProcess.apiKey)"]),
            ("GET", "/v1/sessions/AAAAAAAAAAAAAAAAAAAAAA", nil, []),
            ("GET", "/v1/items/some-item", "wrong-key-0123456789abcdef", []),
            ("DELETE", "/v1/sessions/AAAAAAAAAAAAAAAAAAAAAA", nil, []),
        ]
        for (method, path, key, headers) in requests {
            let response = try LandingE2E.api(server, method, path, json: method == "POST" ? "{}" : nil, key: key, headers: headers)
            #expect(response.status == 401, "\(method) \(path) key \(key ?? "none") \(headers): \(response)")
            #expect(response.header("WWW-Authenticate") == "Bearer", "\(response)")
            #expect(try LandingE2E.json(response)["error"] as? String == "unauthorized")
            #expect(response.header("Cache-Control") == "no-store")
        }
        // The control: the right key.
        #expect(try LandingE2E.api(server, "POST", "/v1/sessions", json: "{}").status == 201)
    }

    // MARK: - Creating

    /// 201 with `redirectUri`/`statusUrl` from `--public-url` even when Host and X-Forwarded-Host are hostile.
    @Test func endToEndLanding_BuildsRedirectUriFromPublicURL_WhenHostIsEvil() throws {
        let server = try LandingE2E.shared()
        let response = try LandingE2E.api(
            server, "POST", "/v1/sessions", json: "{\"clientUserId\": \"user-42\", \"returnUrl\": \"https://app.example.com/connected\", \"ttlSeconds\": 600}",
            headers: ["Host: evil.example", "X-Forwarded-Host: evil-forwarded.example", "X-Forwarded-Proto: http"])
        #expect(response.status == 201, "\(response)")
        #expect(response.header("Content-Type") == "application/json")
        let object = try LandingE2E.json(response)
        let id = try #require(object["id"] as? String)
        #expect(id.count == 22)
        #expect(id.utf8.allSatisfy { CharacterSet.alphanumerics.contains(Unicode.Scalar($0)) || $0 == 0x2D || $0 == 0x5F })
        #expect(object["redirectUri"] as? String == "\(LandingE2E.publicURL)/oauth/callback/\(id)")
        #expect(object["statusUrl"] as? String == "\(LandingE2E.publicURL)/v1/sessions/\(id)")
        #expect(object["clientUserId"] as? String == "user-42", "the app's reference is returned as is")
        #expect(!response.bodyText.contains("evil"))
        // expiresAt is about ttlSeconds from now.
        let expiresAt = try #require((object["expiresAt"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) })
        #expect(abs(expiresAt.timeIntervalSinceNow - 600) < 30, "\(expiresAt)")
        // Two sessions never share an id.
        let other = try LandingE2E.createSession(server)
        #expect(other["id"] as? String != id)
        // A fresh session reads as pending with no callbacks.
        let status = try LandingE2E.json(try LandingE2E.session(server, id))
        #expect(status["status"] as? String == "pending", "\(status)")
        #expect(status["callbacks"] as? Int == 0)
        #expect(status["itemId"] is NSNull)
        #expect(status["clientUserId"] as? String == "user-42", "\(status)")
        // Without a clientUserId, neither the 201 nor the status document has one.
        let plainId = try #require(other["id"] as? String)
        #expect(other["clientUserId"] == nil, "\(other)")
        #expect(try LandingE2E.json(try LandingE2E.session(server, plainId))["clientUserId"] == nil)
    }

    /// A clientUserId with quotes, backslashes, HTML and non-ASCII comes back byte for byte, in the 201 and in the status document.
    @Test func endToEndLanding_EchoesClientUserId_AsGiven() throws {
        let server = try LandingE2E.shared()
        let given = "user \"42\" \\ <b>é</b> 😀"
        let body = try String(decoding: JSONSerialization.data(withJSONObject: ["clientUserId": given]), as: UTF8.self)
        let created = try LandingE2E.createSession(server, json: body)
        #expect(created["clientUserId"] as? String == given, "\(created)")
        let id = try #require(created["id"] as? String)
        let status = try LandingE2E.json(try LandingE2E.session(server, id))
        #expect(status["clientUserId"] as? String == given, "\(status)")
    }

    /// A `returnUrl` outside `--allowed-return-url` (host, suffix, userinfo, http, port, scheme tricks) is 400.
    @Test(arguments: [
        "https://evil.example/connected",
        "https://app.example.com.evil.example/connected",
        "https://app.example.com@evil.example/",
        "https://user:pass@app.example.com/connected",
        "http://app.example.com/connected",
        "javascript:alert(1)",
        "//evil.example/",
        "https://app.example.com",
        "https://app.example.com:8443/connected",
        "https://APP.example.com\\@evil.example/",
        "https://app.example.com/%2e%2e/evil",
    ])
    func endToEndLanding_Answers400_WhenReturnUrlNotAllowed(_ returnURL: String) throws {
        let server = try LandingE2E.shared()
        let body = try String(decoding: JSONSerialization.data(withJSONObject: ["returnUrl": returnURL]), as: UTF8.self)
        let response = try LandingE2E.api(server, "POST", "/v1/sessions", json: body)
        #expect(response.status == 400, "\(returnURL): \(response)")
        #expect(try LandingE2E.json(response)["error"] as? String == "return_url_not_allowed", "\(returnURL)")
    }

    /// The allowlist's control case: URLs under the allowed prefix are accepted.
    @Test func endToEndLanding_CreatesSession_WhenReturnUrlAllowed() throws {
        let server = try LandingE2E.shared()
        for url in ["https://app.example.com/", "https://app.example.com/connected", "https://app.example.com/a/b?x=1#done"] {
            let body = try String(decoding: JSONSerialization.data(withJSONObject: ["returnUrl": url]), as: UTF8.self)
            let response = try LandingE2E.api(server, "POST", "/v1/sessions", json: body)
            #expect(response.status == 201, "\(url): \(response)")
        }
    }

    // MARK: - The flow

    /// Session flow: open `redirectUri` on iPhone → session's returnUrl button; read back by session and item; refresh; DELETE.
    @Test func endToEndLanding_CompletesSession_WhenRedirectUriOpened() throws {
        let server = try LandingE2E.shared()
        let returnURL = "https://app.example.com/connected?user=42&from=landing"
        let created = try LandingE2E.createSession(server, json: "{\"clientUserId\": \"user-42\", \"returnUrl\": \"\(returnURL)\"}")
        let id = try #require(created["id"] as? String)
        let redirectUri = try #require(created["redirectUri"] as? String)
        let itemId = LandingE2E.uniqueItemId("sess")
        let callbackURL = try LandingE2E.local(redirectUri, on: server) + "?itemId=\(itemId)&state=opaque"

        let page = try Curl.fetch(callbackURL, ["-A", LandingE2E.UA.iPhone]).response
        #expect(page.status == 200, "\(page)")
        #expect(LandingE2E.pageTitle(page) == LandingE2E.text("title_completed"))
        #expect(LandingE2E.returnButtonVisible(page))
        #expect(LandingE2E.returnHref(page) == returnURL, "the session's returnUrl must win over --return-url")
        let data = try LandingE2E.pageData(page)
        #expect(data["sessionId"] as? String == id)
        #expect(data["itemId"] as? String == itemId)
        #expect(data["postPath"] as? String == "/oauth/callback/\(id)")
        LandingE2E.expectLandingHeaders(page)

        let session = try LandingE2E.json(try LandingE2E.session(server, id))
        #expect(session["status"] as? String == "completed", "\(session)")
        #expect(session["itemId"] as? String == itemId)
        #expect(session["sessionId"] as? String == id)
        #expect(session["callbacks"] as? Int == 1)
        #expect(session["error"] is NSNull)
        let item = try LandingE2E.json(try LandingE2E.item(server, itemId))
        #expect(item["status"] as? String == "completed", "\(item)")
        #expect(item["sessionId"] as? String == id)

        // Refresh: same page, one more hit, still one completion.
        let refreshed = try Curl.fetch(callbackURL, ["-A", LandingE2E.UA.iPhone]).response
        #expect(refreshed.status == 200)
        #expect(LandingE2E.pageTitle(refreshed) == LandingE2E.text("title_completed"))
        #expect(LandingE2E.returnHref(refreshed) == returnURL)
        let afterRefresh = try LandingE2E.json(try LandingE2E.session(server, id))
        #expect(afterRefresh["status"] as? String == "completed")
        #expect(afterRefresh["callbacks"] as? Int == 2, "\(afterRefresh)")
        #expect(afterRefresh["createdAt"] as? String == session["createdAt"] as? String)

        // Android on the same session: the intent:// form of the session's returnUrl.
        let android = try Curl.fetch(callbackURL, ["-A", LandingE2E.UA.android]).response
        #expect(LandingE2E.returnHref(android)?.hasPrefix("intent://app.example.com/connected?user=42&from=landing#Intent;scheme=https;package=com.example.app;S.browser_fallback_url=https%3A%2F%2Fapp.example.com%2Fconnected%3Fuser%3D42%26from%3Dlanding;end") == true, "\(String(describing: LandingE2E.returnButton(android)))")

        // Delete: 204, then the session is gone, and its link has expired.
        let deleted = try LandingE2E.api(server, "DELETE", "/v1/sessions/\(id)")
        #expect(deleted.status == 204, "\(deleted)")
        #expect(deleted.body.isEmpty)
        #expect(try LandingE2E.session(server, id).status == 404)
        #expect(try LandingE2E.api(server, "DELETE", "/v1/sessions/\(id)").status == 404)
        let afterDelete = try Curl.fetch(try LandingE2E.local(redirectUri, on: server) + "?itemId=\(LandingE2E.uniqueItemId("gone"))").response
        #expect(afterDelete.status == 404)
        #expect(LandingE2E.pageTitle(afterDelete) == LandingE2E.text("title_expired"))
    }

    /// A failed callback on a session path records the session failed with the OAuth error and keeps its return button.
    @Test func endToEndLanding_RecordsSessionFailure_WhenErrorReturned() throws {
        let server = try LandingE2E.shared()
        let created = try LandingE2E.createSession(server, json: "{\"returnUrl\": \"https://app.example.com/failed\"}")
        let id = try #require(created["id"] as? String)
        let url = try LandingE2E.local(try #require(created["redirectUri"] as? String), on: server)
        let page = try Curl.fetch(url + "?error=access_denied&error_description=User+cancelled", ["-A", LandingE2E.UA.iPhone]).response
        #expect(page.status == 200, "\(page)")
        #expect(LandingE2E.elementText("message", in: page) == LandingE2E.text("error_access_denied"))
        #expect(LandingE2E.elementText("detail-text", in: page) == "User cancelled")
        #expect(LandingE2E.returnHref(page) == "https://app.example.com/failed")
        let session = try LandingE2E.json(try LandingE2E.session(server, id))
        #expect(session["status"] as? String == "failed", "\(session)")
        #expect((session["error"] as? [String: Any])?["code"] as? String == "access_denied")
        #expect((session["error"] as? [String: Any])?["description"] as? String == "User cancelled")
    }

    /// Fragment flow on a session path: the relay page records nothing; the relay's POST records against the session.
    @Test func endToEndLanding_RecordsRelayedFragment_OnSessionPath() throws {
        let server = try LandingE2E.shared()
        let created = try LandingE2E.createSession(server)
        let id = try #require(created["id"] as? String)
        let url = try LandingE2E.local(try #require(created["redirectUri"] as? String), on: server)
        let relay = try Curl.fetch(url).response
        #expect(relay.status == 200)
        #expect(try LandingE2E.pageData(relay)["relay"] as? Bool == true)
        #expect(try LandingE2E.pageData(relay)["postPath"] as? String == "/oauth/callback/\(id)")
        #expect(try LandingE2E.json(try LandingE2E.session(server, id))["callbacks"] as? Int == 0, "the relay page recorded a callback")
        let itemId = LandingE2E.uniqueItemId("frag")
        let posted = try Curl.fetch(url, ["--data", "itemId=\(itemId)&state=s", "-H", "Accept: application/json"]).response
        #expect(posted.status == 200, "\(posted)")
        let object = try LandingE2E.json(posted)
        #expect(object["status"] as? String == "completed")
        #expect(object["sessionId"] as? String == id)
        let session = try LandingE2E.json(try LandingE2E.session(server, id))
        #expect(session["status"] as? String == "completed", "\(session)")
        #expect(session["itemId"] as? String == itemId)
    }

    /// An unknown session id (stand-in for expired; ttlSeconds ≥ 60) renders expired; a HEAD of a real link changes nothing.
    @Test func endToEndLanding_RendersExpired_WhenSessionUnknownOrDeleted() throws {
        let server = try LandingE2E.shared()
        let created = try LandingE2E.createSession(server)
        let id = try #require(created["id"] as? String)
        // Same shape as a real id, one character changed.
        let unknown = String(id.dropLast()) + (id.last == "A" ? "B" : "A")
        let itemId = LandingE2E.uniqueItemId("unknown")
        let page = try LandingE2E.get(server, "/oauth/callback/\(unknown)?itemId=\(itemId)", ["-A", LandingE2E.UA.iPhone])
        #expect(page.status == 404)
        #expect(LandingE2E.pageTitle(page) == LandingE2E.text("title_expired"))
        #expect(try LandingE2E.item(server, itemId).status == 404)
        #expect(try LandingE2E.session(server, unknown).status == 404)
        // The real one is untouched, and a HEAD of its link records nothing.
        _ = try LandingE2E.get(server, "/oauth/callback/\(id)?itemId=\(itemId)", ["-I"])
        let session = try LandingE2E.json(try LandingE2E.session(server, id))
        #expect(session["status"] as? String == "pending", "\(session)")
        #expect(session["callbacks"] as? Int == 0)
        #expect(try LandingE2E.item(server, itemId).status == 404)
    }

    /// Bad session requests: wrong media type 415, malformed JSON / unknown field / ttl out of range 400.
    @Test func endToEndLanding_RejectsBadSessionRequests() throws {
        let server = try LandingE2E.shared()
        let wrongType = try LandingE2E.api(server, "POST", "/v1/sessions", headers: ["Content-Type: text/plain"])
        #expect(wrongType.status == 415, "\(wrongType)")
        for (json, code) in [
            ("{", "invalid_json"), ("[]", "invalid_json"), ("{\"returnURL\": \"x\"}", "invalid_request"),
            ("{\"ttlSeconds\": 59}", "invalid_request"), ("{\"ttlSeconds\": 86401}", "invalid_request"),
            ("{\"ttlSeconds\": \"600\"}", "invalid_request"), ("{\"clientUserId\": \"\"}", "invalid_request"),
        ] {
            let response = try LandingE2E.api(server, "POST", "/v1/sessions", json: json)
            #expect(response.status == 400, "\(json): \(response)")
            #expect(try LandingE2E.json(response)["error"] as? String == code, "\(json): \(response)")
        }
    }
}
