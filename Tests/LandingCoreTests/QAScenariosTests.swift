import Foundation
import Testing
@testable import LandingCore

@Suite struct QAScenariosTests {
    static let scenarios = QAScenarios.all { QAScenarios.itemId(random: (0..<9).map { _ in UInt8.random(in: 0...255) }) }

    /// The list covers every scenario of issue 5: success, each RFC 6749 error, hostile text, missing item, repeat, session, fragment, form_post, each device and language.
    @Test func scenarios_CoverEveryCaseOfTheIssue() {
        let ids = Set(Self.scenarios.map(\.id))
        var required = ["success", "hostile-description", "missing-item-id", "repeated-parameter", "session", "fragment", "form-post"]
        required += CallbackParameters.knownErrorCodes.map { "error-" + $0 }
        required += ["desktop", "iphone", "ipad", "android", "android-webview", "instagram"].map { "device-" + $0 }
        required += ["lang-en", "lang-pt-BR"]
        for id in required { #expect(ids.contains(id), "missing scenario \(id)") }
        #expect(ids.count == Self.scenarios.count)
    }

    /// Every scenario with an item id gets its own, `qa-` and 12 base64url characters.
    @Test func scenarios_UseUniqueQAItemIds() {
        let ids = Self.scenarios.compactMap(\.itemId)
        #expect(Set(ids).count == ids.count)
        #expect(ids.count == Self.scenarios.count - 1)
        for id in ids {
            #expect(id.hasPrefix("qa-") && id.count == 15 && CallbackParameters.isValidItemId(id), "\(id)")
        }
    }

    /// Each mode has its own URL shape, and values are percent-encoded (the hostile description stays one parameter).
    @Test func scenarios_BuildURLsPerMode() throws {
        func url(_ id: String) throws -> String {
            try #require(Self.scenarios.first { $0.id == id }).url(base: "https://h.example", callbackPath: "/cb")
        }
        #expect(try url("success").hasPrefix("https://h.example/cb?itemId=qa-"))
        #expect(try url("fragment").hasPrefix("https://h.example/cb#itemId=qa-"))
        #expect(try url("form-post").hasPrefix("https://h.example/qa/form-post?itemId=qa-"))
        #expect(try url("session").hasPrefix("https://h.example/qa/session?itemId=qa-"))
        #expect(try url("expired-session").hasPrefix("https://h.example/cb/AAAAAAAAAAAAAAAAAAAAAA?itemId=qa-"))
        let hostile = try url("hostile-description")
        #expect(hostile.contains("error_description=%3Cimg%20src%3Dx%20onerror%3Dwindow.__pwned%3D1%3E%3C%2Fscript%3E"))
        #expect(!hostile.contains("<") && !hostile.contains(" "))
        #expect(try url("repeated-parameter").components(separatedBy: "state=").count == 3)
    }

    /// Opened as a browser would open it, every scenario produces its expected status, and records exactly when it should, as a test record.
    @Test(arguments: QAScenariosTests.scenarios.map(\.id))
    func scenarios_ProduceTheirExpectedOutcome(id: String) throws {
        let scenario = try #require(Self.scenarios.first { $0.id == id })
        let harness = QAHarness()
        let response = harness.open(scenario)
        #expect(response.landingStatus == scenario.expectedStatus, "\(response.status.code) \(response.text.prefix(300))")
        if let itemId = scenario.itemId {
            let record = try harness.store.item(id: itemId)
            #expect((record != nil) == scenario.records)
            if let record {
                #expect(record.isTest)
                #expect(!record.rawParameters.contains { QAOverrides.parameterNames.contains($0.name) })
            }
        }
    }

    /// `qa-links` prints the QA page, then one `label<TAB>url` line per scenario, all on the base.
    @Test func qaLinks_PrintsOneLabelledLinePerScenario() {
        let lines = QAScenarios.links(base: "https://landing.example.com") { "qa-fixed" }
        #expect(lines.count == Self.scenarios.count + 1)
        #expect(lines.first == "qa-page\thttps://landing.example.com/qa")
        for line in lines {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            #expect(fields.count == 2 && fields[1].hasPrefix("https://landing.example.com/"), "\(line)")
        }
        #expect(lines.contains("success\thttps://landing.example.com/oauth/callback?itemId=qa-fixed&qa=1"))
        #expect(lines.contains("device-instagram\thttps://landing.example.com/oauth/callback?itemId=qa-fixed&qa_device=instagram"))
    }

    /// `qa-links` parses with a default base, normalizes `--base`, refuses http and extra arguments, and has help.
    @Test func qaLinksCommand_ParsesBase() throws {
        func parse(_ arguments: [String]) throws(ConfigError) -> Command {
            try ConfigLoader.parse(arguments: arguments, environment: [:], readFile: { _ in [] })
        }
        #expect(try parse(["qa-links"]) == .qaLinks(base: "https://localhost:8443"))
        #expect(try parse(["qa-links", "--base", "https://Landing.Example.com/x/"]) == .qaLinks(base: "https://landing.example.com/x"))
        #expect(try parse(["qa-links", "--help"]) == .help(topic: "qa-links"))
        #expect(throws: ConfigError.self) { try parse(["qa-links", "--base", "http://landing.example.com"]) }
        #expect(throws: ConfigError.self) { try parse(["qa-links", "extra"]) }
        #expect(UsageText.text(for: "qa-links").hasPrefix("Usage: oauth-landing qa-links [--base URL]"))
        #expect(UsageText.text(for: nil).contains("oauth-landing qa-links [--base URL]"))
    }
}
