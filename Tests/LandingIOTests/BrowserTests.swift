import Foundation
import Testing

/// The landing page and the QA page in a real browser: Debian's headless chromium driven by
/// chromedriver over the W3C WebDriver protocol, against the real server (issue 5). One suite,
/// serialized: one browser at a time on small CI machines, and the 1-second checks stay honest.
/// Skipped only when chromium or chromedriver is missing and `CI` is not set.
@Suite(
    .serialized, .timeLimit(.minutes(1)),
    .enabled(if: BrowserEnvironment.shouldRun, "chromium and chromium-driver are not installed (on CI they must be)"))
struct BrowserTests {
    /// The shared fixture and a new browser session of `profile`; the caller quits the session.
    /// why: not a closure-taking helper; the 6.3 compiler crashes (SendNonSendable pass) on some test
    /// bodies written as closures.
    func start(_ profile: BrowserProfile = .desktop) throws -> (BrowserFixture, WebDriverSession) {
        let fixture = try BrowserFixture.shared()
        return (fixture, try fixture.session(profile))
    }

    /// Opens `url` the way a user arrives from the aggregator: after a page on another origin, so
    /// the tab has history (a tab whose only entry is this page may be closed by its script).
    /// why: an HTML page with its own icon; a text page (`/healthz`) makes the browser fetch
    /// `/favicon.ico`, a 404 that would show in the log.
    func arrive(_ session: WebDriverSession, at url: String, from fixture: BrowserFixture) throws {
        try session.navigate(fixture.openerOrigin + "/qa/opener")
        try session.navigate(url)
    }

    /// The page's `data-status` (the outcome, or "pending" while the fragment relay runs).
    func pageStatus(_ session: WebDriverSession) throws -> String? {
        try session.execute("return document.documentElement.getAttribute('data-status')") as? String
    }

    /// Expects nothing in the session's logs: no CSP violation, no failed request, no console error.
    func expectCleanLog(_ session: WebDriverSession, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let report = try BrowserLogReport.collect(session)
        #expect(report.isClean, "\(report)", sourceLocation: sourceLocation)
    }

    /// `text` percent-encoded for a query value.
    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? text
    }

    /// A landing callback URL on the server under test.
    static func callback(_ fixture: BrowserFixture, _ query: String) -> String {
        fixture.landingOrigin + "/oauth/callback" + query
    }
}
