import Foundation
import Synchronization
import Testing
@testable import LandingCore

/// A landing service over a MemoryStore, the repository's real templates, a settable clock and
/// counting random bytes: handlers run synchronously, no sockets.
final class LandingHarness: @unchecked Sendable {
    let store = MemoryStore()
    final class Cell<T: Sendable>: Sendable {
        let value: Mutex<T>
        init(_ v: T) { value = Mutex(v) }
    }
    let clock = Cell<Int64>(1_800_000_000_000)
    /// While true, the service's reads (`item`, `session`) fail with `.unavailable`, as when the
    /// database is unreachable; writes still go through.
    let readsFail = Cell<Bool>(false)
    /// Every `LandingEvent` the service recorded, in order.
    let events = CollectedLandingEvents()
    let counter = Cell<UInt8>(0)
    /// What the service counted.
    let metrics = LandingFlowMetrics()
    /// Work the service scheduled (`LandingEnvironment.schedule`), with when it is due on `clock`;
    /// `runDueWork()` runs it.
    let scheduled = Cell<[(due: Int64, work: @Sendable () -> Void)]>([])
    let service: LandingService
    static let apiKey = "test-key-0123456789abcdef"
    /// When set, `application` also has `POST /webhooks/pluggy` checking this secret.
    let webhookSecret: String?

    static let templates: TemplateSet = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.appendingPathComponent("templates")
        var templates: [String: String] = [:]
        var catalogs: [String: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] where name.hasSuffix(".html") {
            templates[String(name.dropLast(5))] = try! String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
        }
        let strings = dir.appendingPathComponent("strings")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: strings.path)) ?? [] where name.hasSuffix(".json") {
            catalogs[String(name.dropLast(5))] = try! String(contentsOf: strings.appendingPathComponent(name), encoding: .utf8)
        }
        return try! TemplateSet.parse(templates: templates, catalogs: catalogs)
    }()

    init(
        returnURL: String? = "https://app.example.com/done", androidPackage: String? = "com.example.app",
        openerOrigins: [String] = ["https://app.example.com"], corsOrigins: [String] = [], webhookSecret: String? = nil,
        waiterLimits: RecordWaiters.Limits = RecordWaiters.Limits(), readCache: RecordReadCache? = nil,
        customize: (inout LandingSettings) -> Void = { _ in }
    ) {
        self.webhookSecret = webhookSecret
        let policy = try! ReturnURLPolicy(allowedPrefixes: ["https://app.example.com/"])
        var settings = LandingSettings(
            publicURL: "https://landing.example.com", returnURL: returnURL, openerOrigins: openerOrigins, androidPackage: androidPackage,
            sessionTTL: 1800, returnURLPolicy: policy, apiKeys: [Self.apiKey])
        settings.corsOrigins = corsOrigins
        customize(&settings)
        let clock = self.clock
        let counter = self.counter
        let scheduled = self.scheduled
        let waiters = RecordWaiters(limits: waiterLimits)
        service = LandingService(
            // Like the server: the store access wakes the waiters after each commit.
            settings: settings,
            store: InlineStoreAccess(
                store: ReadFailingStore(base: store, failing: readsFail),
                onCommit: { changes in
                    readCache?.apply(changes)
                    waiters.notify(changes)
                }),
            environment: LandingEnvironment(
                now: { clock.value.withLock { $0 } },
                randomBytes: { n in counter.value.withLock { c in c &+= 1; return [UInt8](repeating: c, count: n) } },
                schedule: { seconds, work in
                    let due = clock.value.withLock { $0 } + Int64((seconds * 1000).rounded(.up))
                    scheduled.value.withLock { $0.append((due, work)) }
                }),
            templates: { Self.templates }, waiters: waiters, metrics: metrics, events: events, readCache: readCache)
    }

    var application: Application {
        var router = Router<RouteHandler>()
        service.install(into: &router)
        WebhookService.install(into: &router, service: service, secret: webhookSecret)
        return Application(router: router)
    }

    func advance(seconds: Int64) { clock.value.withLock { $0 += seconds * 1000 } }

    /// Runs the scheduled work that is due by `clock` (and any due work it schedules in turn).
    func runDueWork() {
        while true {
            let now = clock.value.withLock { $0 }
            let due = scheduled.value.withLock { items -> [@Sendable () -> Void] in
                let ready = items.filter { $0.due <= now }.map(\.work)
                items.removeAll { $0.due <= now }
                return ready
            }
            if due.isEmpty { return }
            for work in due { work() }
        }
    }

    /// Sends a request through the routed application and returns the response.
    func send(
        _ method: HTTPMethod = .get, _ target: String, headers: [(String, String)] = [], body: String = ""
    ) -> HTTPResponse {
        let path = String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0])
        let query = target.contains("?") ? String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[1]) : nil
        let request = HTTPRequest(
            method: method, target: target, path: path, query: query, version: .http1_1,
            headers: HTTPHeaders([("Host", "landing.example.com")] + headers), body: Array(body.utf8))
        let context = RequestContext(requestID: "t", remoteAddress: "127.0.0.1", isSecure: true)
        switch application.handle(request, context: context) {
        case .response(let r):
            return r
        case .deferred(let work):
            let box = Mutex<HTTPResponse?>(nil)
            work { build in box.withLock { $0 = build() } }
            return box.withLock { $0 }!
        }
    }

    /// Sends a request whose response may come later (long-poll): the cell fills when it does.
    func start(_ method: HTTPMethod = .get, _ target: String, headers: [(String, String)] = []) -> Cell<HTTPResponse?> {
        startWithLifetime(method, target, headers: headers).response
    }

    /// Like `start`, with the request's lifetime: the test plays the connection (fires the timer the
    /// handler asked for, or cancels as when the client leaves).
    func startWithLifetime(
        _ method: HTTPMethod = .get, _ target: String, headers: [(String, String)] = []
    ) -> (response: Cell<HTTPResponse?>, lifetime: RequestLifetime) {
        let path = String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0])
        let query = target.contains("?") ? String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[1]) : nil
        let request = HTTPRequest(
            method: method, target: target, path: path, query: query, version: .http1_1,
            headers: HTTPHeaders([("Host", "landing.example.com")] + headers))
        let lifetime = RequestLifetime()
        let context = RequestContext(requestID: "t", remoteAddress: "127.0.0.1", isSecure: true, lifetime: lifetime)
        let cell = Cell<HTTPResponse?>(nil)
        switch application.handle(request, context: context) {
        case .response(let r): cell.value.withLock { $0 = r }
        case .deferred(let work): work { build in cell.value.withLock { $0 = build() } }
        }
        return (cell, lifetime)
    }

    func createSession(_ json: String = "{}") -> (response: HTTPResponse, id: String?) {
        let r = send(.post, "/v1/sessions", headers: [("Authorization", "Bearer \(Self.apiKey)"), ("Content-Type", "application/json")], body: json)
        let object = (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any]
        return (r, object?["id"] as? String)
    }
}

extension HTTPResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]) ?? [:] }
}

enum UA {
    static let desktop = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
    static let iPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
    static let iPad = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
    static let android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"
    static let instagram = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 300.0"
    static let slackbot = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
}

/// A store whose reads fail with `.unavailable` while `failing` is set (a database that went away).
final class ReadFailingStore: LandingStore {
    let base: MemoryStore
    let failing: LandingHarness.Cell<Bool>

    init(base: MemoryStore, failing: LandingHarness.Cell<Bool>) {
        self.base = base
        self.failing = failing
    }

    private func check() throws(StoreError) {
        if failing.value.withLock({ $0 }) { throw StoreError(.unavailable, "the database is unreachable (test)") }
    }

    func commit(_ writes: [StoreWrite]) throws(StoreError) -> StoreCommit { try base.commit(writes) }
    func session(id: String) throws(StoreError) -> LandingRecord? {
        try check()
        return try base.session(id: id)
    }
    func item(id: String) throws(StoreError) -> LandingRecord? {
        try check()
        return try base.item(id: id)
    }
    func purge(updatedBefore cutoff: Int64) throws(StoreError) -> Int { try base.purge(updatedBefore: cutoff) }
}

/// A `LandingEventSink` that keeps what it is told, for tests.
final class CollectedLandingEvents: LandingEventSink {
    private let store = Mutex<[LandingEvent]>([])
    var all: [LandingEvent] { store.withLock { $0 } }
    func record(_ event: LandingEvent) { store.withLock { $0.append(event) } }
}
