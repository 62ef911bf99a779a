import Foundation
import Testing

/// Where axe-core (`axe.min.js`) is: `LANDING_AXE_JS` (set by `scripts/test.sh`), else the copy
/// `scripts/install-deps.sh test` unpacks under the user's cache, else a system-wide axe-core.
/// Like PostgreSQL: absent on a developer machine, the accessibility tests are skipped; on CI they
/// run and fail.
enum AxeCore {
    /// The axe-core release the tests need at least: 4.5 brought the `wcag22aa` rules (target size).
    static let minimumVersion = (4, 5)
    /// The axe-core tags the page is checked against: WCAG 2.0, 2.1 and 2.2, levels A and AA.
    static let tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

    /// The copy `scripts/install-deps.sh test` installs (keep the two in step).
    static var cachedCopy: String {
        let environment = ProcessInfo.processInfo.environment
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (home + "/.cache")
        return cache + "/oauth-landing/axe-selenium-python-3.0.0/axe_selenium_python/node_modules/axe-core/axe.min.js"
    }

    static var candidates: [String] {
        [cachedCopy, "/usr/share/nodejs/axe-core/axe.min.js", "/usr/lib/node_modules/axe-core/axe.min.js", "/usr/local/lib/node_modules/axe-core/axe.min.js"]
    }

    /// `LANDING_AXE_JS` when set (even if the file is missing: that is an error, not a skip).
    static var override: String? {
        let value = ProcessInfo.processInfo.environment["LANDING_AXE_JS"] ?? ""
        return value.isEmpty ? nil : value
    }

    static var path: String? { override ?? candidates.first { FileManager.default.isReadableFile(atPath: $0) } }

    /// For `.enabled(if:)`: run when axe-core is there (or named), and always on CI.
    static var shouldRun: Bool { path != nil || BrowserEnvironment.isCI }

    /// axe-core's source, read once.
    static let loaded: Result<String, E2EError> = {
        guard let path else {
            return .failure(E2EError("axe-core not found (LANDING_AXE_JS unset; looked at \(candidates)): run scripts/install-deps.sh test"))
        }
        guard let source = try? String(contentsOfFile: path, encoding: .utf8), source.contains("axe") else {
            return .failure(E2EError("axe-core: cannot read \(path)"))
        }
        return .success(source)
    }()

    static func source() throws -> String { try loaded.get() }
}

/// One axe-core run on the page, plus the checks axe does not make (non-text contrast of the icon,
/// the button and the focus ring; the button's focus and size).
struct AxeReport: CustomStringConvertible {
    struct Violation {
        var id: String
        var impact: String
        var help: String
        var nodes: [String]
    }

    var version = ""
    var violations: [Violation] = []
    /// Rules that passed on at least one element.
    var passes: [String] = []
    /// Rules axe could not decide on some element (for a person to review; not failures).
    var incomplete: [String] = []

    var description: String {
        violations.map { violation in
            "\(violation.id) (\(violation.impact)): \(violation.help)\n" + violation.nodes.map { "    " + $0 }.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// `axe.run` limited to `AxeCore.tags`, in a page axe-core was added to
    /// (`Page.addScriptToEvaluateOnNewDocument`, before the page's own scripts).
    static func run(_ session: WebDriverSession) throws -> AxeReport {
        guard try session.execute("return typeof window.axe") as? String == "object" else {
            throw E2EError("axe-core is not in the page (\(try session.currentURL()))")
        }
        let text = try session.executeAsync(
            """
            var done = arguments[arguments.length - 1];
            axe.run(document, { runOnly: { type: "tag", values: arguments[0] }, resultTypes: ["violations"] }).then(function (r) {
              done(JSON.stringify({
                version: axe.version,
                passes: r.passes.map(function (v) { return v.id; }),
                incomplete: r.incomplete.map(function (v) { return v.id; }),
                violations: r.violations.map(function (v) {
                  return { id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.map(function (n) {
                    return n.target.join(" ") + " — " + (n.failureSummary || "").replace(/\\s+/g, " ") + " — " + n.html;
                  }) };
                })
              }));
            }, function (e) { done(JSON.stringify({ error: String(e) })); });
            """, [AxeCore.tags]) as? String ?? "{}"
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        if let error = object["error"] as? String { throw E2EError("axe.run failed: \(error)") }
        var report = AxeReport()
        report.version = object["version"] as? String ?? ""
        report.passes = object["passes"] as? [String] ?? []
        report.incomplete = object["incomplete"] as? [String] ?? []
        for violation in object["violations"] as? [[String: Any]] ?? [] {
            report.violations.append(
                Violation(
                    id: violation["id"] as? String ?? "?", impact: violation["impact"] as? String ?? "", help: violation["help"] as? String ?? "",
                    nodes: violation["nodes"] as? [String] ?? []))
        }
        return report
    }

    /// The version as (major, minor).
    var versionNumber: (Int, Int) {
        let parts = version.split(separator: ".").compactMap { Int($0) }
        return (parts.first ?? 0, parts.count > 1 ? parts[1] : 0)
    }
}

extension WebDriverSession {
    /// W3C "Execute Async Script": `script` calls its last argument with the result.
    @discardableResult
    func executeAsync(_ script: String, _ arguments: [Any] = []) throws -> Any? {
        try command("POST", "/execute/async", ["script": script, "args": arguments])
    }

    /// Presses and releases one key (W3C "Perform Actions"; `key` as WebDriver codes it: Tab is U+E004).
    func press(_ key: String) throws {
        try command(
            "POST", "/actions",
            ["actions": [["type": "key", "id": "keyboard", "actions": [["type": "keyDown", "value": key], ["type": "keyUp", "value": key]]]]])
        try command("DELETE", "/actions")
    }

    /// Emulates `prefers-color-scheme` (Chrome DevTools `Emulation.setEmulatedMedia`).
    func emulateColorScheme(_ scheme: String) throws {
        try cdp("Emulation.setEmulatedMedia", ["media": "", "features": [["name": "prefers-color-scheme", "value": scheme]]])
    }
}

extension BrowserTests {
    /// The landing page has no axe-core violation (WCAG 2.0/2.1/2.2 A and AA) in any outcome, on
    /// desktop, iPhone and Android, in English, Spanish and Portuguese, light and dark; its icon, button and
    /// focus ring keep 3:1 against the card, the button is reachable with Tab, shows its focus and
    /// is at least 44×44 px, and the outcome the page changes after the fragment relay is in a live region.
    @Test(
        .enabled(if: AxeCore.shouldRun, "axe-core is not installed (scripts/install-deps.sh test; on CI it must be)"),
        arguments: ["desktop", "iPhone", "Android"], ["en", "es", "pt-BR"])
    func browser_Accessibility_EveryOutcome_NoAxeViolations(device: String, language: String) throws {
        _ = try AxeCore.source()
        var profile: BrowserProfile = device == "iPhone" ? .iPhone : device == "Android" ? .android : .desktop
        profile.acceptLanguage = language == "pt-BR" ? "pt-BR,pt;q=0.9" : language == "es" ? "es-MX,es;q=0.9" : "en-US,en"
        let (fixture, session) = try start(profile)
        defer { session.quit() }
        // why: once for the session rather than sent with every page (axe.min.js is 550 kB).
        try session.cdp("Page.addScriptToEvaluateOnNewDocument", ["source": try AxeCore.source()])
        let catalog = try Self.catalog(language)
        let started = Date()
        var first = true
        var checked = 0
        for item in try Self.accessibilityCases(fixture, device: device) {
            // Before the page's own script: hold or fail the relay's fetch (pending, relay failure).
            var stub: String?
            if let fetch = item.fetchStub {
                let added = try session.cdp("Page.addScriptToEvaluateOnNewDocument", ["source": "window.fetch = " + fetch + ";"]) as? [String: Any]
                stub = added?["identifier"] as? String
            }
            // why: spends the one callback a new rate-limit window allows (if one began), so the page is refused.
            if item.rateLimited { _ = try? Curl.fetch(item.url) }
            if first {
                try arrive(session, at: item.url, from: fixture)
                first = false
            } else {
                try session.navigate(item.url)
            }
            if let stub { try session.cdp("Page.removeScriptToEvaluateOnNewDocument", ["identifier": stub]) }
            let label = "\(device) \(language) \(item.name)"
            let reached = try session.waitUntil(timeout: 5) { try pageStatus(session) == item.status }
            let shown = try pageStatus(session)
            #expect(reached, "\(label): data-status \(shown ?? "nil"), expected \(item.status)")
            #expect(try session.execute("return document.documentElement.lang") as? String == language, "\(label)")
            if let titleKey = item.titleKey {
                #expect(try session.text(try session.findElement(css: "#title")) == catalog[titleKey], "\(label)")
            }
            if item.showsDetail {
                #expect(try session.isDisplayed(css: "#detail"), "\(label): the bank's message is not shown")
            }
            if item.relayFailed {
                let retry = catalog["message_unavailable"]
                #expect(try session.waitUntil(timeout: 3) { try session.text(try session.findElement(css: "#message")) == retry }, "\(label)")
            }
            // The page's final state: on desktop the fallback (and the return button) 500 ms after load.
            if item.relayFailed || (item.settles && device == "desktop") {
                #expect(try session.waitUntil(timeout: 3) { try session.isDisplayed(css: "#fallback") }, "\(label): no fallback")
            }
            try expectLiveOutcome(session, label)
            // Tab reaches the return button when it shows.
            let hasReturn = try session.isDisplayed(css: "#return")
            if hasReturn {
                try session.press("\u{E004}")
                let focused = try session.execute("return document.activeElement && document.activeElement.id") as? String
                #expect(focused == "return", "\(label): Tab did not reach #return")
            }
            #expect(hasReturn == item.expectsReturn(device: device), "\(label): #return displayed \(hasReturn)")
            for scheme in ["light", "dark"] {
                try session.emulateColorScheme(scheme)
                let dark = try session.execute("return matchMedia('(prefers-color-scheme: dark)').matches") as? Bool
                #expect(dark == (scheme == "dark"), "\(label): the \(scheme) scheme is not in effect")
                let report = try AxeReport.run(session)
                checked += 1
                if !report.violations.isEmpty {
                    Issue.record("\(label) \(scheme): \(report.violations.count) axe violation(s):\n\(report)")
                }
                #expect(report.versionNumber >= AxeCore.minimumVersion, "axe-core \(report.version) is older than 4.5: no WCAG 2.2 rules")
                #expect(report.passes.contains("color-contrast"), "\(label) \(scheme): color-contrast checked nothing (passes: \(report.passes))")
                for problem in try Self.visualProblems(session) {
                    Issue.record("\(label) \(scheme): \(problem)")
                }
                if Self.printsReport {
                    print(
                        "a11y \(label) \(scheme): axe \(report.version), \(report.violations.count) violations,"
                            + " \(report.passes.count) rules passed, incomplete \(report.incomplete)")
                }
                if Self.savesScreenshots {
                    let png = try session.screenshot()
                    let directory = BrowserScreenshots.temporaryDirectory + "/a11y"
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                    let name = "\(device)-\(language)-\(item.name)-\(scheme)".replacingOccurrences(of: " ", with: "_")
                    try png.write(to: URL(fileURLWithPath: "\(directory)/\(name).png"))
                }
            }
            try session.emulateColorScheme("light")
            // axe runs in the page (injected by DevTools, outside the CSP) and must not trip its CSP.
            let log = try BrowserLogReport.collect(session)
            #expect(log.cspViolations.isEmpty, "\(label): \(log.cspViolations)")
        }
        print("BrowserAccessibilityTests: \(device) \(language): \(checked) axe runs in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    /// `LANDING_A11Y_REPORT=1`: one line per axe run (rules passed, rules axe left for review).
    static var printsReport: Bool { ProcessInfo.processInfo.environment["LANDING_A11Y_REPORT"] == "1" }
    /// `LANDING_A11Y_SCREENSHOTS=1`: a screenshot per case and scheme, in the temporary screenshot directory.
    static var savesScreenshots: Bool { ProcessInfo.processInfo.environment["LANDING_A11Y_SCREENSHOTS"] == "1" }

    /// One page the accessibility test visits.
    struct AccessibilityCase {
        var name: String
        var url: String
        /// The expected `data-status`.
        var status: String
        /// The catalog key of the expected title, when the test knows it.
        var titleKey: String?
        /// Source of a `fetch` replacement installed before the page's script (the relay's request).
        var fetchStub: String?
        /// The page reaches its final state (on desktop: the fallback shows); false while the relay waits.
        var settles = true
        /// The page has a return link (`--return-url` on the server under test).
        var hasReturnURL = true
        var rateLimited = false
        /// The relay's request fails: the page asks to try again and shows the fallback everywhere.
        var relayFailed = false
        /// `#detail` shows (the bank's message).
        var showsDetail = false

        /// Where the return button shows: with a link, on a phone at once, on desktop once the page settled.
        func expectsReturn(device: String) -> Bool { hasReturnURL && (device != "desktop" || settles) }
    }

    static func accessibilityCases(_ fixture: BrowserFixture, device: String) throws -> [AccessibilityCase] {
        let description = Self.encode("The user cancelled the consent at the bank.")
        // A failed callback on a live session's path: the bank's description is shown.
        let sessionId = try Self.qaSessionId(fixture)
        var cases = [
            AccessibilityCase(name: "completed", url: callback(fixture, "?itemId=" + BrowserFixture.itemId("a11y-ok")), status: "completed", titleKey: "title_completed"),
            // why: not right after a page on the same path, which would make this a same-document fragment change.
            AccessibilityCase(
                name: "relay completed", url: callback(fixture, "#itemId=" + BrowserFixture.itemId("a11y-relay")), status: "completed", titleKey: "title_completed"),
            AccessibilityCase(
                name: "failed", url: callback(fixture, "/\(sessionId)?itemId=\(BrowserFixture.itemId("a11y-failed"))&error=access_denied&error_description=" + description),
                status: "failed", titleKey: "title_failed", showsDetail: true),
            AccessibilityCase(
                name: "pending", url: callback(fixture, ""), status: "pending", titleKey: "title_relay", fetchStub: "function () { return new Promise(function () {}); }",
                settles: false),
            AccessibilityCase(
                name: "relay failed", url: callback(fixture, ""), status: "pending", titleKey: "title_relay",
                fetchStub: "function () { return Promise.reject(new TypeError('Failed to fetch')); }", settles: false, relayFailed: true),
            AccessibilityCase(name: "unidentified", url: callback(fixture, "?foo=bar"), status: "unidentified", titleKey: "title_unidentified"),
            AccessibilityCase(name: "unidentified error", url: callback(fixture, "?error=access_denied"), status: "unidentified", titleKey: "title_unidentified"),
            AccessibilityCase(name: "invalid", url: callback(fixture, "?itemId=bad%20id"), status: "invalid", titleKey: "title_invalid"),
            AccessibilityCase(name: "expired", url: callback(fixture, "/AAAAAAAAAAAAAAAAAAAAAA"), status: "expired", titleKey: "title_expired"),
            AccessibilityCase(
                name: "rate limited", url: try Self.rateLimitedServer().baseURL + "/oauth/callback?itemId=" + BrowserFixture.itemId("a11y-limited"),
                status: "rate_limited", titleKey: "title_rate_limited", hasReturnURL: false, rateLimited: true),
            // The server without a return URL: on a phone, the "switch back to the app" hint.
            AccessibilityCase(
                name: "completed without return URL", url: fixture.openerOrigin + "/oauth/callback?itemId=" + BrowserFixture.itemId("a11y-noreturn"),
                status: "completed", titleKey: "title_completed", hasReturnURL: false),
        ]
        if device == "iPhone" {
            // An in-app browser (Instagram): the "open in your browser" hint too.
            cases.append(
                AccessibilityCase(
                    name: "in-app browser", url: callback(fixture, "?itemId=\(BrowserFixture.itemId("a11y-inapp"))&qa_device=instagram"), status: "completed",
                    titleKey: "title_completed"))
        }
        return cases
    }

    /// A test session on the server under test (`POST /qa/sessions`); its id.
    static func qaSessionId(_ fixture: BrowserFixture) throws -> String {
        let transfer = try Curl.fetch(
            fixture.landingOrigin + "/qa/sessions", ["-X", "POST", "-H", "Content-Type: application/json", "--data", "{}"], timeout: 15)
        let json = (try? JSONSerialization.jsonObject(with: Data(transfer.response.body))) as? [String: Any] ?? [:]
        guard transfer.response.status == 201, let id = json["id"] as? String else {
            throw E2EError("POST /qa/sessions answered \(transfer.response.status): \(transfer.response)")
        }
        return id
    }

    /// A landing server that allows one callback per address per minute: every page after the
    /// first is the 429 "too many attempts" page. Started once, stopped at exit.
    static func rateLimitedServer() throws -> ServerProcess { try rateLimited.get() }

    private static let rateLimited: Result<ServerProcess, E2EError> = {
        do {
            return .success(try ServerProcess(["--qa", "--max-callbacks-per-address-per-minute", "1"], threads: 1))
        } catch let error as E2EError {
            return .failure(error)
        } catch {
            return .failure(E2EError("\(error)"))
        }
    }()

    /// The string catalog of `language`, as the server reads it.
    static func catalog(_ language: String) throws -> [String: String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: ServerProcess.repositoryRoot + "/templates/strings/\(language).json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: String] ?? [:]
    }

    /// The outcome (`#title`, `#message`, `#detail`) is inside a polite live region that was in the
    /// page from the start, so the fragment relay's update is announced; so is the fallback.
    func expectLiveOutcome(_ session: WebDriverSession, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let problems = try session.execute(
            """
            function live(id) {
              var e = document.getElementById(id);
              for (; e; e = e.parentElement) {
                var role = e.getAttribute("role"), polite = e.getAttribute("aria-live");
                if (role === "status" || polite === "polite" || polite === "assertive") { return e; }
              }
              return null;
            }
            var problems = [];
            ["title", "message", "detail", "fallback"].forEach(function (id) {
              var region = live(id);
              if (!region) { problems.push("#" + id + " is in no live region"); }
              else if (region.id === id) { problems.push("#" + id + " is its own live region (it is hidden at first: not announced reliably)"); }
            });
            if (live("title") && live("title") === live("fallback")) { problems.push("#fallback shares the outcome's region: the outcome would be announced twice"); }
            return problems;
            """) as? [String] ?? ["the live-region check returned nothing"]
        for problem in problems { Issue.record("\(label): \(problem)", sourceLocation: sourceLocation) }
    }

    /// What axe does not check (WCAG 1.4.11 non-text contrast, 2.4.7 focus visible, 2.5.8 target
    /// size) measured on the rendered page; each problem as a sentence.
    static func visualProblems(_ session: WebDriverSession) throws -> [String] {
        try session.execute(
            """
            function rgb(text) {
              var m = /rgba?\\(([^)]+)\\)/.exec(text || "");
              if (!m) { return null; }
              var p = m[1].split(/[ ,\\/]+/).filter(function (s) { return s !== ""; }).map(Number);
              return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
            }
            function lum(c) {
              function ch(v) { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }
              return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
            }
            function ratio(a, b) { var x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); }
            var problems = [];
            function need(what, a, b, min) {
              var ca = rgb(a), cb = rgb(b);
              if (!ca || !cb || ca.a < 1 || cb.a < 1) { problems.push(what + ": colours not opaque (" + a + " / " + b + ")"); return; }
              var r = ratio(ca, cb);
              if (r < min) { problems.push(what + ": " + r.toFixed(2) + ":1 (" + a + " on " + b + "), needs " + min + ":1"); }
            }
            var card = getComputedStyle(document.getElementById("landing")).backgroundColor;
            var icon = document.getElementById("icon");
            need("icon symbol", getComputedStyle(icon, "::before").color, getComputedStyle(icon).backgroundColor, 4.5);
            need("icon circle against the card", getComputedStyle(icon).backgroundColor, card, 3);
            var link = document.getElementById("return");
            if (link && !link.hidden && link.getClientRects().length) {
              var box = link.getBoundingClientRect();
              if (box.width < 44 || box.height < 44) { problems.push("#return is " + box.width + "×" + box.height + " px, under 44×44"); }
              var style = getComputedStyle(link);
              need("#return against the card", style.backgroundColor, card, 3);
              if (document.activeElement === link) {
                var width = parseFloat(style.outlineWidth) || 0;
                if (style.outlineStyle === "none" || width < 2) { problems.push("#return has focus but no visible outline (" + style.outlineStyle + " " + style.outlineWidth + ")"); }
                else { need("#return focus outline against the card", style.outlineColor, card, 3); }
                if (!link.matches(":focus-visible")) { problems.push("#return focused with Tab does not match :focus-visible"); }
              }
            }
            if (document.querySelector("meta[http-equiv='refresh' i]")) { problems.push("the page refreshes or redirects itself (meta refresh)"); }
            return problems;
            """) as? [String] ?? ["the visual check returned nothing"]
    }
}
