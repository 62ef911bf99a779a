import Foundation
import Testing
@testable import LandingCore

@Suite struct QAOverridesTests {
    /// With --qa, qa_device picks the page's device class and the in-app hint, whatever the User-Agent says.
    @Test(arguments: [
        ("desktop", "desktop", false), ("iphone", "iphone", false), ("ipad", "ipad", false), ("android", "android", false),
        ("android-webview", "android", false), ("instagram", "iphone", true),
    ])
    func override_ChoosesDeviceClass_WithQA(device: String, expected: String, inApp: Bool) {
        let r = QAHarness().send(.get, "/oauth/callback?itemId=qa-dev&qa_device=\(device)", headers: [("User-Agent", UA.desktop)])
        #expect(r.text.contains("data-device=\"\(expected)\""))
        #expect(r.text.contains("id=\"inapp\"") == inApp)
        #expect(r.text.contains("\"device\":\"\(expected)\""))
    }

    /// With --qa, the Android override gets the intent:// return link, as a real Android browser would.
    @Test func override_AndroidGetsIntentLink_WithQA() {
        let r = QAHarness().send(.get, "/oauth/callback?itemId=qa-and&qa_device=android", headers: [("User-Agent", UA.desktop)])
        #expect(r.text.contains("href=\"intent://app.example.com/done#Intent;scheme=https;package=com.example.app;"))
    }

    /// With --qa, qa_lang wins over Accept-Language (matched without regard to case).
    @Test func override_ChoosesLanguage_WithQA() {
        let r = QAHarness().send(.get, "/oauth/callback?itemId=qa-l&qa_lang=pt-br", headers: [("Accept-Language", "en-US,en;q=0.9")])
        #expect(r.text.contains("<html lang=\"pt-BR\""))
        #expect(r.text.contains("Conexão concluída"))
        let back = QAHarness().send(.get, "/oauth/callback?itemId=qa-l2&qa_lang=en", headers: [("Accept-Language", "pt-BR")])
        #expect(back.text.contains("<html lang=\"en\""))
    }

    /// With --qa, the QA parameters mark a test record and are not kept as forensics; other parameters still are.
    @Test func override_MarksTestAndIsNotStored_WithQA() throws {
        let h = QAHarness()
        _ = h.send(.get, "/oauth/callback?itemId=qa-f&qa_device=iphone&qa_lang=en&qa=1&bank=itau")
        let record = try #require(try h.store.item(id: "qa-f"))
        #expect(record.isTest)
        #expect(record.rawParameters.map(\.name) == ["itemId", "bank"])
    }

    /// The `qa=1` marker alone makes a test record; a callback without any QA parameter is a real one.
    @Test func marker_AloneMarksTest_WithQA() throws {
        let h = QAHarness()
        _ = h.send(.get, "/oauth/callback?itemId=qa-m&qa=1")
        _ = h.send(.get, "/oauth/callback?itemId=real-1")
        #expect(try h.store.item(id: "qa-m")?.isTest == true)
        #expect(try h.store.item(id: "real-1")?.isTest == false)
    }

    /// With --qa, the QA parameters never reach the record's forensics: set (a test) or empty (not a test, and not a repeat).
    @Test func parameters_AreNotKept_WithQA() throws {
        let h = QAHarness()
        _ = h.send(.get, "/oauth/callback?itemId=qa-k&qa=1&qa_device=iphone&bank=x")
        _ = h.send(.get, "/oauth/callback?itemId=qa-e&qa=&qa_device=&qa_lang=&qa=&bank=y")
        let set = try #require(try h.store.item(id: "qa-k"))
        #expect(set.isTest && set.rawParameters.map(\.name) == ["itemId", "bank"])
        let empty = try #require(try h.store.item(id: "qa-e"))
        #expect(!empty.isTest && empty.rawParameters.map(\.name) == ["itemId", "bank"])
    }

    /// Without --qa, the QA parameters are ordinary parameters: no override, no test mark, kept as forensics.
    @Test func overrides_AreIgnored_WithoutQA() throws {
        let h = QAHarness(qa: false)
        let r = h.send(
            .get, "/oauth/callback?itemId=x-1&qa_device=iphone&qa_lang=pt-BR&qa=1",
            headers: [("User-Agent", UA.desktop), ("Accept-Language", "en")])
        #expect(r.text.contains("data-device=\"desktop\""))
        #expect(r.text.contains("<html lang=\"en\""))
        let record = try #require(try h.store.item(id: "x-1"))
        #expect(!record.isTest)
        #expect(record.rawParameters.map(\.name) == ["itemId", "qa_device", "qa_lang", "qa"])
    }

    /// Unknown values are ignored but still mark a test; a repeated QA parameter is not an OAuth repeat (the first valid value wins).
    @Test func overrides_IgnoreUnknownValues_AndRepeats() throws {
        let h = QAHarness()
        let r = h.send(.get, "/oauth/callback?itemId=qa-u&qa_device=toaster&qa_device=ipad&qa_lang=klingon", headers: [("User-Agent", UA.android)])
        #expect(r.status == .ok)
        #expect(r.text.contains("data-device=\"ipad\""))
        #expect(r.text.contains("<html lang=\"en\""))
        #expect(try h.store.item(id: "qa-u")?.isTest == true)
        #expect(QAOverrides.read([("qa_lang", "")], languages: ["en"]) == .none)
    }

    /// form_post bodies carry the overrides too (the fragment relay and the form_post scenario post them).
    @Test func overrides_AreReadFromFormBody_WithQA() throws {
        let h = QAHarness()
        let r = h.send(
            .post, "/oauth/callback", headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
            body: "itemId=qa-p&qa_lang=pt-BR&qa=1")
        #expect(r.json["title"] as? String == "Conexão concluída")
        #expect(try h.store.item(id: "qa-p")?.isTest == true)
    }
}
