import Foundation
import Glibc
import Testing

/// `docs/pluggy.md`, run. Every fenced code block of the guide is preceded by an HTML comment
/// `<!-- test: NAME -->` naming the test that runs it; the one exception is the Mermaid diagram,
/// which needs no run (a picture): it is only checked to parse as a sequence diagram, statement by
/// statement. `docsPluggyGuide_EveryCodeBlockIsRunByATest` fails on a block without a known name,
/// so a new snippet cannot slip in untested.
///
/// What each name runs, and against what:
/// - `env` + `create-session` (sh): bash and curl against a real server (`--public-url
///   https://landing.example.com`), the URL and the key file path substituted; curl verifies the
///   server's self-signed certificate through `CURL_CA_BUNDLE` (so the snippet keeps no `-k`).
/// - `python` (three blocks, one module): python3's standard library against the real server and a
///   stand-in for Pluggy's API (a small Python HTTPS server below, recording every request):
///   sessions and connect tokens, the cached `/auth` key, webhook registration (idempotent), then a
///   delivery made exactly as registered; and `wait_for_session` through a 503 to `confirmed`.
///   Certificates verified through `SSL_CERT_FILE`.
/// - `longpoll-bash`: the same long-poll scenario with bash and curl.
/// - `serve-production`, `serve-staging`: `serve` replaced by `check-config`, `/etc/…` paths by
///   temporary files; must pass.
/// - `webhook-by-hand`: curl against a server with `--webhook-secret`: applied, then duplicate.
/// - `android-intent`: the return button's `href` the server renders for an Android phone.
/// - `message-listener` (js): in node with simulated `message` events (always), and in headless
///   Chromium against the QA opener page and real landing popups
///   (`BrowserTests.browser_DocsPluggyGuide_MessageListener_AcceptsOnlyTheLandingOrigin`). The
///   browser's lookalike origin is `localhost` for `127.0.0.1` (ports are not ours to choose), so a
///   prefix or suffix comparison is caught by the node test's origins, not by the browser's.
@Suite(.timeLimit(.minutes(1)))
struct DocsPluggyGuideTests {
    // MARK: - Every block is accounted for

    /// Each code block has a test name this file runs (or is the Mermaid diagram), and each name is used.
    @Test func docsPluggyGuide_EveryCodeBlockIsRunByATest() throws {
        let blocks = try PluggyGuide.blocks()
        #expect(blocks.count >= 10)
        for block in blocks {
            if block.language == "mermaid" {
                #expect(block.name == nil, "line \(block.line): the diagram is checked, not run")
                continue
            }
            let name = try #require(block.name, "line \(block.line): a ```\(block.language) block without <!-- test: NAME -->")
            #expect(PluggyGuide.testedNames.contains(name), "line \(block.line): no test runs blocks named \(name)")
        }
        let used = Set(blocks.compactMap(\.name))
        #expect(used == PluggyGuide.testedNames, "names without a block: \(PluggyGuide.testedNames.subtracting(used))")
        #expect(blocks.filter { $0.name == "python" }.count == 3)
        #expect(blocks.filter { $0.language == "mermaid" }.count == 1)
        // why: the parser only knows fences at the start of a line; an indented one would go unseen.
        let text = try PluggyGuide.text()
        let indented = text.split(separator: "\n").enumerated().filter { $0.element.hasPrefix(" ") && $0.element.trimmingCharacters(in: .whitespaces).hasPrefix("```") }
        #expect(indented.isEmpty, "indented fences at lines \(indented.map { $0.offset + 1 })")
    }

    /// The README's first screen (above "## Try it") points at the guide.
    @Test func docsPluggyGuide_ReadmeFirstScreen_LinksTheGuide() throws {
        let readme = try String(contentsOfFile: ServerProcess.repositoryRoot + "/README.md", encoding: .utf8)
        let firstScreen = try #require(readme.components(separatedBy: "## Try it").first)
        #expect(firstScreen.contains("(docs/pluggy.md)"))
    }

    /// The Mermaid block parses as a sequence diagram (every statement of a known form, participants
    /// declared, blocks balanced, nothing Mermaid would cut: `;` ends a statement, `#` starts an
    /// entity) and shows the steps of the flow.
    @Test func docsPluggyGuide_MermaidDiagram_ParsesAsSequenceDiagram() throws {
        let diagram = try #require(try PluggyGuide.blocks().first { $0.language == "mermaid" })
        let problems = MermaidSequenceCheck.problems(in: diagram.body)
        #expect(problems.isEmpty, "\(problems)")
        for step in [
            "POST /v1/sessions", "https://landing.example.com/oauth/callback/{sessionId}", "POST /connect_token", "oauthRedirectUri",
            "https://landing.example.com/webhooks/pluggy", "X-Webhook-Secret", "POST /webhooks/pluggy", "GET /oauth/callback/{sessionId}?itemId=",
            "Prefer: wait=30", "If-None-Match", "GET /items/{itemId}", "confirmedBy", "postMessage", "Return to the app", "error_description",
        ] {
            #expect(diagram.body.contains(step) || diagram.body.contains(step.replacingOccurrences(of: "postMessage", with: "posts")), "the diagram lacks \(step)")
        }
    }

    // MARK: - Shell: a session by hand

    /// `env` + `create-session`: curl creates a session; the redirectUri is built from --public-url.
    /// Without the test's CA bundle the same script fails: the certificate is really verified.
    @Test func docsPluggyGuide_CreateSession_Shell() throws {
        let server = try ServerProcess(["--public-url", PluggyGuide.publicURL, "--allowed-return-url", "https://app.example.com/"])
        let work = try TemporaryDirectory("docs-pluggy")
        let script = try PluggyGuide.environmentScript(server, work) + "\n" + PluggyGuide.block("create-session").body
        let result = try DocsShell.run("/bin/bash", ["-euo", "pipefail", "-c", script], environment: DocsShell.tls(server))
        #expect(result.succeeded, "\(result)")
        let line = try #require(result.stdoutText.split(separator: "\n").first { $0.hasPrefix("{") })
        let session = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let id = try #require(session["id"] as? String)
        #expect(id.count == 22)
        #expect(session["redirectUri"] as? String == PluggyGuide.publicURL + "/oauth/callback/" + id)
        #expect(session["statusUrl"] as? String == PluggyGuide.publicURL + "/v1/sessions/" + id)
        let status = try LandingE2E.session(server, id)
        #expect(status.status == 200)
        #expect(try LandingE2E.json(status)["status"] as? String == "pending")

        var untrusted = DocsShell.tls(server)
        untrusted["CURL_CA_BUNDLE"] = "/nonexistent-ca-bundle.pem"
        let refused = try DocsShell.run("/bin/bash", ["-euo", "pipefail", "-c", script], environment: untrusted)
        #expect(!refused.succeeded, "curl accepted the self-signed certificate without the CA bundle")
    }

    // MARK: - Python: the backend module

    /// The Python module: two connections (sessions on the real server, connect tokens at the fake
    /// Pluggy naming each session's redirectUri, one /auth for both), webhook registration run twice
    /// (registers each item event once, with the secret header), then a webhook delivered exactly as
    /// registered confirms a session completed by its callback.
    @Test func docsPluggyGuide_PythonBackend_ConnectTokenAndWebhooks() throws {
        let secret = "docs-webhook-secret-0123456789"
        let server = try ServerProcess([
            "--public-url", PluggyGuide.publicURL, "--allowed-return-url", "https://app.example.com/", "--webhook-secret", secret,
        ])
        let work = try TemporaryDirectory("docs-pluggy")
        let pluggy = try FakePluggyAPI(certificate: server.certificate, in: work)
        defer { pluggy.stop() }
        try PluggyGuide.writePythonModule(to: work)
        let driver = """
            import json, logging, sys
            logging.basicConfig(stream=sys.stderr, level=logging.INFO)
            import pluggy_landing
            first = pluggy_landing.start_bank_connection("user-42")
            second = pluggy_landing.start_bank_connection("user-43")
            pluggy_landing.register_webhooks(sys.argv[1])
            pluggy_landing.register_webhooks(sys.argv[1])
            print(json.dumps([first, second]))
            """
        let result = try DocsShell.run(
            "/usr/bin/env", ["python3", "-c", driver, secret], environment: PluggyGuide.pythonEnvironment(server, pluggy, work), workingDirectory: work.path)
        #expect(result.succeeded, "\(result)")
        let connections = try #require(
            try JSONSerialization.jsonObject(with: Data((result.stdoutText.split(separator: "\n").last ?? "").utf8)) as? [[String: String]])
        #expect(connections.map { $0["connectToken"] } == ["connect-token-for-user-42", "connect-token-for-user-43"])
        let sessionIds = connections.compactMap { $0["sessionId"] }
        #expect(sessionIds.count == 2)
        for id in sessionIds {
            let status = try LandingE2E.session(server, id)
            let document = try LandingE2E.json(status)
            #expect(status.status == 200 && document["status"] as? String == "pending")
        }

        let requests = pluggy.requests()
        #expect(requests.filter { $0.path == "/auth" }.count == 1, "the API key is cached: \(requests.map(\.path))")
        let tokens = requests.filter { $0.path == "/connect_token" }
        #expect(tokens.count == 2)
        for (token, (user, id)) in zip(tokens, zip(["user-42", "user-43"], sessionIds)) {
            #expect(token.method == "POST" && token.apiKey == FakePluggyAPI.apiKey && token.contentType == "application/json")
            let options = (token.body?["options"] as? [String: Any]) ?? [:]
            #expect(options["oauthRedirectUri"] as? String == PluggyGuide.publicURL + "/oauth/callback/" + id)
            #expect(options["clientUserId"] as? String == user)
        }
        let registrations = requests.filter { $0.path == "/webhooks" && $0.method == "POST" }
        #expect(requests.filter { $0.path == "/webhooks" && $0.method == "GET" }.count == 2)
        #expect(registrations.compactMap { $0.body?["event"] as? String } == PluggyGuide.itemEvents, "registered once each, the second run adds none")
        for registration in registrations {
            #expect(registration.body?["url"] as? String == server.baseURL + "/webhooks/pluggy")
            #expect((registration.body?["headers"] as? [String: String]) == ["X-Webhook-Secret": secret])
        }

        // Pluggy delivers as registered: to that URL, with those headers (and nothing else of ours).
        let registered = try #require(registrations.first { $0.body?["event"] as? String == "item/login_succeeded" }?.body)
        let url = try #require(registered["url"] as? String)
        let headers = try #require(registered["headers"] as? [String: String])
        let itemId = LandingE2E.uniqueItemId("docs-py")
        _ = try LandingE2E.get(server, "/oauth/callback/\(sessionIds[0])?itemId=\(itemId)")
        let body = "{\"event\": \"item/login_succeeded\", \"eventId\": \"\(UUID().uuidString)\", \"itemId\": \"\(itemId)\"}"
        let delivery = try Curl.fetch(
            url, ["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", body] + headers.flatMap { ["-H", "\($0.key): \($0.value)"] }).response
        #expect(delivery.status == 200 && delivery.bodyText == "{\"status\":\"applied\"}", "\(delivery)")
        let confirmed = try LandingE2E.json(try LandingE2E.session(server, sessionIds[0]))
        #expect(confirmed["status"] as? String == "completed")
        #expect(confirmed["confirmed"] as? Bool == true)
        #expect(confirmed["confirmedBy"] as? String == "webhook")
        #expect(confirmed["itemId"] as? String == itemId)
    }

    // MARK: - The long-poll loops

    /// The bash loop follows a session through a 503 `too_many_waiters` (Retry-After honoured), the
    /// provisional `completed` of the callback and the webhook's confirmation, then stops by itself.
    @Test func docsPluggyGuide_LongPoll_Bash_FollowsSessionToConfirmation() throws {
        try LongPollScenario.run { server, work, sessionId in
            let script = try PluggyGuide.environmentScript(server, work) + "\nSESSION_ID=\(sessionId)\n" + PluggyGuide.block("longpoll-bash").body
            return try DocsShell.start("/bin/bash", ["-c", script], environment: DocsShell.tls(server))
        }
    }

    /// The Python `wait_for_session`, the same scenario; its return value is the last document.
    @Test func docsPluggyGuide_LongPoll_Python_FollowsSessionToConfirmation() throws {
        try LongPollScenario.run { server, work, sessionId in
            try PluggyGuide.writePythonModule(to: work)
            let driver = """
                import json, logging, sys
                logging.basicConfig(stream=sys.stderr, level=logging.INFO)
                import pluggy_landing
                final = pluggy_landing.wait_for_session(sys.argv[1], deadline_seconds=50,
                                                        on_change=lambda document: print(json.dumps(document), flush=True))
                print("FINAL " + json.dumps(final), flush=True)
                """
            var environment = DocsShell.tls(server)
            environment["LANDING_URL"] = server.baseURL
            environment["LANDING_API_KEY"] = ServerProcess.apiKey
            environment["PLUGGY_CLIENT_ID"] = "unused"
            environment["PLUGGY_CLIENT_SECRET"] = "unused"
            return try DocsShell.start("/usr/bin/env", ["python3", "-c", driver, sessionId], environment: environment, workingDirectory: work.path)
        }
    }

    // MARK: - Server command lines

    /// The production and staging command lines pass `check-config` (`/etc/…` files replaced by
    /// temporary ones); secrets print masked.
    @Test(arguments: ["serve-production", "serve-staging"])
    func docsPluggyGuide_ServeCommand_PassesCheckConfig(name: String) throws {
        let block = try PluggyGuide.block(name)
        let work = try TemporaryDirectory("docs-pluggy")
        let certificate = try E2ECertificate()
        let webhookSecret = "docs-secret-" + UUID().uuidString
        try Data("docs-key-0123456789abcdef\n".utf8).write(to: URL(fileURLWithPath: work.file("api-keys")))
        try Data("{\"webhook-secret\": \"\(webhookSecret)\"}".utf8).write(to: URL(fileURLWithPath: work.file("secrets.json")))
        try Data("pluggy-client-secret-value\n".utf8).write(to: URL(fileURLWithPath: work.file("pluggy-client-secret")))
        var script = block.body.replacingOccurrences(of: "oauth-landing serve", with: "\"$LANDING_BINARY\" check-config")
        let paths = script.matches(of: try Regex("/etc/[A-Za-z0-9._/-]+")).map { String(script[$0.range]) }
        #expect(!paths.isEmpty)
        for path in Set(paths) {
            let replacement: String
            switch URL(fileURLWithPath: path).lastPathComponent {
            case "fullchain.pem": replacement = certificate.certificatePath
            case "privkey.pem": replacement = certificate.keyPath
            case "api-keys": replacement = work.file("api-keys")
            case "secrets.json": replacement = work.file("secrets.json")
            case "pluggy-client-secret": replacement = work.file("pluggy-client-secret")
            default: Issue.record("\(name): no stand-in for \(path)"); continue
            }
            script = script.replacingOccurrences(of: path, with: replacement)
        }
        let environment = ["LANDING_BINARY": try ServerProcess.binaryPath(), "PLUGGY_CLIENT_ID": "docs-client-id"]
        let result = try DocsShell.run("/bin/bash", ["-euo", "pipefail", "-c", script], environment: environment, workingDirectory: ServerProcess.repositoryRoot)
        #expect(result.succeeded, "\(result)")
        #expect(result.stdoutText.contains("webhook-secret = ****"))
        #expect(!result.stdoutText.contains(webhookSecret) && !result.stderrText.contains(webhookSecret))
        // The staging command turns the QA pages on, which check-config points out; nothing else warns.
        let warnings = result.stderrText.split(separator: "\n").filter { $0.hasPrefix("warning") && !(name == "serve-staging" && $0.hasPrefix("warning: qa:")) }
        #expect(warnings.isEmpty, "\(result.stderrText)")
        if name == "serve-staging" {
            #expect(result.stdoutText.contains("qa = true"))
            #expect(result.stdoutText.contains("public-url = https://landing.staging.example.com"))
        } else {
            #expect(result.stdoutText.contains("qa = false"))
            #expect(result.stdoutText.contains("public-url = https://landing.example.com"))
            #expect(result.stdoutText.contains("pluggy-client-secret-file = " + work.file("pluggy-client-secret")))
            #expect(result.stdoutText.contains("android-package = com.example.app"))
        }
    }

    // MARK: - A webhook by hand

    /// The hand-made webhook is applied, then a duplicate; with a wrong secret it is refused.
    @Test func docsPluggyGuide_WebhookByHand() throws {
        let secret = "docs-webhook-secret-by-hand-0123"
        let server = try ServerProcess(["--public-url", PluggyGuide.publicURL, "--webhook-secret", secret])
        let script = try PluggyGuide.block("webhook-by-hand").body
        var environment = DocsShell.tls(server)
        environment["LANDING_URL"] = server.baseURL
        environment["WEBHOOK_SECRET"] = secret
        let first = try DocsShell.run("/bin/bash", ["-euo", "pipefail", "-c", script], environment: environment)
        #expect(first.succeeded && first.stdoutText == "{\"status\":\"applied\"}", "\(first)")
        let again = try DocsShell.run("/bin/bash", ["-euo", "pipefail", "-c", script], environment: environment)
        #expect(again.stdoutText == "{\"status\":\"duplicate\"}", "\(again)")
        environment["WEBHOOK_SECRET"] = "not-the-secret-0123456789"
        let refused = try DocsShell.run("/bin/bash", ["-euo", "pipefail", "-c", script], environment: environment)
        #expect(refused.stdoutText.contains("\"error\":\"unauthorized\""), "\(refused)")
        let item = try LandingE2E.json(try LandingE2E.item(server, "manual-test-item-1"))
        #expect(item["status"] as? String == "completed" && item["confirmed"] as? Bool == true)
    }

    // MARK: - The Android return link

    /// The `intent://` link in the guide is the href the server gives the return button on Android.
    @Test func docsPluggyGuide_AndroidIntentLink_IsWhatThePageRenders() throws {
        let expected = try PluggyGuide.block("android-intent").body.trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try ServerProcess([
            "--public-url", PluggyGuide.publicURL, "--allowed-return-url", "https://app.example.com/", "--android-package", "com.example.app",
        ])
        let session = try LandingE2E.createSession(server, json: "{\"returnUrl\": \"https://app.example.com/connected\"}")
        let id = try #require(session["id"] as? String)
        let page = try LandingE2E.get(server, "/oauth/callback/\(id)?itemId=\(LandingE2E.uniqueItemId("docs-android"))", ["-A", LandingE2E.UA.android])
        #expect(page.status == 200)
        let href = try #require(PluggyGuide.returnHref(in: page.bodyText), "no #return link in \(page.bodyText)")
        #expect(href == expected)
    }

    // MARK: - The message listener, in node

    /// The listener in node with simulated events: lookalike origins, other message types and other
    /// sessions are ignored; the right message is delivered once and the listener removes itself.
    @Test func docsPluggyGuide_MessageListener_InNode() throws {
        let node = try #require(
            ["/usr/bin/node", "/usr/bin/nodejs", "/usr/local/bin/node"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "nodejs is needed (scripts/install-deps.sh test)")
        let listener = try PluggyGuide.block("message-listener").body
        let script = """
            "use strict";
            const handlers = new Set();
            global.window = {
              addEventListener(type, f) { if (type === "message") handlers.add(f); },
              removeEventListener(type, f) { if (type === "message") handlers.delete(f); },
            };
            \(listener)
            function dispatch(origin, data) { for (const f of [...handlers]) f({ origin, data }); }
            const results = [];
            listenForLanding("session-1", (result) => results.push(result));
            const good = { type: "oauth-landing", itemId: "item-1", sessionId: "session-1", status: "completed", error: null };
            for (const origin of ["https://landing.example.com.evil.test", "https://evil.test", "http://landing.example.com",
                                  "https://landing.example.com:8443", "https://sub.landing.example.com", "https://landing.example.co", "null", ""]) {
              dispatch(origin, good);
            }
            dispatch(LANDING_ORIGIN, "oauth-landing");
            dispatch(LANDING_ORIGIN, null);
            dispatch(LANDING_ORIGIN, { ...good, type: "something-else" });
            dispatch(LANDING_ORIGIN, { ...good, sessionId: "session-2" });
            const ignored = results.length;
            dispatch(LANDING_ORIGIN, good);
            dispatch(LANDING_ORIGIN, { ...good, status: "failed" });
            const after = handlers.size;
            const stop = listenForLanding("session-3", () => results.push("late"));
            stop();
            dispatch(LANDING_ORIGIN, { ...good, sessionId: "session-3" });
            console.log(JSON.stringify({ ignored, results, after, handlers: handlers.size }));
            """
        let result = try DocsShell.run(node, ["-e", script], environment: [:])
        #expect(result.succeeded, "\(result)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdoutText.utf8)) as? [String: Any], "\(result)")
        #expect(report["ignored"] as? Int == 0)
        let results = report["results"] as? [[String: Any]] ?? []
        #expect(results.count == 1)
        #expect(results.first?["status"] as? String == "completed" && results.first?["itemId"] as? String == "item-1")
        #expect(report["after"] as? Int == 0, "the listener removes itself after its message")
        #expect(report["handlers"] as? Int == 0, "stop() removes the listener")
    }
}

// MARK: - The message listener, in Chromium

extension BrowserTests {
    /// The guide's listener, injected into the QA opener page (the app's page, on its own origin):
    /// real landing popups from a lookalike origin (`localhost` for `127.0.0.1`, the same server), for
    /// another session, and a message forged by the page itself are ignored; the popup of the right
    /// origin and session is delivered, once.
    @Test func browser_DocsPluggyGuide_MessageListener_AcceptsOnlyTheLandingOrigin() throws {
        let (fixture, session) = try start()
        defer { session.quit() }
        let listener = try PluggyGuide.block("message-listener").body
            .replacingOccurrences(of: "\"\(PluggyGuide.publicURL)\"", with: "\"\(fixture.landingOrigin)\"")
        #expect(listener.contains(fixture.landingOrigin))
        let mine = try fixture.createSession()
        let other = try fixture.createSession()
        let itemId = BrowserFixture.itemId("docs-listener")
        try session.navigate(fixture.openerOrigin + "/qa/opener")
        let installed = try session.execute(
            listener + "\nwindow.__docResults = [];\nlistenForLanding(arguments[0], function (result) { window.__docResults.push(result); });\nreturn true;",
            [mine])
        #expect(installed as? Bool == true)

        func openPopup(_ url: String, expectMessages count: Int) throws {
            try session.execute("document.getElementById('url').value = arguments[0]; document.getElementById('popup-state').textContent = '';", [url])
            try session.click(try session.findElement(css: "#open"))
            let done = try session.waitUntil(timeout: 10) {
                try session.text(try session.findElement(css: "#popup-state")) == "closed" && (try session.findElements(css: "#messages li")).count == count
            }
            let state = try session.text(try session.findElement(css: "#popup-state"))
            let received = try session.findElements(css: "#messages li").count
            #expect(done, "\(url): popup \(state), \(received) messages")
        }
        func results() throws -> [[String: Any]] { try session.execute("return window.__docResults") as? [[String: Any]] ?? [] }

        let lookalike = fixture.landingOrigin.replacingOccurrences(of: "127.0.0.1", with: "localhost")
        try openPopup(lookalike + "/oauth/callback/\(mine)?itemId=\(itemId)", expectMessages: 1)
        let first = try #require(try session.findElements(css: "#messages li").first)
        #expect(try session.attribute("data-origin", of: first) == lookalike, "the lookalike's message reached the page")
        #expect(try results().isEmpty, "a message from \(lookalike) was accepted")

        try openPopup(fixture.landingOrigin + "/oauth/callback/\(other)?itemId=\(BrowserFixture.itemId("docs-other"))", expectMessages: 2)
        #expect(try results().isEmpty, "another session's message was accepted")

        try session.execute(
            "window.postMessage({type: 'oauth-landing', itemId: 'forged', sessionId: arguments[0], status: 'completed', error: null}, location.origin);", [mine])
        #expect(try session.waitUntil(timeout: 5) { (try session.findElements(css: "#messages li")).count == 3 })
        #expect(try results().isEmpty, "the page's own forged message was accepted")

        try openPopup(fixture.landingOrigin + "/oauth/callback/\(mine)?itemId=\(itemId)", expectMessages: 4)
        #expect(try session.waitUntil(timeout: 2) { try results().count == 1 })
        let delivered = try results()
        #expect(delivered.count == 1)
        #expect(delivered.first?["type"] as? String == "oauth-landing")
        #expect(delivered.first?["sessionId"] as? String == mine)
        #expect(delivered.first?["itemId"] as? String == itemId)
        #expect(delivered.first?["status"] as? String == "completed")
        try expectCleanLog(session)
    }
}

// MARK: - The guide's blocks

/// `docs/pluggy.md` and its fenced code blocks.
enum PluggyGuide {
    /// The guide's name for the landing server (its `--public-url`), substituted where a snippet calls it.
    static let publicURL = "https://landing.example.com"
    /// The names this file runs (`<!-- test: NAME -->` before a block).
    static let testedNames: Set<String> = [
        "env", "create-session", "python", "serve-production", "message-listener", "android-intent", "longpoll-bash", "serve-staging",
        "webhook-by-hand",
    ]
    /// The events `register_webhooks` registers, in its order.
    static let itemEvents = [
        "item/created", "item/updated", "item/error", "item/deleted", "item/waiting_user_input", "item/waiting_user_action", "item/login_succeeded",
    ]

    struct Block {
        var name: String?
        var language: String
        var body: String
        /// The 1-based line of the opening fence.
        var line: Int
    }

    static func text() throws -> String {
        try String(contentsOfFile: ServerProcess.repositoryRoot + "/docs/pluggy.md", encoding: .utf8)
    }

    /// Every block fenced with ``` at the start of a line, with the name of the `<!-- test: NAME -->`
    /// comment on the closest non-blank line before it (if any).
    static func blocks() throws -> [Block] {
        let lines = try text().components(separatedBy: "\n")
        var blocks: [Block] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            guard line.hasPrefix("```") else {
                index += 1
                continue
            }
            let language = String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces)
            var name: String?
            if let previous = lines[..<index].last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }),
                previous.hasPrefix("<!-- test: "), previous.hasSuffix(" -->")
            {
                name = String(previous.dropFirst("<!-- test: ".count).dropLast(" -->".count))
            }
            guard let end = lines[(index + 1)...].firstIndex(where: { $0 == "```" }) else {
                throw E2EError("docs/pluggy.md:\(index + 1): the block is not closed")
            }
            blocks.append(Block(name: name, language: language, body: lines[(index + 1)..<end].joined(separator: "\n") + "\n", line: index + 1))
            index = end + 1
        }
        return blocks
    }

    /// The one block named `name`.
    static func block(_ name: String) throws -> Block {
        let found = try blocks().filter { $0.name == name }
        guard found.count == 1 else { throw E2EError("docs/pluggy.md has \(found.count) blocks named \(name)") }
        return found[0]
    }

    /// The `env` block for `server`: its URL for the guide's, a file holding the API key for the secret's path.
    static func environmentScript(_ server: ServerProcess, _ work: TemporaryDirectory) throws -> String {
        let keyFile = work.file("landing-api-key")
        try Data((ServerProcess.apiKey + "\n").utf8).write(to: URL(fileURLWithPath: keyFile))
        let block = try block("env").body
        guard block.contains(publicURL), block.contains("/run/secrets/landing-api-key") else {
            throw E2EError("the env block no longer has the placeholders this test substitutes: \(block)")
        }
        return block.replacingOccurrences(of: publicURL, with: server.baseURL).replacingOccurrences(of: "/run/secrets/landing-api-key", with: keyFile)
    }

    /// The three Python blocks, in order, as `pluggy_landing.py` in `work`.
    static func writePythonModule(to work: TemporaryDirectory) throws {
        let module = try blocks().filter { $0.name == "python" }.map(\.body).joined(separator: "\n\n")
        try Data(module.utf8).write(to: URL(fileURLWithPath: work.file("pluggy_landing.py")))
    }

    /// The environment of the Python module: the real server, the fake Pluggy, their certificate.
    static func pythonEnvironment(_ server: ServerProcess, _ pluggy: FakePluggyAPI, _ work: TemporaryDirectory) -> [String: String] {
        var environment = DocsShell.tls(server)
        environment["LANDING_URL"] = server.baseURL
        environment["LANDING_API_KEY"] = ServerProcess.apiKey
        environment["PLUGGY_URL"] = pluggy.baseURL
        environment["PLUGGY_CLIENT_ID"] = FakePluggyAPI.clientId
        environment["PLUGGY_CLIENT_SECRET"] = FakePluggyAPI.clientSecret
        return environment
    }

    /// The `href` of the `<a … id="return" …>` element of a landing page, HTML entities decoded.
    static func returnHref(in html: String) -> String? {
        guard let tag = html.matches(of: #/<a\s[^>]*>/#).map({ String(html[$0.range]) }).first(where: { $0.contains("id=\"return\"") }),
            let href = tag.firstMatch(of: #/\shref="([^"]*)"/#)
        else { return nil }
        var value = String(href.1)
        for (entity, character) in [("&#x3D;", "="), ("&#61;", "="), ("&quot;", "\""), ("&#39;", "'"), ("&#x27;", "'"), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")] {
            value = value.replacingOccurrences(of: entity, with: character)
        }
        return value
    }
}

// MARK: - Mermaid

/// A line-by-line check of a Mermaid sequence diagram: the statement forms the guide uses (the
/// grammar's common subset), participants declared before use, blocks balanced.
enum MermaidSequenceCheck {
    static func problems(in diagram: String) -> [String] {
        var problems: [String] = []
        var lines = diagram.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("%%") }
        guard lines.first == "sequenceDiagram" else { return ["the diagram does not start with sequenceDiagram: \(lines.first ?? "")"] }
        lines.removeFirst()
        var participants = Set<String>()
        var open: [String] = []
        let participant = #/^(?:participant|actor)\s+([A-Za-z][A-Za-z0-9_]*)(?:\s+as\s+(.+))?$/#
        let message = #/^([A-Za-z][A-Za-z0-9_]*)\s*(?:->>|-->>|->|-->|-x|--x|-\)|--\))\s*[+-]?([A-Za-z][A-Za-z0-9_]*)\s*:\s*(.+)$/#
        let note = #/^Note\s+(?:over|left of|right of)\s+([A-Za-z][A-Za-z0-9_]*)(?:\s*,\s*([A-Za-z][A-Za-z0-9_]*))?\s*:\s*(.+)$/#
        let opener = #/^(loop|alt|opt|par|critical|break|rect)(?:\s+.*)?$/#
        let middle = #/^(else|and|option)(?:\s+.*)?$/#
        for (offset, line) in lines.enumerated() {
            let at = "diagram line \(offset + 2)"
            var text: Substring?
            if line == "autonumber" { continue }
            if let match = line.wholeMatch(of: participant) {
                participants.insert(String(match.1))
                text = match.2
            } else if let match = line.wholeMatch(of: message) {
                for name in [String(match.1), String(match.2)] where !participants.contains(name) {
                    problems.append("\(at): \(name) is not a declared participant")
                }
                text = match.3
            } else if let match = line.wholeMatch(of: note) {
                for name in [match.1, match.2].compactMap({ $0.map(String.init) }) where !participants.contains(name) {
                    problems.append("\(at): \(name) is not a declared participant")
                }
                text = match.3
            } else if let match = line.wholeMatch(of: opener) {
                open.append(String(match.1))
            } else if let match = line.wholeMatch(of: middle) {
                let allowed = ["else": "alt", "and": "par", "option": "critical"][String(match.1)]
                if open.last != allowed { problems.append("\(at): \(match.1) outside \(allowed ?? "?")") }
            } else if line == "end" {
                if open.popLast() == nil { problems.append("\(at): end without a block") }
            } else {
                problems.append("\(at): not a sequence diagram statement: \(line)")
            }
            if let text, text.contains(";") || text.contains("#") {
                problems.append("\(at): ';' or '#' in the text would be cut by Mermaid: \(text)")
            }
        }
        if !open.isEmpty { problems.append("blocks not closed: \(open)") }
        return problems
    }
}

// MARK: - Running the snippets

/// Children for the snippets: the test environment minus proxies (everything here is on 127.0.0.1),
/// plus what each snippet needs.
enum DocsShell {
    /// What makes curl and python3 trust `server`'s self-signed certificate (and only through the
    /// trust store: the snippets keep full verification).
    static func tls(_ server: ServerProcess) -> [String: String] {
        ["CURL_CA_BUNDLE": server.certificate.certificatePath, "SSL_CERT_FILE": server.certificate.certificatePath]
    }

    static func environment(_ extra: [String: String]) -> [String: String] {
        var environment: [String: String] = [:]
        for name in ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy", "SSL_CERT_DIR"] { environment[name] = "" }
        environment["NO_PROXY"] = "127.0.0.1,localhost"
        environment["no_proxy"] = "127.0.0.1,localhost"
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        environment["PYTHONUNBUFFERED"] = "1"
        return environment.merging(extra) { _, given in given }
    }

    static func start(_ executable: String, _ arguments: [String], environment: [String: String], workingDirectory: String? = nil) throws -> Subprocess {
        let child = try Subprocess(executable, arguments, workingDirectory: workingDirectory, environment: Self.environment(environment))
        child.closeStdin()
        return child
    }

    /// Runs to completion (killed after `timeout` seconds).
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String], workingDirectory: String? = nil, timeout: Double = 30
    ) throws -> SubprocessResult {
        let child = try start(executable, arguments, environment: environment, workingDirectory: workingDirectory)
        return finish(child, timeout: timeout)
    }

    /// Waits for `child` (killed after `timeout` seconds) and collects its output.
    static func finish(_ child: Subprocess, timeout: Double) -> SubprocessResult {
        child.finish(timeout: timeout)
    }
}

/// The long-poll scenario both loops go through, on a server allowing one waiting long-poll:
/// 1. the test holds that one place (a curl long-polling another session), so the loop's first
///    request gets 503 `too_many_waiters` with `Retry-After: 5` and must wait and retry;
/// 2. the test frees the place; the loop prints the session `pending`;
/// 3. the browser's callback: the loop prints `completed`, unconfirmed, and keeps waiting;
/// 4. Pluggy's webhook: the loop prints `completed`, confirmed by the webhook, and exits 0.
enum LongPollScenario {
    static let secret = "docs-longpoll-webhook-secret-01"

    static func run(
        sourceLocation: SourceLocation = #_sourceLocation, _ startLoop: (ServerProcess, TemporaryDirectory, String) throws -> Subprocess
    ) throws {
        let server = try ServerProcess(
            ["--public-url", PluggyGuide.publicURL, "--webhook-secret", secret, "--max-waiters", "1"] + ServerProcess.metricsListen)
        let work = try TemporaryDirectory("docs-pluggy")
        let followed = try #require(try LandingE2E.createSession(server)["id"] as? String)
        let blocker = try #require(try LandingE2E.createSession(server)["id"] as? String)

        // 1. The one waiting place, taken.
        let blockerTag = try #require(try LandingE2E.session(server, blocker).header("ETag"))
        let holder = try Subprocess(Curl.executable, [
            "--http1.1", "-sk", "--max-time", "50", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(ServerProcess.apiKey)",
            "-H", "If-None-Match: \(blockerTag)", "-H", "Prefer: wait=45", server.baseURL + "/v1/sessions/" + blocker,
        ])
        holder.closeStdin()
        defer { holder.kill() }
        let metricsURL = try server.metricsURL
        let held = try waitFor(timeout: 10) { try Curl.fetch(metricsURL).response.bodyText.contains("\nlanding_longpolls_waiting 1\n") }
        #expect(held, "the holder's long-poll is not waiting", sourceLocation: sourceLocation)

        let loop = try startLoop(server, work, followed)
        defer { loop.kill() }
        let refused = loop.stderr.wait(timeout: 10) { $0.contains("retrying in 5 s") }
        #expect(refused, "the loop did not wait out the 503: \(loop.stderr.text)", sourceLocation: sourceLocation)

        // 2. The place freed: the holder is answered by a change to its session.
        _ = try LandingE2E.get(server, "/oauth/callback/\(blocker)?itemId=\(LandingE2E.uniqueItemId("docs-blocker"))")
        #expect(holder.waitForExit(timeout: 10) != nil, sourceLocation: sourceLocation)
        #expect(holder.stdout.wait(timeout: 5) { $0 == "200" }, "holder: \(holder.stdout.text)", sourceLocation: sourceLocation)
        let pending = loop.stdout.wait(timeout: 15) { documents($0).count >= 1 }
        #expect(pending, "stdout: \(loop.stdout.text)\nstderr: \(loop.stderr.text)", sourceLocation: sourceLocation)

        // 3. The browser comes back.
        let itemId = LandingE2E.uniqueItemId("docs-lp")
        let page = try LandingE2E.get(server, "/oauth/callback/\(followed)?itemId=\(itemId)")
        #expect(page.status == 200, sourceLocation: sourceLocation)
        let provisional = loop.stdout.wait(timeout: 10) { documents($0).count >= 2 }
        #expect(provisional, "stdout: \(loop.stdout.text)\nstderr: \(loop.stderr.text)", sourceLocation: sourceLocation)
        #expect(!loop.hasExited, "the loop stopped at a provisional outcome", sourceLocation: sourceLocation)

        // 4. Pluggy confirms.
        let webhook = try EndToEndWebhookTests.post(
            server, EndToEndWebhookTests.payload("item/login_succeeded", item: itemId), secret: secret)
        #expect(webhook.status == 200, "\(webhook)", sourceLocation: sourceLocation)
        let result = DocsShell.finish(loop, timeout: 15)
        #expect(result.succeeded, "\(result)", sourceLocation: sourceLocation)

        let seen = documents(result.stdoutText)
        #expect(seen.map { $0["status"] as? String } == ["pending", "completed", "completed"], "\(result)", sourceLocation: sourceLocation)
        #expect(seen.map { $0["confirmed"] as? Bool } == [false, false, true], sourceLocation: sourceLocation)
        #expect(seen.last?["confirmedBy"] as? String == "webhook", sourceLocation: sourceLocation)
        #expect(seen.last?["itemId"] as? String == itemId && seen.last?["sessionId"] as? String == followed, sourceLocation: sourceLocation)
        #expect(result.stderrText.components(separatedBy: "retrying in 5 s").count == 2, "one 503 only: \(result.stderrText)", sourceLocation: sourceLocation)
        if let final = result.stdoutText.split(separator: "\n").first(where: { $0.hasPrefix("FINAL ") }) {
            let document = (try? JSONSerialization.jsonObject(with: Data(final.dropFirst("FINAL ".count).utf8))) as? [String: Any]
            #expect(document?["confirmed"] as? Bool == true && document?["updatedAt"] as? String == seen.last?["updatedAt"] as? String, sourceLocation: sourceLocation)
        }
    }

    /// The status documents among `text`'s lines (one JSON object per line; `FINAL …` excluded).
    static func documents(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
    }

    static func waitFor(timeout: Double, _ condition: () throws -> Bool) throws -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if try condition() { return true }
            usleep(50_000)
        }
        return try condition()
    }
}

// MARK: - A stand-in for Pluggy's API

/// Pluggy's API as far as the guide's Python calls it, in Python over HTTPS on 127.0.0.1 with the
/// landing server's certificate: `POST /auth` (checks the credentials), `POST /connect_token`,
/// `GET`/`POST /webhooks` (all three need the `X-API-KEY` /auth gave). Every request is printed
/// as one JSON line, read back with `requests()`.
final class FakePluggyAPI: @unchecked Sendable {  // why: immutable after init; Subprocess locks.
    static let clientId = "docs-client-id"
    static let clientSecret = "docs-client-secret"
    static let apiKey = "fake-pluggy-api-key"

    struct Request {
        var method: String
        var path: String
        var apiKey: String?
        var contentType: String?
        var body: [String: Any]?
    }

    let child: Subprocess
    let port: Int
    var baseURL: String { "https://127.0.0.1:\(port)" }

    init(certificate: E2ECertificate, in work: TemporaryDirectory) throws {
        let script = work.file("fake_pluggy.py")
        try Data(Self.source.utf8).write(to: URL(fileURLWithPath: script))
        child = try DocsShell.start(
            "/usr/bin/env", ["python3", script, certificate.certificatePath, certificate.keyPath, Self.clientId, Self.clientSecret, Self.apiKey],
            environment: [:])
        var port: Int?
        _ = child.stdout.wait(timeout: 10) { text in
            port = text.split(separator: "\n").first.flatMap { line in
                ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["port"] as? Int
            }
            return port != nil
        }
        guard let port else {
            child.kill()
            throw E2EError("the fake Pluggy API did not start: \(child.stdout.text) \(child.stderr.text)")
        }
        self.port = port
    }

    deinit { stop() }

    func stop() { child.kill() }

    func requests() -> [Request] {
        child.stdout.text.split(separator: "\n").dropFirst().compactMap { line in
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { return nil }
            return Request(
                method: object["method"] as? String ?? "", path: object["path"] as? String ?? "", apiKey: object["apiKey"] as? String,
                contentType: object["contentType"] as? String, body: object["body"] as? [String: Any])
        }
    }

    static let source = #"""
        import json, ssl, sys, threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        CERT, KEY, CLIENT_ID, CLIENT_SECRET, API_KEY = sys.argv[1:6]
        webhooks, lock = [], threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = {"unparsable": raw.decode("utf-8", "replace")}
                print(json.dumps({"method": self.command, "path": self.path, "apiKey": self.headers.get("X-API-KEY"),
                                  "contentType": self.headers.get("Content-Type"), "body": body}), flush=True)
                if self.command == "POST" and self.path == "/auth":
                    if body == {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}:
                        return self.answer(200, {"apiKey": API_KEY})
                    return self.answer(401, {"message": "invalid credentials"})
                if self.headers.get("X-API-KEY") != API_KEY:
                    return self.answer(403, {"message": "missing or invalid X-API-KEY"})
                if self.command == "POST" and self.path == "/connect_token":
                    return self.answer(200, {"accessToken": "connect-token-for-" + body["options"]["clientUserId"]})
                if self.path == "/webhooks":
                    with lock:
                        if self.command == "GET":
                            return self.answer(200, {"page": 1, "total": len(webhooks), "totalPages": 1, "results": list(webhooks)})
                        if self.command == "POST":
                            hook = {"id": "wh-%d" % (len(webhooks) + 1), "event": body["event"], "url": body["url"]}
                            webhooks.append(hook)
                            return self.answer(201, hook)
                self.answer(404, {"message": "not found"})

            do_GET = do_POST = do_PATCH = handle_any

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(CERT, KEY)
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        print(json.dumps({"port": server.server_address[1]}), flush=True)
        server.serve_forever()
        """#
}
