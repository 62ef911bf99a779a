import Foundation
import Testing
@testable import LandingCore

@Suite struct LandingCallbackTests {
    /// A callback with an item id completes the item, renders the success page and is durable in the store.
    @Test func callback_CompletesItem_WhenItemIdPresent() throws {
        let h = LandingHarness()
        let r = h.send(.get, "/oauth/callback?itemId=item-1&code=SECRETCODE&state=SECRETSTATE")
        #expect(r.status.code == 200)
        #expect(r.text.contains("You&#39;re connected") || r.text.contains("You're connected"))
        let record = try #require(try h.store.item(id: "item-1"))
        #expect(record.status == .completed)
        #expect(record.hits == 1)
        #expect(!record.rawParameters.contains { $0.name == "code" || $0.name == "state" || $0.value.contains("SECRET") })
        #expect(!r.text.contains("SECRET"))
    }

    /// `item_id` is accepted like `itemId`.
    @Test func callback_AcceptsItemUnderscoreId() throws {
        let h = LandingHarness()
        _ = h.send(.get, "/oauth/callback?item_id=item-2")
        #expect(try h.store.item(id: "item-2")?.status == .completed)
    }

    /// A refresh renders the same outcome, counts the hit, and is not a second completion.
    @Test func callback_RefreshKeepsFirstOutcome_AndCountsHits() throws {
        let h = LandingHarness()
        _ = h.send(.get, "/oauth/callback?itemId=item-3&error=access_denied")
        h.advance(seconds: 5)
        let again = h.send(.get, "/oauth/callback?itemId=item-3")
        #expect(again.text.contains("data-status=\"failed\""))
        let record = try #require(try h.store.item(id: "item-3"))
        #expect(record.hits == 2)
        #expect(record.status == .failed)
        #expect(record.completedAt == 1_800_000_000_000)
    }

    /// An OAuth error fails the record with its code, shows the mapped message, and escapes the description.
    @Test func callback_FailsWithMappedMessage_WhenErrorPresent() throws {
        let h = LandingHarness()
        let r = h.send(.get, "/oauth/callback?itemId=item-4&error=access_denied&error_description=User%20said%20no")
        #expect(r.status.code == 200)
        #expect(r.text.contains("You cancelled the authorization at your bank"))
        #expect(r.text.contains("User said no"))
        let record = try #require(try h.store.item(id: "item-4"))
        #expect(record.status == .failed)
        #expect(record.error == LandingError(code: "access_denied", description: "User said no"))
    }

    /// RFC 6749 §3.1: a repeated parameter is invalid_request (400) and nothing is recorded.
    @Test func callback_Rejects_RepeatedParameter() throws {
        let h = LandingHarness()
        let r = h.send(.get, "/oauth/callback?itemId=a&itemId=b")
        #expect(r.status.code == 400)
        #expect(try h.store.item(id: "a") == nil)
        #expect(try h.store.item(id: "b") == nil)
    }

    /// RFC 6749 §3.1: an empty value counts as omitted, so it neither repeats nor sets a parameter.
    @Test func callback_TreatsEmptyValueAsOmitted() throws {
        let h = LandingHarness()
        let r = h.send(.get, "/oauth/callback?itemId=&itemId=item-5&error=")
        #expect(r.status.code == 200)
        #expect(try h.store.item(id: "item-5")?.status == .completed)
    }

    /// Malformed encodings and invalid item ids are 400 pages, with nothing recorded.
    @Test(arguments: ["itemId=a%2", "itemId=a%zz", "itemId=%C3%28", "itemId=a%20b", "itemId=" + String(repeating: "x", count: 129), "itemId=a/b"])
    func callback_Rejects_BadEncodingOrItemId(query: String) {
        let h = LandingHarness()
        let r = h.send(.get, "/oauth/callback?" + query)
        #expect(r.status.code == 400)
        #expect(r.text.contains("data-status=\"invalid\""))
        #expect(r.text.contains("What was wrong:"))
        #expect(!r.text.contains("Message from your bank:"))
    }

    /// Neither an item id nor a session: a friendly 400 that still offers the return link.
    @Test func callback_Answers400Unidentified_WithReturnLink() {
        let h = LandingHarness()
        let r = h.send(.get, "/oauth/callback?foo=bar", headers: [("User-Agent", UA.iPhone)])
        #expect(r.status.code == 400)
        #expect(r.text.contains("We couldn&#39;t identify this connection") || r.text.contains("identify this connection"))
        #expect(r.text.contains("href=\"https://app.example.com/done\""))
    }

    /// HEAD renders the page but records nothing.
    @Test func callback_Head_RecordsNothing() throws {
        let h = LandingHarness()
        let r = h.send(.head, "/oauth/callback?itemId=item-6")
        #expect(r.status.code == 200)
        #expect(try h.store.item(id: "item-6") == nil)
    }

    /// HEAD previews what a GET would show (the stored outcome, an unknown session's expired page) and counts nothing.
    @Test func callback_Head_PreviewsStoredOutcome() throws {
        let h = LandingHarness()
        _ = h.send(.get, "/oauth/callback?itemId=hp-1")
        let head = h.send(.head, "/oauth/callback?itemId=hp-1&error=access_denied")
        #expect(head.text.contains("data-status=\"completed\""))
        #expect(try h.store.item(id: "hp-1")?.hits == 1)
        #expect(h.send(.head, "/oauth/callback/AAAAAAAAAAAAAAAAAAAAAA?itemId=hp-2").status.code == 404)
    }

    /// Link-preview bots get the page but change no state.
    @Test func callback_LinkPreviewBot_RecordsNothing() throws {
        let h = LandingHarness()
        _ = h.send(.get, "/oauth/callback?itemId=item-7", headers: [("User-Agent", UA.slackbot)])
        #expect(try h.store.item(id: "item-7") == nil)
    }

    /// form_post: a POSTed form body is a callback like a query.
    @Test func callback_FormPost_IsRecorded() throws {
        let h = LandingHarness()
        let r = h.send(.post, "/oauth/callback", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "itemId=item-8&state=s&code=c")
        #expect(r.status.code == 200)
        #expect(try h.store.item(id: "item-8")?.status == .completed)
    }

    /// A POST that is not a form is 415, nothing recorded.
    @Test func callback_FormPost_RejectsOtherContentTypes() throws {
        let h = LandingHarness()
        let r = h.send(.post, "/oauth/callback", headers: [("Content-Type", "application/json")], body: "{\"itemId\":\"item-9\"}")
        #expect(r.status.code == 415)
        #expect(try h.store.item(id: "item-9") == nil)
    }

    /// An empty query renders the fragment relay page; the relay's JSON POST records the outcome.
    @Test func callback_FragmentRelay_RecordsThroughJSONPost() throws {
        let h = LandingHarness()
        let page = h.send(.get, "/oauth/callback")
        #expect(page.status.code == 200)
        #expect(page.text.contains("\"relay\":true"))
        let r = h.send(.post, "/oauth/callback", headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")], body: "itemId=item-10&error=server_error")
        #expect(r.headers["Content-Type"] == "application/json")
        #expect(r.json["status"] as? String == "failed")
        #expect(r.json["itemId"] as? String == "item-10")
        #expect(try h.store.item(id: "item-10")?.status == .failed)
    }

    /// Redirect-looking parameters are never used: the return link comes from configuration only.
    @Test func callback_IgnoresReturnParameters_NoOpenRedirect() {
        let h = LandingHarness()
        let r = h.send(.get, "/oauth/callback?itemId=item-11&return_to=https://evil.example/&redirect=https://evil.example/&next=//evil.example", headers: [("User-Agent", UA.iPhone), ("X-Forwarded-Host", "evil.example")])
        #expect(r.text.contains("href=\"https://app.example.com/done\""))
        #expect(!r.text.contains("href=\"https://evil"))
        #expect(!r.text.contains("href=\"//evil"))
    }
}
