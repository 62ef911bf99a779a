import Foundation
import Synchronization
import Testing
@testable import LandingCore

/// A landing service in QA mode (or not) over a MemoryStore and the repository's templates, with
/// real randomness (QA item ids must differ) and a fixed clock: handlers run synchronously.
final class QAHarness: @unchecked Sendable {  // why: immutable after init; the store locks.
    let store = MemoryStore()
    let service: LandingService
    let application: Application
    static let now: Int64 = 1_800_000_000_000

    init(qa: Bool = true) {
        var settings = LandingSettings(
            publicURL: "https://landing.example.com", returnURL: "https://app.example.com/done", openerOrigins: ["https://app.example.com"],
            androidPackage: "com.example.app", sessionTTL: 1800, apiKeys: [LandingHarness.apiKey])
        settings.qa = qa
        service = LandingService(
            settings: settings, store: InlineStoreAccess(store: store),
            environment: LandingEnvironment(now: { QAHarness.now }, randomBytes: { n in (0..<n).map { _ in UInt8.random(in: 0...255) } }),
            templates: { LandingHarness.templates })
        var router = Router<RouteHandler>()
        service.install(into: &router)
        application = Application(router: router)
    }

    /// Sends a request through the routed application and returns the response.
    func send(_ method: HTTPMethod = .get, _ target: String, headers: [(String, String)] = [], body: String = "") -> HTTPResponse {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let request = HTTPRequest(
            method: method, target: target, path: String(parts[0]), query: parts.count > 1 ? String(parts[1]) : nil, version: .http1_1,
            headers: HTTPHeaders([("Host", "landing.example.com")] + headers), body: Array(body.utf8))
        switch application.handle(request, context: RequestContext(requestID: "qa", remoteAddress: "127.0.0.1", isSecure: true)) {
        case .response(let response):
            return response
        case .deferred(let work):
            let box = Mutex<HTTPResponse?>(nil)
            work { build in box.withLock { $0 = build() } }
            return box.withLock { $0 }!
        }
    }

    /// Opens `scenario` the way a browser would: the fragment relayed by POST, form_post by POST,
    /// a session link after creating the test session. Returns the landing response.
    func open(_ scenario: QAScenario, headers: [(String, String)] = [("User-Agent", UA.desktop)]) -> HTTPResponse {
        let callback = service.settings.callbackPath
        let encoded = QAScenarios.encode(scenario.parameters)
        let form = [("Content-Type", "application/x-www-form-urlencoded")]
        switch scenario.mode {
        case .query:
            return send(.get, scenario.url(base: "", callbackPath: callback), headers: headers)
        case .fragment:
            return send(.post, callback, headers: headers + form + [("Accept", "application/json")], body: encoded)
        case .formPost:
            return send(.post, callback, headers: headers + form, body: encoded)
        case .session:
            let created = send(.post, "/qa/sessions", headers: [("Content-Type", "application/json")], body: "{}")
            let id = created.json["id"] as? String ?? "missing"
            return send(.get, callback + "/" + id + "?" + encoded, headers: headers)
        }
    }
}

extension HTTPResponse {
    /// The `data-status` of a landing page, or the `status` of its JSON form.
    var landingStatus: String? {
        if headers["Content-Type"] == "application/json" { return json["status"] as? String }
        guard let range = text.range(of: "data-status=\"") else { return nil }
        return String(text[range.upperBound...].prefix { $0 != "\"" })
    }
}
