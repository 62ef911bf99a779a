import Foundation
import LandingCore
import Synchronization

/// The application the loop-harness tests run: echo, sized bodies, and deferred responses the test
/// completes, cancels or times out by hand.
final class HarnessApplication: Sendable {
    /// A deferred request the test holds.
    struct Owed: Sendable {
        var complete: @Sendable (@escaping ResponseBuilder) -> Void
        var lifetime: RequestLifetime
    }

    let owed = Mutex<[String: Owed]>([:])
    let cancelled = Mutex<[String]>([])
    let handled = Mutex(0)

    var application: Application {
        var router = Router<RouteHandler>()
        let app = self
        // GET /echo/<text>: the text back (identifies the client and request in order checks).
        router.add(.get, "/echo/{text}") { _, _, p in
            app.handled.withLock { $0 += 1 }
            return .response(.text(.ok, p["text"] ?? ""))
        }
        // GET /big/<n>: n bytes.
        router.add(.get, "/big/{n}") { _, _, p in
            app.handled.withLock { $0 += 1 }
            return .response(HTTPResponse(status: .ok, body: [UInt8](repeating: 0x61, count: Int(p["n"] ?? "0") ?? 0)))
        }
        // GET /wait/<name>: answered when the test completes it; a 30 s timer answers 304.
        router.add(.get, "/wait/{name}") { _, context, p in
            let name = p["name"] ?? ""
            app.handled.withLock { $0 += 1 }
            context.lifetime.onCancel { app.cancelled.withLock { $0.append(name) } }
            context.lifetime.setTimer(after: 30) {
                let entry = app.owed.withLock { $0.removeValue(forKey: name) }
                entry?.complete { HTTPResponse(status: .notModified) }
            }
            return .deferred { complete in
                app.owed.withLock { $0[name] = Owed(complete: complete, lifetime: context.lifetime) }
            }
        }
        router.add(.post, "/upload") { request, _, _ in
            .response(.text(.ok, "got \(request.body.count)"))
        }
        return Application(router: router)
    }

    /// Completes the deferred request `name` with a 200 whose body is `body`.
    func complete(_ name: String, body: String) {
        let entry = owed.withLock { $0.removeValue(forKey: name) }
        entry?.complete { .text(.ok, body) }
    }
}
