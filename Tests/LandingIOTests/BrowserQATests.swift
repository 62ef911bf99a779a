import Foundation
import Testing

extension BrowserTests {
    /// The status cell of a QA page row (`data-status` of its output).
    func rowStatus(_ session: WebDriverSession, _ row: String) throws -> String? {
        try session.execute("var o = document.querySelector('#scenario-' + arguments[0] + ' output.status'); return o && o.getAttribute('data-status')", [row]) as? String
    }

    /// The QA page runs a scenario in a popup (which closes itself) and shows the record's status live, marked as a test.
    @Test func browser_QAPage_PopupScenario_ShowsLiveStatus() throws {
        let (fixture, session) = try start()
        defer { session.quit() }
        try session.navigate(fixture.landingOrigin + "/qa")
        #expect(try session.title() == "QA: test callbacks")
        let qaWindow = try session.windowHandle()
        try BrowserScreenshots.save(session, as: "qa")
        try session.click(try session.findElement(css: "#scenario-success button.popup"))
        let completed = try session.waitUntil(timeout: 10, interval: 0.1) { try rowStatus(session, "success") == "completed" }
        let status = try rowStatus(session, "success")
        #expect(completed, "row status \(status ?? "nil")")
        let label = try session.text(try session.findElement(css: "#scenario-success output.status"))
        #expect(label.hasPrefix("completed · 1 callback(s) · test"), "\(label)")
        #expect(try session.waitUntil(timeout: 5, interval: 0.1) { try session.windowHandles() == [qaWindow] })

        // A scenario that must record nothing says so.
        try session.click(try session.findElement(css: "#scenario-repeated-parameter button.popup"))
        #expect(try session.waitUntil(timeout: 5, interval: 0.1) { try rowStatus(session, "repeated-parameter") == "none" })
        #expect(try session.waitUntil(timeout: 5, interval: 0.1) { try session.windowHandles() == [qaWindow] })
    }

    /// The session button creates a pending test session; its link completes it, and the QA page shows that when the tester comes back.
    @Test func browser_QAPage_SessionButton_CreatesTestSessionFollowedToCompletion() throws {
        let (fixture, session) = try start()
        defer { session.quit() }
        try session.navigate(fixture.landingOrigin + "/qa")
        try session.click(try session.findElement(css: "#scenario-session button.create-session"))
        #expect(try session.waitUntil(timeout: 5, interval: 0.1) { try rowStatus(session, "session") == "pending" })
        let link = try session.findElement(css: "#scenario-session a.session-link")
        #expect(try session.isDisplayed(link))
        let href = try #require(try session.attribute("href", of: link)).relative(to: fixture.landingOrigin)
        #expect(href.hasPrefix("/oauth/callback/") && href.hasSuffix("&qa=1"))
        try session.click(try session.findElement(css: "#scenario-session a.open"))
        #expect(try session.waitUntil(timeout: 10) { try pageStatus(session) == "completed" })
        #expect(try session.currentURL() == fixture.landingOrigin + href)
        try session.navigate(fixture.landingOrigin + "/qa")
        #expect(try session.waitUntil(timeout: 5, interval: 0.1) { try rowStatus(session, "session") == "completed" })
        try expectCleanLog(session)
    }

    /// The form_post scenario submits a POST form from a page whose CSP allows it, and lands on a completed page.
    @Test func browser_QAPage_FormPostScenario_LandsCompleted() throws {
        let (fixture, session) = try start()
        defer { session.quit() }
        try session.navigate(fixture.landingOrigin + "/qa")
        let itemId = try #require(try session.attribute("data-item-id", of: try session.findElement(css: "#scenario-form-post")))
        try session.click(try session.findElement(css: "#scenario-form-post a.open"))
        #expect(try session.waitUntil(timeout: 10) { try pageStatus(session) == "completed" })
        #expect(try session.currentURL() == fixture.landingOrigin + "/oauth/callback")
        let record = try fixture.readItem(itemId)
        #expect(record.json["status"] as? String == "completed")
        #expect(record.json["test"] as? Bool == true)
        try expectCleanLog(session)
    }

    /// The callback builder makes a link with the chosen parameters and overrides (here: an Android page in pt-BR).
    @Test func browser_QAPage_Builder_BuildsCallbackWithOverrides() throws {
        let (fixture, session) = try start()
        defer { session.quit() }
        try session.navigate(fixture.landingOrigin + "/qa")
        let itemId = try #require(try session.execute("return document.getElementById('b-item').value") as? String)
        try session.execute(
            "document.getElementById('b-error').value = 'server_error'; document.getElementById('b-device').value = 'android';"
                + " document.getElementById('b-lang').value = 'pt-BR'; document.getElementById('b-extra').value = 'bank=itau';")
        try session.click(try session.findElement(css: "#builder-form button[type=submit]"))
        let link = try session.findElement(css: "#builder-url")
        #expect(try session.waitUntil(timeout: 2) { try session.isDisplayed(link) })
        let href = try #require(try session.attribute("href", of: link)).relative(to: fixture.landingOrigin)
        #expect(href == "/oauth/callback?itemId=\(itemId)&error=server_error&bank=itau&qa_device=android&qa_lang=pt-BR&qa=1")
        try session.click(link)
        #expect(try session.waitUntil(timeout: 10) { try pageStatus(session) == "failed" })
        #expect(try session.execute("return document.documentElement.lang") as? String == "pt-BR")
        #expect(try session.execute("return document.documentElement.getAttribute('data-device')") as? String == "android")
        #expect(try session.isDisplayed(css: "#return"))
        #expect(try fixture.readItem(itemId).json["test"] as? Bool == true)
        try expectCleanLog(session)
    }
}

extension String {
    /// The path of a URL on `origin` (WebDriver may report `href` resolved or as written).
    func relative(to origin: String) -> String {
        hasPrefix(origin) ? String(dropFirst(origin.count)) : self
    }
}
