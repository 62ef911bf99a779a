import Foundation
import Testing

/// Shared pieces of the landing-flow end-to-end suites (`EndToEndLanding*Tests`): one server shared
/// by the read-mostly suites, the `/v1/` API through curl, and readers for the landing page (its
/// data block, its links, its nonces) and for the string catalogs.
enum LandingE2E {
    /// The public URL the shared server builds absolute URLs from (never the Host header).
    static let publicURL = "https://landing.example.test"
    /// The allowlisted return-URL prefix.
    static let allowedReturnPrefix = "https://app.example.com/"
    /// `--return-url`: the return link when a session has none.
    static let defaultReturnURL = "https://app.example.com/home"
    static let androidPackage = "com.example.app"

    /// User agents of each device class.
    enum UA {
        static let desktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
        static let iPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
        static let iPad = "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
        static let android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"
        static let instagram = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 334.0.4.32.98"
        static let facebookAndroid = "Mozilla/5.0 (Linux; Android 14; Pixel 8; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0 Mobile Safari/537.36 [FBAN/EMA;FBLC/pt_BR;FBAV/400.0.0.0;]"
    }

    // MARK: - The shared server

    /// The arguments of the shared server.
    static let sharedArguments = [
        "--public-url", publicURL, "--allowed-return-url", allowedReturnPrefix, "--return-url", defaultReturnURL,
        "--android-package", androidPackage,
    ]

    /// One server (memory store) for the suites whose tests only add records under their own
    /// unique ids, so they can share it while running in parallel. Killed at exit by
    /// `ServerProcess`'s registry.
    private static let sharedServer = Result { try ServerProcess(sharedArguments) }

    static func shared() throws -> ServerProcess { try sharedServer.get() }

    /// A fresh item id no other test uses.
    static func uniqueItemId(_ label: String = "item") -> String {
        "e2e-\(label)-\(UUID().uuidString.prefix(13).lowercased())"
    }

    // MARK: - Requests

    /// GET (or another method with `arguments`) of `path` on `server` through curl.
    static func get(_ server: ServerProcess, _ path: String, _ arguments: [String] = []) throws -> E2EResponse {
        try Curl.fetch(server.baseURL + path, arguments).response
    }

    /// A `/v1/` request with `Authorization: Bearer key` (none when `key` is nil) and, when `json`
    /// is given, that body as application/json.
    static func api(
        _ server: ServerProcess, _ method: String, _ path: String, json: String? = nil, key: String? = ServerProcess.apiKey,
        headers: [String] = []
    ) throws -> E2EResponse {
        var arguments = ["-X", method]
        if let key { arguments += ["-H", "Authorization: Bearer \(key)"] }
        if let json { arguments += ["-H", "Content-Type: application/json", "--data-binary", json] }
        for header in headers { arguments += ["-H", header] }
        return try Curl.fetch(server.baseURL + path, arguments).response
    }

    /// `GET /v1/items/{id}`.
    static func item(_ server: ServerProcess, _ id: String, key: String = ServerProcess.apiKey) throws -> E2EResponse {
        try api(server, "GET", "/v1/items/\(id)", key: key)
    }

    /// `GET /v1/sessions/{id}`.
    static func session(_ server: ServerProcess, _ id: String) throws -> E2EResponse {
        try api(server, "GET", "/v1/sessions/\(id)")
    }

    /// Creates a session; returns the 201 document (fails the test otherwise).
    static func createSession(
        _ server: ServerProcess, json: String = "{}", sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [String: Any] {
        let response = try api(server, "POST", "/v1/sessions", json: json)
        #expect(response.status == 201, "\(response)", sourceLocation: sourceLocation)
        return try Self.json(response)
    }

    /// The JSON object of a response body.
    static func json(_ response: E2EResponse) throws -> [String: Any] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] else {
            throw E2EError("not a JSON object: \(response)")
        }
        return object
    }

    /// `redirectUri` (built from `--public-url`) pointed at the test server instead.
    static func local(_ url: String, on server: ServerProcess) throws -> String {
        guard url.hasPrefix(publicURL + "/") else { throw E2EError("\(url) is not under \(publicURL)") }
        return server.baseURL + url.dropFirst(publicURL.count)
    }

    // MARK: - Reading the page

    /// The `data` object the page's script reads (`<script type="application/json" id="landing-data">`).
    static func pageData(_ response: E2EResponse) throws -> [String: Any] {
        let body = response.bodyText
        guard let open = body.range(of: "id=\"landing-data\""), let start = body.range(of: ">", range: open.upperBound..<body.endIndex),
            let end = body.range(of: "</script>", range: start.upperBound..<body.endIndex)
        else { throw E2EError("no landing-data block in \(response)") }
        let text = String(body[start.upperBound..<end.lowerBound])
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw E2EError("landing-data is not a JSON object: \(text)")
        }
        return object
    }

    /// The value of attribute `name` on every tag of the body (`href`, `src`, `action`, …),
    /// HTML-unescaped.
    static func attributeValues(_ name: String, in body: String) -> [String] {
        let pattern = try! Regex("\\s\(name)\\s*=\\s*\"([^\"]*)\"")
        return body.matches(of: pattern).compactMap { match in
            (match.output[1].substring).map { htmlUnescaped(String($0)) }
        }
    }

    /// The `nonce` attribute of every `<script>` and `<style>` tag, and how many such tags there are.
    static func elementNonces(in body: String) -> (tags: Int, nonces: [String]) {
        let tagPattern = try! Regex("<(script|style)\\b[^>]*>")
        let noncePattern = try! Regex("\\snonce=\"([^\"]*)\"")
        var nonces: [String] = []
        var tags = 0
        for match in body.matches(of: tagPattern) {
            tags += 1
            let tag = String(body[match.range])
            if let nonce = tag.firstMatch(of: noncePattern)?.output[1].substring { nonces.append(String(nonce)) }
        }
        return (tags, nonces)
    }

    /// The return button's tag (`<a id="return" …>`).
    static func returnButton(_ response: E2EResponse) -> String? {
        let body = response.bodyText
        guard let start = body.range(of: "<a id=\"return\""), let end = body.range(of: ">", range: start.upperBound..<body.endIndex) else {
            return nil
        }
        return String(body[start.lowerBound..<end.upperBound])
    }

    /// The return button's href (unescaped), nil when the page has no button or an empty href.
    static func returnHref(_ response: E2EResponse) -> String? {
        guard let tag = returnButton(response), let href = attributeValues("href", in: tag).first, !href.isEmpty else { return nil }
        return href
    }

    /// Whether the server rendered the return button visible (no `hidden` attribute).
    static func returnButtonVisible(_ response: E2EResponse) -> Bool {
        guard let tag = returnButton(response) else { return false }
        return !tag.contains(" hidden")
    }

    /// `<html lang="…">`.
    static func pageLanguage(_ response: E2EResponse) -> String? {
        let pattern = try! Regex("<html lang=\"([^\"]*)\"")
        return response.bodyText.firstMatch(of: pattern)?.output[1].substring.map(String.init)
    }

    /// The text of the element with `id` (`<h1 id="title">…</h1>`, `<p id="message">…</p>`), as in the source.
    static func elementText(_ id: String, in response: E2EResponse) -> String? {
        let body = response.bodyText
        guard let open = body.range(of: " id=\"\(id)\""), let start = body.range(of: ">", range: open.upperBound..<body.endIndex),
            let end = body.range(of: "</", range: start.upperBound..<body.endIndex)
        else { return nil }
        return String(body[start.upperBound..<end.lowerBound])
    }

    /// `<title>…</title>`, as in the source.
    static func pageTitle(_ response: E2EResponse) -> String? {
        let body = response.bodyText
        guard let start = body.range(of: "<title>"), let end = body.range(of: "</title>", range: start.upperBound..<body.endIndex) else { return nil }
        return String(body[start.upperBound..<end.lowerBound])
    }

    // MARK: - Catalogs and escaping

    /// The repository's string catalog for `language` (`templates/strings/<language>.json`).
    static func catalog(_ language: String) -> [String: String] {
        catalogs.withLock { cache in
            if let cached = cache[language] { return cached }
            let path = ServerProcess.repositoryRoot + "/templates/strings/\(language).json"
            let data = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
            let catalog = ((try? JSONSerialization.jsonObject(with: data)) as? [String: String]) ?? [:]
            cache[language] = catalog
            return catalog
        }
    }
    private static let catalogs = E2ELocked<[String: [String: String]]>([:])

    /// `catalog(language)[key]` as the template engine writes it into the page.
    static func text(_ key: String, _ language: String = "en") -> String {
        htmlEscaped(catalog(language)[key] ?? "<missing catalog key \(key)>")
    }

    /// The template engine's HTML escaping (`&<>"'`).
    static func htmlEscaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func htmlUnescaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    // MARK: - Headers

    /// Checks the headers every landing response carries (errors included) and returns the CSP
    /// nonce. When the response has an HTML body, every inline `<script>`/`<style>` must carry that
    /// nonce. The page loads nothing from anywhere (no `src`, no stylesheet links).
    @discardableResult
    static func expectLandingHeaders(
        _ response: E2EResponse, contentType: String = "text/html; charset=utf-8", hasBody: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> String? {
        let context = "\(response.status) \(response.headers)"
        #expect(response.header("Content-Type") == contentType, "\(context)", sourceLocation: sourceLocation)
        #expect(response.header("Cache-Control") == "no-store", "\(context)", sourceLocation: sourceLocation)
        #expect(response.header("Referrer-Policy") == "no-referrer", "\(context)", sourceLocation: sourceLocation)
        #expect(response.header("X-Content-Type-Options") == "nosniff", "\(context)", sourceLocation: sourceLocation)
        #expect(response.header("X-Frame-Options") == "DENY", "\(context)", sourceLocation: sourceLocation)
        #expect(response.header("Strict-Transport-Security")?.hasPrefix("max-age=") == true, "\(context)", sourceLocation: sourceLocation)
        #expect(response.header("Cross-Origin-Opener-Policy") == nil, "\(context)", sourceLocation: sourceLocation)
        #expect(response.headers(named: "Content-Security-Policy").count == 1, "\(context)", sourceLocation: sourceLocation)
        let csp = response.header("Content-Security-Policy") ?? ""
        let directives = Dictionary(
            csp.split(separator: ";").map { part -> (String, String) in
                let words = part.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1).map(String.init)
                return (words.first ?? "", words.count > 1 ? words[1] : "")
            }, uniquingKeysWith: { first, _ in first })
        for (name, value) in [
            ("default-src", "'none'"), ("base-uri", "'none'"), ("form-action", "'none'"), ("frame-ancestors", "'none'"),
            ("connect-src", "'self'"),
        ] {
            #expect(directives[name] == value, "CSP \(name) in \(csp)", sourceLocation: sourceLocation)
        }
        #expect(!csp.contains("http:") && !csp.contains("https:") && !csp.contains("*") && !csp.contains("unsafe"), "CSP allows more than the page: \(csp)", sourceLocation: sourceLocation)
        let scriptNonce = directives["script-src"].flatMap(nonceValue)
        let styleNonce = directives["style-src"].flatMap(nonceValue)
        #expect(scriptNonce != nil, "no script nonce in \(csp)", sourceLocation: sourceLocation)
        #expect(scriptNonce == styleNonce, "\(csp)", sourceLocation: sourceLocation)
        guard let nonce = scriptNonce else { return nil }
        // 128 random bits, base64url: 22 characters.
        #expect(nonce.count >= 22 && nonce.utf8.allSatisfy { CharacterSet.alphanumerics.contains(Unicode.Scalar($0)) || $0 == 0x2D || $0 == 0x5F }, "nonce \(nonce)", sourceLocation: sourceLocation)
        if hasBody && contentType.hasPrefix("text/html") {
            let body = response.bodyText
            let (tags, nonces) = elementNonces(in: body)
            #expect(tags >= 2, "expected inline script and style elements", sourceLocation: sourceLocation)
            #expect(nonces.count == tags, "an inline script/style without a nonce", sourceLocation: sourceLocation)
            #expect(nonces.allSatisfy { $0 == nonce }, "element nonces \(nonces) != CSP nonce \(nonce)", sourceLocation: sourceLocation)
            #expect(body.contains("<script nonce=\"\(nonce)\">"), sourceLocation: sourceLocation)
            #expect(attributeValues("src", in: body).isEmpty, "the page loads a resource", sourceLocation: sourceLocation)
            // `<link rel="icon" href="data:,">` (no favicon request) is the only kind of link allowed.
            let linkPattern = try! Regex("<link\\b[^>]*>")
            for match in body.matches(of: linkPattern) {
                let hrefs = attributeValues("href", in: String(body[match.range]))
                #expect(hrefs.allSatisfy { $0.hasPrefix("data:") }, "the page links a resource: \(body[match.range])", sourceLocation: sourceLocation)
            }
        }
        return nonce
    }

    /// `'nonce-abc'` → `abc`.
    private static func nonceValue(_ source: String) -> String? {
        guard source.hasPrefix("'nonce-"), source.hasSuffix("'"), !source.contains(" ") else { return nil }
        return String(source.dropFirst(7).dropLast())
    }

    // MARK: - Running the binary directly

    /// Runs `oauth-landing` with `arguments` to completion (for startup failures).
    static func runBinary(_ arguments: [String], timeout: Double = 20) throws -> SubprocessResult {
        try Subprocess.run(try ServerProcess.binaryPath(), arguments, timeout: timeout)
    }

    /// `serve --listen 127.0.0.1:0` with `certificate`, the memory store and the repository's
    /// templates, plus `arguments` (no API key unless given).
    static func serveArguments(_ certificate: E2ECertificate, _ arguments: [String]) -> [String] {
        var defaults: [String] = []
        if !arguments.contains("--templates") { defaults += ["--templates", ServerProcess.repositoryRoot + "/templates"] }
        if !arguments.contains("--store") { defaults += ["--store", "memory:"] }
        defaults += ServerProcess.defaultPublicURL(unlessIn: arguments)
        return ["serve", "--listen", "127.0.0.1:0", "--tls-cert", certificate.certificatePath, "--tls-key", certificate.keyPath] + defaults + arguments
    }
}
