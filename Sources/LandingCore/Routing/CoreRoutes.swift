/// The routes every instance serves: health, readiness and a small static index page.
public enum CoreRoutes {
    /// `GET /healthz` (alive), `GET /readyz` (200 while accepting, 503 while draining), `GET /`.
    /// - Parameter isReady: read on every `/readyz`; false once shutdown has begun.
    public static func install(into router: inout Router<RouteHandler>, isReady: @escaping @Sendable () -> Bool) {
        install(into: &router, notReadyReason: { isReady() ? nil : "draining" })
    }

    /// `GET /healthz` (200 while the process runs), `GET /readyz` (200 `ready`, or 503 with the
    /// reason: `starting`, `draining`, `database unreachable`), `GET /`.
    /// - Parameter notReadyReason: read on every `/readyz`; nil when ready.
    public static func install(into router: inout Router<RouteHandler>, notReadyReason: @escaping @Sendable () -> String?) {
        router.add(.get, "/healthz") { _, _, _ in .response(.text(.ok, "ok")) }
        router.add(.get, "/readyz") { _, _, _ in
            guard let reason = notReadyReason() else { return .response(.text(.ok, "ready")) }
            return .response(.text(.serviceUnavailable, reason, closeConnection: true))
        }
        let page = indexPage
        router.add(.get, "/") { _, _, _ in .response(page) }
    }

    /// A fixed ~2 KB HTML page (also the benchmark's static route; bench/ serves the same bytes from nginx).
    public static let indexPage: HTTPResponse = {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "Referrer-Policy", value: "no-referrer")
        headers.add(name: "Content-Security-Policy", value: "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        headers.add(name: "X-Frame-Options", value: "DENY")
        return HTTPResponse(status: .ok, headers: headers.serialized(), body: Array(indexHTML.utf8))
    }()

    static let indexHTML = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex">
        <title>oauth-landing</title>
        </head>
        <body>
        <main>
        <h1>oauth-landing</h1>
        <p>This server receives the browser after a user authorizes an open-finance connection at
        their bank. It records the outcome of the authorization and sends the user back to the app
        that started it.</p>
        <p>If you reached this page by accident, you can close it. Nothing here needs your attention,
        and no data is shown on this page.</p>
        <h2>For integrators</h2>
        <p>Create a session through the API, pass its redirect URI as the <code>oauthRedirectUri</code>
        of the connect token or item, and poll or long-poll the session's status. Webhooks from the
        aggregator confirm each outcome. The landing page that the browser sees after the bank closes
        itself on desktop and offers a button back to the app on mobile devices.</p>
        <h2>For operators</h2>
        <p>Health: <code>/healthz</code>. Readiness: <code>/readyz</code> (503 while the server is
        draining before it exits). Logs are JSON lines on standard output and never contain
        authorization codes, state values, tokens, API keys or webhook secrets. A SIGHUP reloads the
        certificate and the templates; a SIGTERM stops accepting connections, lets requests in flight
        finish, and exits.</p>
        <p>Every response from this server is sent with no-store caching, a strict content security
        policy, no referrer, and framing denied. The landing page loads no third-party resources.</p>
        <p>Questions about a connection belong with the app that sent you here: this page cannot
        show or change anything about your bank account, your consent, or the data shared with the
        app. To revoke a consent, use the app or your bank.</p>
        </main>
        </body>
        </html>

        """
}
