import Foundation
import Testing

/// The callback endpoint over real TLS with curl: each outcome (completed, failed, unidentified,
/// invalid, expired, relay), form_post, HEAD and link-preview bots, and the headers every landing
/// response carries. One shared server; every test uses its own item ids.
@Suite struct EndToEndLandingOutcomeTests {
    static let rfc6749ErrorCodes = [
        "invalid_request", "unauthorized_client", "access_denied", "unsupported_response_type", "invalid_scope", "server_error",
        "temporarily_unavailable",
    ]

    // MARK: - Completed

    /// `?itemId=` renders the completed page (200) and records the item as completed, hit once.
    @Test func endToEndLanding_RecordsCompletion_WhenItemIdGiven() throws {
        let server = try LandingE2E.shared()
        let id = LandingE2E.uniqueItemId("camel")
        let response = try LandingE2E.get(server, "/oauth/callback?itemId=\(id)")
        #expect(response.status == 200, "\(response)")
        #expect(LandingE2E.pageTitle(response) == LandingE2E.text("title_completed"))
        #expect(LandingE2E.elementText("message", in: response) == LandingE2E.text("message_completed"))
        let data = try LandingE2E.pageData(response)
        #expect(data["status"] as? String == "completed")
        #expect(data["itemId"] as? String == id)
        #expect(data["type"] as? String == "oauth-landing")
        #expect(data["error"] is NSNull)
        let record = try LandingE2E.json(try LandingE2E.item(server, id))
        #expect(record["status"] as? String == "completed", "\(record)")
        #expect(record["itemId"] as? String == id)
        #expect(record["callbacks"] as? Int == 1)
        #expect(record["error"] is NSNull)
    }

    /// `?item_id=` (the snake-case spelling) is accepted like `itemId`.
    @Test func endToEndLanding_RecordsCompletion_WhenSnakeCaseItemIdGiven() throws {
        let server = try LandingE2E.shared()
        let id = LandingE2E.uniqueItemId("snake")
        let response = try LandingE2E.get(server, "/oauth/callback?item_id=\(id)&state=opaque")
        #expect(response.status == 200, "\(response)")
        #expect(try LandingE2E.pageData(response)["itemId"] as? String == id)
        let record = try LandingE2E.json(try LandingE2E.item(server, id))
        #expect(record["status"] as? String == "completed", "\(record)")
    }

    /// A refresh renders the first outcome again and only counts the hit (no second completion).
    @Test func endToEndLanding_RendersSameOutcome_WhenRefreshed() throws {
        let server = try LandingE2E.shared()
        let id = LandingE2E.uniqueItemId("refresh")
        let first = try LandingE2E.get(server, "/oauth/callback?itemId=\(id)&error=access_denied")
        #expect(first.status == 200)
        let again = try LandingE2E.get(server, "/oauth/callback?itemId=\(id)&error=access_denied")
        // A later hit without the error still shows the outcome first recorded.
        let later = try LandingE2E.get(server, "/oauth/callback?itemId=\(id)")
        for response in [first, again, later] {
            #expect(response.status == 200)
            #expect(LandingE2E.pageTitle(response) == LandingE2E.text("title_failed"), "\(response)")
            #expect((try LandingE2E.pageData(response))["status"] as? String == "failed")
        }
        let record = try LandingE2E.json(try LandingE2E.item(server, id))
        #expect(record["status"] as? String == "failed", "\(record)")
        #expect(record["callbacks"] as? Int == 3, "\(record)")
        #expect((record["error"] as? [String: Any])?["code"] as? String == "access_denied")
    }

    /// A parameter with an empty value counts as absent (`error=` is no error, `itemId=&itemId=x` no repeat).
    @Test func endToEndLanding_TreatsEmptyValueAsAbsent() throws {
        let server = try LandingE2E.shared()
        let id = LandingE2E.uniqueItemId("empty")
        let response = try LandingE2E.get(server, "/oauth/callback?itemId=&itemId=\(id)&error=&error_description=")
        #expect(response.status == 200, "\(response)")
        #expect(try LandingE2E.pageData(response)["status"] as? String == "completed")
        #expect(try LandingE2E.json(try LandingE2E.item(server, id))["status"] as? String == "completed")
    }

    /// Twenty simultaneous hits of one callback make one completion and count twenty callbacks.
    @Test func endToEndLanding_CountsEveryHit_WhenCallbackArrivesConcurrently() throws {
        let server = try LandingE2E.shared()
        let id = LandingE2E.uniqueItemId("burst")
        let url = server.baseURL + "/oauth/callback?itemId=\(id)"
        let result = try Curl.run(
            ["--parallel", "--parallel-max", "20", "--parallel-immediate", "-w", "%{http_code}\\n"]
                + Array(repeating: ["-o", "/dev/null", url], count: 20).flatMap { $0 }, timeout: 60)
        #expect(result.succeeded, "\(result)")
        #expect(result.stdoutText.split(separator: "\n") == Array(repeating: "200", count: 20), "\(result)")
        let record = try LandingE2E.json(try LandingE2E.item(server, id))
        #expect(record["status"] as? String == "completed")
        #expect(record["callbacks"] as? Int == 20, "\(record)")
    }

    // MARK: - Failed

    /// Each RFC 6749 error code (and an unknown one) renders its message and records the item failed with that code.
    @Test(arguments: rfc6749ErrorCodes + ["made_up_code"])
    func endToEndLanding_RendersErrorMessage_ForEachErrorCode(_ code: String) throws {
        let server = try LandingE2E.shared()
        let id = LandingE2E.uniqueItemId("err")
        let response = try LandingE2E.get(server, "/oauth/callback?itemId=\(id)&error=\(code)")
        #expect(response.status == 200, "\(response)")
        #expect(LandingE2E.pageTitle(response) == LandingE2E.text("title_failed"))
        let key = Self.rfc6749ErrorCodes.contains(code) ? "error_\(code)" : "error_other"
        #expect(LandingE2E.elementText("message", in: response) == LandingE2E.text(key), "\(response)")
        let data = try LandingE2E.pageData(response)
        #expect(data["status"] as? String == "failed")
        #expect((data["error"] as? [String: Any])?["code"] as? String == code)
        let record = try LandingE2E.json(try LandingE2E.item(server, id))
        #expect(record["status"] as? String == "failed", "\(record)")
        #expect((record["error"] as? [String: Any])?["code"] as? String == code)
    }

    /// `error_description` is shown escaped (`"` and non-ASCII replaced), never raw, and cannot break out of the JSON.
    @Test func endToEndLanding_ShowsDescriptionEscaped_WhenErrorDescriptionGiven() throws {
        let server = try LandingE2E.shared()
        let id = LandingE2E.uniqueItemId("desc")
        // <script>alert(1)</script>"é<img src=x onerror=alert(2)>
        let description = "%3Cscript%3Ealert(1)%3C%2Fscript%3E%22%C3%A9%3Cimg%20src%3Dx%20onerror%3Dalert(2)%3E"
        let sessionId = try #require(try LandingE2E.createSession(server)["id"] as? String)
        let response = try LandingE2E.get(server, "/oauth/callback/\(sessionId)?itemId=\(id)&error=access_denied&error_description=\(description)")
        #expect(response.status == 200, "\(response)")
        let body = response.bodyText
        #expect(!body.contains("<script>alert"), "raw description in the page")
        #expect(!body.contains("<img src=x"), "raw description in the page")
        #expect(LandingE2E.elementText("detail-text", in: response) == "&lt;script&gt;alert(1)&lt;/script&gt;&quot;é&lt;img src=x onerror=alert(2)&gt;")
        #expect(body.contains("<p id=\"detail\" class=\"detail\"><span id=\"detail-label\">"), "the detail paragraph is hidden")
        let error = try LandingE2E.pageData(response)["error"] as? [String: Any]
        #expect(error?["description"] as? String == "<script>alert(1)</script>\"é<img src=x onerror=alert(2)>")
        #expect(LandingE2E.elementNonces(in: body).tags == 3, "a <script> or <style> element was injected")
    }

    /// An `error_description` longer than 300 characters is cut to 299 and an ellipsis, on the page and in the record.
    @Test func endToEndLanding_TruncatesLongDescription() throws {
        let server = try LandingE2E.shared()
        let id = LandingE2E.uniqueItemId("long")
        let sessionId = try #require(try LandingE2E.createSession(server)["id"] as? String)
        let response = try LandingE2E.get(server, "/oauth/callback/\(sessionId)?itemId=\(id)&error=server_error&error_description=" + String(repeating: "A", count: 600))
        #expect(response.status == 200)
        #expect(LandingE2E.elementText("detail-text", in: response) == String(repeating: "A", count: 299) + "…")
        let record = try LandingE2E.json(try LandingE2E.item(server, id))
        #expect((record["error"] as? [String: Any])?["description"] as? String == String(repeating: "A", count: 299) + "…")
    }

    // MARK: - Unidentified, invalid, expired

    /// Neither an item id nor a session: 400 "could not identify" page, still with the return button on mobile.
    @Test func endToEndLanding_RendersUnidentified400_WhenNoItemIdNorSession() throws {
        let server = try LandingE2E.shared()
        let response = try LandingE2E.get(server, "/oauth/callback?state=abc&foo=bar", ["-A", LandingE2E.UA.iPhone])
        #expect(response.status == 400, "\(response)")
        #expect(LandingE2E.pageTitle(response) == LandingE2E.text("title_unidentified"))
        #expect(try LandingE2E.pageData(response)["status"] as? String == "unidentified")
        #expect(LandingE2E.returnHref(response) == LandingE2E.defaultReturnURL)
        #expect(LandingE2E.returnButtonVisible(response))
        // An OAuth error without an item id is still explained.
        let withError = try LandingE2E.get(server, "/oauth/callback?error=access_denied")
        #expect(withError.status == 400)
        #expect(LandingE2E.pageTitle(withError) == LandingE2E.text("title_unidentified"))
        #expect(LandingE2E.elementText("message", in: withError)?.contains(LandingE2E.text("error_access_denied")) == true, "\(withError)")
    }

    /// Repeated parameters, bad `%` escapes, invalid UTF-8 and bad item ids render the 400 invalid page and record nothing.
    @Test(arguments: [
        ("repeated itemId", "itemId=ID&itemId=ID"),
        ("itemId and item_id differ", "itemId=ID&item_id=ID-other"),
        ("repeated error", "itemId=ID&error=access_denied&error=server_error"),
        ("repeated code", "itemId=ID&code=a&code=b"),
        ("bad percent escape", "itemId=ID&foo=%zz"),
        ("truncated percent escape", "itemId=ID&foo=%4"),
        ("invalid UTF-8", "itemId=ID&foo=%FF%FE"),
        ("bad item id character", "itemId=ID%20x"),
        ("item id with a slash", "itemId=ID%2F..%2Fx"),
        ("item id of 129 characters", "itemId=ID" + String(repeating: "a", count: 129)),
    ])
    func endToEndLanding_RendersInvalid400_WhenCallbackIsMalformed(_ label: String, _ query: String) throws {
        let server = try LandingE2E.shared()
        let id = LandingE2E.uniqueItemId("inv")
        let response = try LandingE2E.get(server, "/oauth/callback?" + query.replacingOccurrences(of: "ID", with: id))
        #expect(response.status == 400, "\(label): \(response)")
        #expect(LandingE2E.pageTitle(response) == LandingE2E.text("title_invalid"), "\(label)")
        let data = try LandingE2E.pageData(response)
        #expect(data["status"] as? String == "invalid", "\(label)")
        #expect((data["error"] as? [String: Any])?["code"] as? String == "invalid_request", "\(label)")
        #expect(try LandingE2E.item(server, id).status == 404, "\(label): recorded")
        #expect(try LandingE2E.item(server, id + "-other").status == 404, "\(label): recorded")
        LandingE2E.expectLandingHeaders(response)
    }

    /// An unknown session id (well-formed or not) renders the 404 expired page and records nothing.
    @Test(arguments: ["AAAAAAAAAAAAAAAAAAAAAA", "not-a-session-id", "Zm9vYmFyZm9vYmFyZm9vYmFy"])
    func endToEndLanding_RendersExpired404_WhenSessionIsUnknown(_ sessionId: String) throws {
        let server = try LandingE2E.shared()
        let id = LandingE2E.uniqueItemId("exp")
        let response = try LandingE2E.get(server, "/oauth/callback/\(sessionId)?itemId=\(id)", ["-A", LandingE2E.UA.iPhone])
        #expect(response.status == 404, "\(response)")
        #expect(LandingE2E.pageTitle(response) == LandingE2E.text("title_expired"))
        #expect(LandingE2E.elementText("message", in: response) == LandingE2E.text("message_expired"))
        #expect(try LandingE2E.pageData(response)["status"] as? String == "expired")
        #expect(try LandingE2E.item(server, id).status == 404, "an unknown session recorded its item")
        // The session API knows nothing of it either.
        #expect(try LandingE2E.session(server, sessionId).status == 404)
    }

    // MARK: - Relay, form_post, media type

    /// An empty query renders the relay page (200, pending) whose script posts `location.hash` back.
    @Test func endToEndLanding_RendersRelayPage_WhenQueryIsEmpty() throws {
        let server = try LandingE2E.shared()
        for path in ["/oauth/callback", "/oauth/callback?"] {
            let response = try LandingE2E.get(server, path)
            #expect(response.status == 200, "\(response)")
            #expect(LandingE2E.pageTitle(response) == LandingE2E.text("title_relay"))
            let data = try LandingE2E.pageData(response)
            #expect(data["relay"] as? Bool == true)
            #expect(data["status"] as? String == "pending")
            #expect(data["postPath"] as? String == "/oauth/callback")
            #expect(response.bodyText.contains("location.hash"))
            #expect(response.bodyText.contains("history.replaceState"))
            LandingE2E.expectLandingHeaders(response)
        }
    }

    /// OAuth form_post: a POST with an `application/x-www-form-urlencoded` body records like a GET.
    @Test func endToEndLanding_RecordsCompletion_WhenFormPosted() throws {
        let server = try LandingE2E.shared()
        let id = LandingE2E.uniqueItemId("form")
        let response = try LandingE2E.get(server, "/oauth/callback", ["--data", "itemId=\(id)&state=s&code=c"])
        #expect(response.status == 200, "\(response)")
        #expect(LandingE2E.pageTitle(response) == LandingE2E.text("title_completed"))
        #expect(try LandingE2E.pageData(response)["itemId"] as? String == id)
        LandingE2E.expectLandingHeaders(response)
        let record = try LandingE2E.json(try LandingE2E.item(server, id))
        #expect(record["status"] as? String == "completed", "\(record)")
        // `+` is a space in form encoding: an error description posted with `+` reads with spaces.
        let failedId = LandingE2E.uniqueItemId("form-err")
        let formSession = try #require(try LandingE2E.createSession(server)["id"] as? String)
        let failed = try LandingE2E.get(server, "/oauth/callback/\(formSession)", ["--data", "item_id=\(failedId)&error=server_error&error_description=bank+is+down"])
        #expect(failed.status == 200)
        #expect(LandingE2E.elementText("detail-text", in: failed) == "bank is down")
    }

    /// The relay's POST with `Accept: application/json` gets the outcome as JSON, with the landing headers.
    @Test func endToEndLanding_AnswersJSON_WhenRelayPostsFragment() throws {
        let server = try LandingE2E.shared()
        let id = LandingE2E.uniqueItemId("relay")
        let response = try LandingE2E.get(server, "/oauth/callback", ["--data", "itemId=\(id)&error=temporarily_unavailable", "-H", "Accept: application/json"])
        #expect(response.status == 200, "\(response)")
        LandingE2E.expectLandingHeaders(response, contentType: "application/json")
        let object = try LandingE2E.json(response)
        #expect(object["status"] as? String == "failed")
        #expect(object["itemId"] as? String == id)
        #expect(object["message"] as? String == LandingE2E.catalog("en")["error_temporarily_unavailable"])
        #expect((object["error"] as? [String: Any])?["code"] as? String == "temporarily_unavailable")
        #expect(try LandingE2E.json(try LandingE2E.item(server, id))["status"] as? String == "failed")
    }

    /// A POST that is not a form (JSON, text, none) is 415 with the landing headers and records nothing.
    @Test(arguments: ["application/json", "text/plain", "multipart/form-data; boundary=x"])
    func endToEndLanding_Answers415_WhenPostIsNotAForm(_ contentType: String) throws {
        let server = try LandingE2E.shared()
        let id = LandingE2E.uniqueItemId("415")
        let response = try LandingE2E.get(server, "/oauth/callback", ["-H", "Content-Type: \(contentType)", "--data-binary", "itemId=\(id)"])
        #expect(response.status == 415, "\(response)")
        #expect(LandingE2E.pageTitle(response) == LandingE2E.text("title_invalid"))
        LandingE2E.expectLandingHeaders(response)
        #expect(try LandingE2E.item(server, id).status == 404, "a non-form POST was recorded")
    }

    // MARK: - No state change

    /// HEAD renders (200, landing headers, no body) but records nothing; a GET afterwards does.
    @Test func endToEndLanding_RecordsNothing_WhenHead() throws {
        let server = try LandingE2E.shared()
        let id = LandingE2E.uniqueItemId("head")
        let head = try LandingE2E.get(server, "/oauth/callback?itemId=\(id)", ["-I"])
        #expect(head.status == 200, "\(head)")
        #expect(head.body.isEmpty)
        #expect(Int(head.header("Content-Length") ?? "") ?? 0 > 1000, "\(head)")
        LandingE2E.expectLandingHeaders(head, hasBody: false)
        let notRecorded = try LandingE2E.item(server, id)
        #expect(notRecorded.status == 404, "HEAD recorded the callback: \(notRecorded)")
        #expect(try LandingE2E.json(notRecorded)["error"] as? String == "not_found")
        // The control: the same URL with GET records.
        #expect(try LandingE2E.get(server, "/oauth/callback?itemId=\(id)").status == 200)
        #expect(try LandingE2E.json(try LandingE2E.item(server, id))["callbacks"] as? Int == 1)
    }

    /// Link-preview bots get the page but change nothing.
    @Test(arguments: [
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "WhatsApp/2.23.20.0 A",
        "TelegramBot (like TwitterBot)",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    ])
    func endToEndLanding_RecordsNothing_WhenLinkPreviewBot(_ userAgent: String) throws {
        let server = try LandingE2E.shared()
        let id = LandingE2E.uniqueItemId("bot")
        let response = try LandingE2E.get(server, "/oauth/callback?itemId=\(id)", ["-A", userAgent])
        #expect(response.status == 200, "\(response)")
        LandingE2E.expectLandingHeaders(response)
        #expect(try LandingE2E.item(server, id).status == 404, "a link-preview bot (\(userAgent)) recorded the callback")
        let form = try LandingE2E.get(server, "/oauth/callback", ["-A", userAgent, "--data", "itemId=\(id)"])
        #expect(form.status == 200)
        #expect(try LandingE2E.item(server, id).status == 404, "a link-preview bot's POST recorded the callback")
    }

    /// HEAD and bots on an unknown session get the 404 expired page, like GET.
    @Test func endToEndLanding_RendersExpired_WhenHeadOrBotOnUnknownSession() throws {
        let server = try LandingE2E.shared()
        let path = "/oauth/callback/AAAAAAAAAAAAAAAAAAAAAA?itemId=\(LandingE2E.uniqueItemId("headexp"))"
        #expect(try LandingE2E.get(server, path).status == 404)
        let head = try LandingE2E.get(server, path, ["-I"])
        let bot = try LandingE2E.get(server, path, ["-A", "Slackbot-LinkExpanding 1.0"])
        #expect(head.status == 404, "\(head)")
        #expect(bot.status == 404, "\(bot.status)")
        #expect(LandingE2E.pageTitle(bot) == LandingE2E.text("title_expired"))
    }

    // MARK: - Headers

    /// Every landing response, errors included, has CSP with the page's nonce, no-store, no-referrer, nosniff, DENY, HSTS, no COOP.
    @Test func endToEndLanding_SendsSecurityHeaders_OnEveryLandingResponse() throws {
        let server = try LandingE2E.shared()
        let id = LandingE2E.uniqueItemId("hdr")
        let cases: [(String, [String], Int)] = [
            ("/oauth/callback?itemId=\(id)", [], 200),
            ("/oauth/callback?itemId=\(id)", ["-A", LandingE2E.UA.android], 200),
            ("/oauth/callback?itemId=\(id)-f&error=access_denied", [], 200),
            ("/oauth/callback?foo=bar", [], 400),
            ("/oauth/callback?itemId=a&itemId=b", [], 400),
            ("/oauth/callback?itemId=%zz", [], 400),
            ("/oauth/callback/AAAAAAAAAAAAAAAAAAAAAA?itemId=\(id)", [], 404),
            ("/oauth/callback/short?itemId=\(id)", [], 404),
            ("/oauth/callback", [], 200),
            ("/oauth/callback", ["--data", "itemId=\(id)-p"], 200),
            ("/oauth/callback", ["--data", ""], 400),
            ("/oauth/callback", ["-H", "Content-Type: application/json", "--data", "{}"], 415),
            ("/oauth/callback?itemId=\(id)", ["-A", "Twitterbot/1.0"], 200),
        ]
        var nonces: [String] = []
        for (path, arguments, status) in cases {
            let response = try LandingE2E.get(server, path, arguments)
            #expect(response.status == status, "\(path) \(arguments): \(response)")
            if let nonce = LandingE2E.expectLandingHeaders(response) { nonces.append(nonce) }
        }
        let head = try LandingE2E.get(server, "/oauth/callback?itemId=\(id)", ["-I"])
        if let nonce = LandingE2E.expectLandingHeaders(head, hasBody: false) { nonces.append(nonce) }
        #expect(nonces.count == cases.count + 1)
        #expect(Set(nonces).count == nonces.count, "a nonce was reused: \(nonces)")
    }

    /// The same URL fetched twice on one connection gets two different nonces.
    @Test func endToEndLanding_SendsFreshNonce_PerResponse() throws {
        let server = try LandingE2E.shared()
        let url = server.baseURL + "/oauth/callback?itemId=\(LandingE2E.uniqueItemId("nonce"))"
        let transfers = try Curl.fetch([url, url])
        let first = LandingE2E.expectLandingHeaders(transfers[0].response)
        let second = LandingE2E.expectLandingHeaders(transfers[1].response)
        #expect(first != nil && second != nil)
        #expect(first != second)
        #expect(transfers[1].numConnects == 0, "expected the second transfer on the same connection")
    }
}
