import Foundation
import Glibc
import Testing

/// The landing flow as operators see it, each test with its own server: no secrets in the logs,
/// durability across SIGKILL with SQLite, templates at start and on SIGHUP, and the API-key rules at
/// startup (`--api-key`, `--api-keys-file`, `--dev`).
@Suite struct EndToEndLandingOperationsTests {
    // MARK: - Secrets

    /// Callback `code`/`state` values and the API key never reach stdout, stderr, a page or the status API.
    @Test func endToEndLanding_LogsNoSecrets_WhenCallbackCarriesCodeAndState() throws {
        let apiKey = "SECRETAPIKEY-e2e-0123456789abcdef"
        let server = try ServerProcess(["--api-key", apiKey, "--log-level", "debug", "--public-url", LandingE2E.publicURL])
        defer { server.stop() }
        let secrets = ["SECRETCODE123", "SECRETSTATE456", apiKey]
        let id = LandingE2E.uniqueItemId("secret")
        var responses: [E2EResponse] = []
        responses.append(try LandingE2E.get(server, "/oauth/callback?itemId=\(id)&code=SECRETCODE123&state=SECRETSTATE456"))
        responses.append(try LandingE2E.get(server, "/oauth/callback?itemId=\(id)&code=SECRETCODE123&state=SECRETSTATE456"))
        responses.append(try LandingE2E.get(server, "/oauth/callback", ["--data", "item_id=\(id)-form&code=SECRETCODE123&state=SECRETSTATE456"]))
        responses.append(try LandingE2E.get(server, "/oauth/callback?itemId=\(id)-err&code=SECRETCODE123&state=SECRETSTATE456&error=server_error"))
        // Invalid and unidentified callbacks carrying the secrets.
        responses.append(try LandingE2E.get(server, "/oauth/callback?code=SECRETCODE123&state=SECRETSTATE456"))
        responses.append(try LandingE2E.get(server, "/oauth/callback?itemId=a&itemId=b&code=SECRETCODE123&state=SECRETSTATE456"))
        // The session flow with the key.
        let created = try LandingE2E.api(server, "POST", "/v1/sessions", json: "{}", key: apiKey)
        #expect(created.status == 201, "\(created)")
        let sessionId = try #require(try LandingE2E.json(created)["id"] as? String)
        responses.append(try LandingE2E.get(server, "/oauth/callback/\(sessionId)?itemId=\(id)-s&code=SECRETCODE123&state=SECRETSTATE456"))
        for path in ["/v1/sessions/\(sessionId)", "/v1/items/\(id)", "/v1/items/\(id)-form"] {
            let status = try LandingE2E.api(server, "GET", path, key: apiKey)
            #expect(status.status == 200, "\(path): \(status)")
            responses.append(status)
        }
        // A wrong key is logged no more than the right one.
        responses.append(try LandingE2E.api(server, "GET", "/v1/items/\(id)", key: apiKey + "-wrong"))
        for response in responses {
            for secret in secrets {
                #expect(!response.bodyText.contains(secret), "\(secret) in a response: \(response)")
                #expect(!response.headers.contains { $0.value.contains(secret) }, "\(secret) in a response header")
            }
        }
        #expect(server.stop() == 0)
        let stdout = server.stdoutText
        let stderr = server.stderrText
        // The logs did record the traffic (so their silence about the secrets means something).
        #expect(stdout.contains("/oauth/callback"), "no access log: \(stdout)")
        #expect(stdout.contains("/v1/sessions"))
        for secret in secrets {
            #expect(!stdout.contains(secret), "\(secret) on stdout")
            #expect(!stderr.contains(secret), "\(secret) on stderr")
        }
    }

    // MARK: - Durability

    /// 50 acknowledged callbacks survive SIGKILL: restarted on the same SQLite file, all read back completed.
    @Test func endToEndLanding_KeepsEveryAcknowledgedCallback_WhenKilled() throws {
        let directory = try TemporaryDirectory("landing-e2e-durable")
        let store = "sqlite:" + directory.file("data/landing.db")
        let ids = (0..<50).map { "durable-\($0)-" + UUID().uuidString.prefix(8).lowercased() }
        let first = try ServerProcess(["--store", store])
        defer { first.stop() }
        let transfers = try Curl.fetch(ids.map { first.baseURL + "/oauth/callback?itemId=\($0)&state=s" }, timeout: 60)
        #expect(transfers.map(\.response.status) == Array(repeating: 200, count: 50))
        #expect(transfers.allSatisfy { $0.response.bodyText.contains("data-status=\"completed\"") })
        first.child.kill()
        #expect(first.child.exitedBySignal)
        #expect(first.child.process.terminationStatus == SIGKILL)

        let second = try ServerProcess(["--store", store])
        defer { second.stop() }
        let reads = try Curl.fetch(ids.map { second.baseURL + "/v1/items/\($0)" }, ["-H", "Authorization: Bearer \(ServerProcess.apiKey)"], timeout: 60)
        #expect(reads.count == 50)
        for (id, read) in zip(ids, reads) {
            #expect(read.response.status == 200, "\(id): \(read.response)")
            let object = try LandingE2E.json(read.response)
            #expect(object["itemId"] as? String == id)
            #expect(object["status"] as? String == "completed", "\(id): \(object)")
            #expect(object["callbacks"] as? Int == 1, "\(id): \(object)")
        }
        // A refresh after the restart renders the stored outcome and counts the hit.
        let refresh = try LandingE2E.get(second, "/oauth/callback?itemId=\(ids[0])")
        #expect(refresh.bodyText.contains("data-status=\"completed\""))
        #expect(try LandingE2E.json(try LandingE2E.item(second, ids[0]))["callbacks"] as? Int == 2)
    }

    // MARK: - Templates

    /// A landing.html with an unclosed section stops the server at start: exit 2, stderr names landing.html:LINE:COLUMN.
    @Test func endToEndLanding_ExitsTwo_WhenTemplateIsBrokenAtStart() throws {
        let templates = try TemplateCopy()
        let (line, column) = try templates.breakTitle()
        let certificate = try E2ECertificate()
        let result = try LandingE2E.runBinary(
            LandingE2E.serveArguments(certificate, ["--templates", templates.path, "--api-key", ServerProcess.apiKey]))
        #expect(result.status == 2, "\(result)")
        #expect(!result.uncaughtSignal)
        #expect(result.stderrText.contains("landing.html:\(line):\(column)"), "\(result)")
        #expect(result.stderrText.contains("unclosed section"), "\(result)")
        #expect(!result.stderrText.contains("\"msg\":\"listening\""))
    }

    /// SIGHUP applies an edited template; a broken one logs file:line:column and the previous templates stay.
    @Test func endToEndLanding_ReloadsTemplates_OnSIGHUP() throws {
        let templates = try TemplateCopy()
        let server = try ServerProcess(["--templates", templates.path])
        defer { server.stop() }
        let path = "/oauth/callback?itemId=\(LandingE2E.uniqueItemId("tpl"))"
        #expect(LandingE2E.pageTitle(try LandingE2E.get(server, path)) == LandingE2E.text("title_completed"))

        try templates.edit { $0.replacingOccurrences(of: "<title>{{title}}", with: "<title>Reloaded E2E: {{title}}") }
        server.send(signal: SIGHUP)
        #expect(server.waitForStderr(containing: "\"msg\":\"templates reloaded\""), "\(server.stderrText)")
        let reloaded = try LandingE2E.get(server, path)
        #expect(LandingE2E.pageTitle(reloaded) == "Reloaded E2E: " + LandingE2E.text("title_completed"), "\(reloaded)")
        LandingE2E.expectLandingHeaders(reloaded)

        let (line, column) = try templates.breakTitle()
        server.send(signal: SIGHUP)
        #expect(server.waitForStderr(containing: "template reload failed"), "\(server.stderrText)")
        let failure = ServerProcess.jsonLines(server.stderrText).first { ($0["msg"] as? String)?.hasPrefix("template reload failed") == true }
        let error = failure?["error"] as? String ?? ""
        #expect(error.contains("landing.html:\(line):\(column)"), "\(String(describing: failure))")
        #expect(failure?["level"] as? String == "error")
        // Still serving, with the last good templates.
        let kept = try LandingE2E.get(server, path)
        #expect(kept.status == 200)
        #expect(LandingE2E.pageTitle(kept) == "Reloaded E2E: " + LandingE2E.text("title_completed"), "\(kept)")
        #expect(!server.hasExited)
    }

    /// A copy of the repository's templates in a temporary directory.
    final class TemplateCopy {
        let directory: TemporaryDirectory
        var path: String { directory.path + "/templates" }
        var landing: String { path + "/landing.html" }

        init() throws {
            directory = try TemporaryDirectory("landing-e2e-templates")
            try FileManager.default.copyItem(atPath: ServerProcess.repositoryRoot + "/templates", toPath: path)
        }

        /// Rewrites landing.html (atomically) through `change`, which must change it.
        func edit(_ change: (String) -> String) throws {
            let old = try String(contentsOfFile: landing, encoding: .utf8)
            let new = change(old)
            guard new != old else { throw E2EError("the edit changed nothing in \(landing)") }
            try E2ECertificate.replaceAtomically(landing, with: Array(new.utf8))
        }

        /// Opens a section in the `<h1>` that is never closed; returns the 1-based line and column
        /// of its `{{#`.
        func breakTitle() throws -> (line: Int, column: Int) {
            let marker = "<h1 id=\"title\">"
            try edit { $0.replacingOccurrences(of: marker + "{{title}}", with: marker + "{{#title}}{{title}}") }
            let lines = try String(contentsOfFile: landing, encoding: .utf8).components(separatedBy: "\n")
            guard let index = lines.firstIndex(where: { $0.contains("{{#title}}") }),
                let range = lines[index].range(of: "{{#title}}")
            else { throw E2EError("no {{#title}} in \(landing)") }
            return (index + 1, lines[index].distance(from: lines[index].startIndex, to: range.lowerBound) + 1)
        }
    }

    // MARK: - Startup and API keys

    /// Without any API key and without `--dev`, serve exits 2 saying how to give one.
    @Test func endToEndLanding_ExitsTwo_WhenNoApiKeyConfigured() throws {
        let certificate = try E2ECertificate()
        let result = try LandingE2E.runBinary(LandingE2E.serveArguments(certificate, []))
        #expect(result.status == 2, "\(result)")
        #expect(!result.uncaughtSignal)
        #expect(result.stderrText.contains("--api-key"), "\(result)")
        #expect(!result.stderrText.contains("\"msg\":\"listening\""))
    }

    /// `--api-keys-file` with two keys, comments and padding (LF or CRLF): both keys work, others get 401.
    @Test(arguments: ["\n", "\r\n"])
    func endToEndLanding_AcceptsEveryKey_FromApiKeysFile(_ newline: String) throws {
        let directory = try TemporaryDirectory("landing-e2e-keys")
        let keys = ["file-key-one-0123456789abcdef", "file-key-two-0123456789abcdef"]
        let file = directory.file("api-keys")
        let text = ["# the app backend", keys[0], "", "# the ops dashboard", "  \(keys[1])  ", ""].joined(separator: newline)
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        let server = try ServerProcess(["--api-keys-file", file])
        defer { server.stop() }
        for key in keys {
            let created = try LandingE2E.api(server, "POST", "/v1/sessions", json: "{}", key: key)
            #expect(created.status == 201, "\(key): \(created)")
        }
        #expect(try LandingE2E.api(server, "POST", "/v1/sessions", json: "{}", key: ServerProcess.apiKey).status == 401)
        #expect(try LandingE2E.api(server, "POST", "/v1/sessions", json: "{}", key: "# the app backend").status == 401)
        #expect(!server.stderrText.contains(keys[0]) && !server.stderrText.contains(keys[1]))
    }

    /// A bad line in `--api-keys-file`: exit 2 naming the file and line, never the key.
    @Test func endToEndLanding_ExitsTwo_WhenApiKeysFileHasBadLine() throws {
        let directory = try TemporaryDirectory("landing-e2e-keys")
        let file = directory.file("api-keys")
        try Data("good-key-0123456789abcdef\n# comment\nBADKEY with spaces 0123456789\ngood-key-two-0123456789\n".utf8).write(to: URL(fileURLWithPath: file))
        let certificate = try E2ECertificate()
        let result = try LandingE2E.runBinary(LandingE2E.serveArguments(certificate, ["--api-keys-file", file]))
        #expect(result.status == 2, "\(result)")
        #expect(result.stderrText.contains("\(file):3"), "\(result)")
        #expect(!result.stderrText.contains("BADKEY"), "the bad key was printed: \(result)")
        #expect(!result.stderrText.contains("good-key"), "a key was printed: \(result)")
        #expect(!result.stdoutText.contains("BADKEY") && !result.stdoutText.contains("good-key"))
        // Too short a key is refused the same way.
        try Data("SHORTK3Y\n".utf8).write(to: URL(fileURLWithPath: file))
        let short = try LandingE2E.runBinary(LandingE2E.serveArguments(certificate, ["--api-keys-file", file]))
        #expect(short.status == 2, "\(short)")
        #expect(short.stderrText.contains("\(file):1"), "\(short)")
        #expect(!short.stderrText.contains("SHORTK3Y"), "the bad key was printed: \(short)")
    }

    /// `--dev` without a key generates one, logs it once on stderr, and that key works.
    @Test func endToEndLanding_GeneratesWorkingDevKey_WhenDevWithoutKey() throws {
        let server = try ServerProcess(["--dev"])
        defer { server.stop() }
        let line = ServerProcess.jsonLines(server.stderrText).first { ($0["msg"] as? String)?.hasPrefix("generated a development API key") == true }
        let key = try #require(line?["api_key"] as? String, "no generated key in \(server.stderrText)")
        #expect(key.count >= 16)
        let created = try LandingE2E.api(server, "POST", "/v1/sessions", json: "{}", key: key)
        #expect(created.status == 201, "\(created)")
        #expect(try LandingE2E.api(server, "POST", "/v1/sessions", json: "{}", key: ServerProcess.apiKey).status == 401)
        // The redirect URI should point at this server; with --listen 127.0.0.1:0 the port is the bound one.
        let redirectUri = try LandingE2E.json(created)["redirectUri"] as? String ?? ""
        #expect(redirectUri.hasPrefix("https://127.0.0.1:\(server.port)/oauth/callback/") || redirectUri.hasPrefix("https://localhost:\(server.port)/oauth/callback/"), "\(redirectUri)")
    }
}
