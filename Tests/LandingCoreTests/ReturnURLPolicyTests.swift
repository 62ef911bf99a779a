import Foundation
import Testing
@testable import LandingCore

/// The policy the open-redirect corpus targets.
private func whitelisted() throws -> ReturnURLPolicy {
    try ReturnURLPolicy(allowedPrefixes: ["https://www.whitelisteddomain.tld/"])
}

/// The prefix error for `text`, or nil when it is valid.
private func prefixError(_ text: String) -> ReturnURLPolicyError? {
    do {
        try ReturnURLPolicy.validatePrefix(text)
        return nil
    } catch {
        return error
    }
}

/// oauth2-proxy's open-redirect corpus, copied into `Fixtures/` (see its README), one payload per line.
private func corpus() throws -> [String] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/openredirects.txt")
    let text = try String(contentsOf: url, encoding: .utf8)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }  // the file's final newline
    return lines
}

@Suite struct ReturnURLPolicyTests {
    // MARK: prefixes

    /// https prefixes, custom app schemes and loopback http are valid prefixes.
    @Test func returnURLPolicy_AcceptsPrefix_WhenWellFormed() {
        for prefix in [
            "https://www.whitelisteddomain.tld/", "https://app.example.com", "https://app.example.com:8443/oauth/done",
            "HTTPS://App.Example.COM/Done", "myapp://oauth/done", "com.example.app://callback/",
            "http://localhost:8080/cb", "http://127.0.0.1/", "https://[::1]:8443/", "https://192.0.2.7/x",
            "https://xn--bcher-kva.example/",
        ] {
            #expect(prefixError(prefix) == nil, "\(prefix)")
        }
    }

    /// `http` is refused unless the host is localhost or 127.0.0.1.
    @Test func returnURLPolicy_RejectsPrefix_WhenHTTPOnNonLoopbackHost() {
        #expect(prefixError("http://app.example.com/") == .insecureScheme)
        #expect(prefixError("http://127.0.0.2/") == .insecureScheme)
        #expect(prefixError("http://localhost.evil.com/") == .insecureScheme)
    }

    /// Schemes that run code or open local content are refused, in any case.
    @Test func returnURLPolicy_RejectsPrefix_WhenSchemeForbidden() {
        #expect(prefixError("javascript://x/") == .forbiddenScheme("javascript"))
        #expect(prefixError("JavaScript://x/alert(1)") == .forbiddenScheme("javascript"))
        #expect(prefixError("data://x/") == .forbiddenScheme("data"))
        #expect(prefixError("vbscript://x/") == .forbiddenScheme("vbscript"))
        #expect(prefixError("file://host/etc/passwd") == .forbiddenScheme("file"))
        #expect(prefixError("intent://scan/#Intent;scheme=zxing;end") == .forbiddenScheme("intent"))
        #expect(prefixError("javascript:alert(1)") == .notAbsolute)
    }

    /// Prefixes must be `scheme://host…`.
    @Test func returnURLPolicy_RejectsPrefix_WhenNotAbsolute() {
        for prefix in ["www.example.com/", "//www.example.com/", "/path", "https:www.example.com", "https:/x.com/",
            "1https://x.com/", "://x.com/"]
        {
            #expect(prefixError(prefix) == .notAbsolute, "\(prefix)")
        }
        #expect(prefixError("") == .empty)
    }

    /// Userinfo, query, fragment, a missing host, a bad host and a bad port are refused.
    @Test func returnURLPolicy_RejectsPrefix_WhenAuthorityQueryOrFragmentInvalid() {
        #expect(prefixError("https://user:pw@app.example.com/") == .userInfo)
        #expect(prefixError("https://app.example.com/?x=1") == .query)
        #expect(prefixError("https://app.example.com/?") == .query)
        #expect(prefixError("https://app.example.com/#x") == .fragment)
        #expect(prefixError("https:///path") == .missingHost)
        #expect(prefixError("https://") == .missingHost)
        #expect(prefixError("https://:443/") == .missingHost)
        let hosts = [
            "app.example.com.", "ex%61mple.com", "a..b", "-a.com", "0x7f.1", "1.2.3", "[::1", "[zz::1]", "a_b.com",
        ]
        for host in hosts {
            #expect(prefixError("https://\(host)/") == .invalidHost, "\(host)")
        }
        for port in ["", "0", "65536", "08443", "123456", "4a", "443:1"] {
            #expect(prefixError("https://app.example.com:\(port)/") == .invalidPort, "\(port)")
        }
    }

    /// Characters outside RFC 3986, raw or encoded, and broken escapes are refused.
    @Test func returnURLPolicy_RejectsPrefix_WhenCharactersInvalid() {
        for prefix in ["https://app.example.com/a b", "https://app.example.com/\t", "https://app.example.com/é",
            "https://app.example.com/a%20b", "https://app.example.com/a%5cb", "https://app.example.com/<x>",
            "https://app.example.com/[x]"]
        {
            #expect(prefixError(prefix) == .invalidCharacter, "\(prefix)")
        }
        #expect(prefixError("https://app.example.com/%4") == .malformedPercentEncoding)
        #expect(prefixError("https://app.example.com/" + String(repeating: "a", count: 2048)) == .tooLong)
    }

    /// Dot segments, `//` and encoded `.` or `/` in a prefix path are refused.
    @Test func returnURLPolicy_RejectsPrefix_WhenPathUnsafe() {
        for path in ["/a/../b", "/a/./b", "/a//b", "/%2e%2e/b", "/a%2Fb", "/..", "/a/..;x/b"] {
            #expect(prefixError("https://app.example.com\(path)") == .unsafePath, "\(path)")
        }
    }

    /// One bad prefix fails the whole policy; an empty list allows nothing.
    @Test func returnURLPolicy_Init_FailsOnBadPrefixAndAllowsNothingWhenEmpty() throws {
        #expect(throws: ReturnURLPolicyError.insecureScheme) {
            try ReturnURLPolicy(allowedPrefixes: ["https://ok.example/", "http://bad.example/"])
        }
        let empty = try ReturnURLPolicy(allowedPrefixes: [])
        #expect(!empty.allows("https://www.whitelisteddomain.tld/"))
    }

    /// Every explanation is non-empty, and none quotes the refused URL (it may hold a password).
    @Test func returnURLPolicyError_Explanation_NeverQuotesTheURL() {
        let errors: [ReturnURLPolicyError] = [
            .empty, .tooLong, .invalidCharacter, .malformedPercentEncoding, .notAbsolute, .forbiddenScheme("data"),
            .insecureScheme, .userInfo, .missingHost, .invalidHost, .invalidPort, .query, .fragment, .unsafePath,
        ]
        #expect(errors.allSatisfy { !$0.explanation.isEmpty })
        let prefixes = [
            "https://user:hunter2@hunter2.example/", "http://hunter2.example/", "https://hunter2.example/?hunter2",
        ]
        for prefix in prefixes {
            let explanation = prefixError(prefix)?.explanation ?? ""
            #expect(!explanation.isEmpty && !explanation.contains("hunter2"), "\(prefix)")
        }
    }

    // MARK: candidates

    /// Plain URLs on the allowed host, with any path, query or fragment, are allowed.
    @Test func returnURLPolicy_Allows_WhenSameOriginAndPathUnderPrefix() throws {
        let policy = try whitelisted()
        for candidate in [
            "https://www.whitelisteddomain.tld/", "https://www.whitelisteddomain.tld/ok",
            "https://www.whitelisteddomain.tld/a/b.c/d?x=1&y=%2F#frag", "https://www.whitelisteddomain.tld:443/ok",
            "https://www.whitelisteddomain.tld/?next=https://evil.com//x", "https://www.whitelisteddomain.tld/a..b",
            "https://www.whitelisteddomain.tld/%7Euser", "https://www.whitelisteddomain.tld/#@evil.com",
        ] {
            #expect(policy.allows(candidate), "\(candidate)")
        }
    }

    /// Scheme and host compare ignoring case.
    @Test func returnURLPolicy_Allows_WhenSchemeAndHostDifferInCase() throws {
        #expect(try whitelisted().allows("HTTPS://WWW.WHITELISTEDDOMAIN.TLD/ok"))
    }

    /// Host suffix and prefix tricks are refused: the host must be exactly equal.
    @Test func returnURLPolicy_Refuses_WhenHostOnlyResemblesAllowedHost() throws {
        let policy = try whitelisted()
        for candidate in [
            "https://www.whitelisteddomain.tld.evil.com/", "https://evil-www.whitelisteddomain.tld/",
            "https://whitelisteddomain.tld/", "https://wwwwhitelisteddomain.tld/",
            "https://www.whitelisteddomain.tld./",
            "https://www.whitelisteddomain.tld%2eevil.com/", "https://www.whitelisteddomain.tld%09.evil.com/",
            "https://www.whitelisteddomain.tld%00.evil.com/", "https://xn--www-whitelisteddomain.tld/",
        ] {
            #expect(!policy.allows(candidate), "\(candidate)")
        }
    }

    /// Userinfo is refused wherever the allowed host appears around the `@`.
    @Test func returnURLPolicy_Refuses_WhenAuthorityHasUserinfo() throws {
        let policy = try whitelisted()
        for candidate in [
            "https://www.whitelisteddomain.tld@evil.com/", "https://evil.com@www.whitelisteddomain.tld/",
            "https://user:pw@www.whitelisteddomain.tld/", "https://www.whitelisteddomain.tld:443@evil.com/",
            "https://@www.whitelisteddomain.tld/",
        ] {
            #expect(!policy.allows(candidate), "\(candidate)")
        }
    }

    /// Scheme-relative, backslash, tab and malformed-scheme tricks are refused.
    @Test func returnURLPolicy_Refuses_WhenSchemeOrSlashesAreTricked() throws {
        let policy = try whitelisted()
        for candidate in [
            "//evil.com", "//www.whitelisteddomain.tld/", "/\\evil.com", "/%5cevil.com", "\\\\evil.com",
            "/%09/evil.com", "https:evil.com", "https:/evil.com", "https:///evil.com", "https:\\\\evil.com",
            "https:/\\www.whitelisteddomain.tld/", "https://www.whitelisteddomain.tld\\@evil.com/",
            "https://www.whitelisteddomain.tld%5c@evil.com/", " https://www.whitelisteddomain.tld/",
            "https://www.whitelisteddomain.tld/\t", "https://www.white\tlisteddomain.tld/",
            "https://www.whitelisteddomain.tld/\r\nSet-Cookie:x",
            "https://www.whitelisteddomain.tld/%0d%0aSet-Cookie:x",
            "http://www.whitelisteddomain.tld/", "wss://www.whitelisteddomain.tld/", "/ok", "ok", "",
        ] {
            #expect(!policy.allows(candidate), "\(candidate.debugDescription)")
        }
    }

    /// A port other than the prefix's (explicit or default) is refused.
    @Test func returnURLPolicy_Refuses_WhenPortDiffers() throws {
        #expect(try !whitelisted().allows("https://www.whitelisteddomain.tld:8443/"))
        #expect(try !whitelisted().allows("https://www.whitelisteddomain.tld:80/"))
        #expect(try !whitelisted().allows("https://www.whitelisteddomain.tld:0443/"))
        let custom = try ReturnURLPolicy(allowedPrefixes: ["https://app.example.com:8443/"])
        #expect(custom.allows("https://app.example.com:8443/x"))
        #expect(!custom.allows("https://app.example.com/x"))
        #expect(!custom.allows("https://app.example.com:443/x"))
    }

    /// A prefix path without a trailing slash matches only at a segment boundary, case-sensitively.
    @Test func returnURLPolicy_MatchesPathAtSegmentBoundary_WhenPrefixPathHasNoSlash() throws {
        let policy = try ReturnURLPolicy(allowedPrefixes: ["https://app.example.com/app"])
        for candidate in ["/app", "/app/", "/app/x", "/app?x=1", "/app#f"] {
            #expect(policy.allows("https://app.example.com" + candidate), "\(candidate)")
        }
        for candidate in ["/application", "/ap", "/", "/APP", "/x/app", "", "?app"] {
            #expect(!policy.allows("https://app.example.com" + candidate), "\(candidate)")
        }
    }

    /// Dot segments, `//`, and encoded `.`, `/`, `\` in the candidate path are refused.
    @Test func returnURLPolicy_Refuses_WhenCandidatePathUnsafe() throws {
        let policy = try ReturnURLPolicy(allowedPrefixes: ["https://app.example.com/app/"])
        for path in [
            "/app/../admin", "/app/./x", "/app/.", "/app/..", "/app//evil.com", "/app/%2e%2e/x", "/app/%2E%2E/x",
            "/app/%2fevil.com", "/app/%2Fx", "/app/%5cx", "/app/%5C", "/app/..;/admin", "/app/x/%2e",
        ] {
            #expect(!policy.allows("https://app.example.com" + path), "\(path)")
        }
    }

    /// Characters outside RFC 3986 are refused raw or encoded, anywhere in the candidate.
    @Test func returnURLPolicy_Refuses_WhenCandidateHasDisallowedCharacters() throws {
        let policy = try whitelisted()
        for suffix in [
            "a b", "?q=a b", "?q=%20", "?q=%3Cscript%3E", "?q=<script>", "?q=\"", "?q=%22", "#%7B%7D", "?q={}",
            "?q=|", "?q=^", "?q=`", "?q=%60", "?q=é", "?q=%C3%A9", "?q=%7f", "?q=%00", "[x]", "?[x]", "#a#b", "%",
            "%4", "%zz", "\u{0}", "\u{2028}",
        ] {
            #expect(!policy.allows("https://www.whitelisteddomain.tld/" + suffix), "\(suffix.debugDescription)")
        }
    }

    /// Custom app scheme prefixes match scheme, host and path strictly.
    @Test func returnURLPolicy_MatchesCustomScheme_WhenPrefixIsAppLink() throws {
        let policy = try ReturnURLPolicy(allowedPrefixes: ["myapp://oauth/done"])
        for candidate in ["myapp://oauth/done", "myapp://oauth/done?itemId=1", "MYAPP://OAUTH/done/x"] {
            #expect(policy.allows(candidate), "\(candidate)")
        }
        for candidate in [
            "myapp://oauth/doneX", "myapp://evil/done", "otherapp://oauth/done", "myapp:/oauth/done",
            "myapp://oauth:1/done", "myapp://x@oauth/done", "https://oauth/done", "myapp://oauth/DONE",
        ] {
            #expect(!policy.allows(candidate), "\(candidate)")
        }
    }

    /// `javascript:` and `data:` candidates are refused even when they mention the allowed host.
    @Test func returnURLPolicy_Refuses_WhenCandidateIsJavascriptOrData() throws {
        let policy = try whitelisted()
        for candidate in [
            "javascript:alert(1)", "javascript://www.whitelisteddomain.tld/%0aalert(1)",
            "jaVAscript://www.whitelisteddomain.tld//%0d%0aalert(1);//", "data:text/html,<script>alert(1)</script>",
            "data://www.whitelisteddomain.tld/", "vbscript:msgbox(1)",
        ] {
            #expect(!policy.allows(candidate), "\(candidate)")
        }
    }

    /// Loopback http prefixes match only http, the same host and the same port.
    @Test func returnURLPolicy_MatchesLoopbackHTTP_WhenPrefixIsLocalhost() throws {
        let policy = try ReturnURLPolicy(allowedPrefixes: ["http://localhost:8080/cb"])
        #expect(policy.allows("http://localhost:8080/cb/x"))
        #expect(!policy.allows("http://localhost:8081/cb"))
        #expect(!policy.allows("https://localhost:8080/cb"))
        #expect(!policy.allows("http://127.0.0.1:8080/cb"))
    }

    /// Several prefixes: a candidate matching any one is allowed; IPv6 hosts compare exactly.
    @Test func returnURLPolicy_Allows_WhenAnyPrefixMatches() throws {
        let policy = try ReturnURLPolicy(
            allowedPrefixes: ["https://a.example/x/", "myapp://done", "https://[::1]:8443/"])
        #expect(policy.allows("https://a.example/x/1"))
        #expect(policy.allows("myapp://done/"))
        #expect(policy.allows("https://[::1]:8443/z"))
        #expect(!policy.allows("https://[::2]:8443/z"))
        #expect(!policy.allows("https://a.example/y/1"))
    }

    /// Candidates longer than 2048 bytes are refused.
    @Test func returnURLPolicy_Refuses_WhenCandidateTooLong() throws {
        let policy = try whitelisted()
        let base = "https://www.whitelisteddomain.tld/"
        #expect(policy.allows(base + String(repeating: "a", count: 2048 - base.utf8.count)))
        #expect(!policy.allows(base + String(repeating: "a", count: 2049 - base.utf8.count)))
    }

    // MARK: oauth2-proxy corpus

    /// Every one of the 559 open-redirect payloads is refused unless it is a plain
    /// `https://www.whitelisteddomain.tld/…` URL; none is.
    ///
    /// Accepted payloads: none (0). Refusal reasons as parsed: 269 not `scheme://`, 170 invalid
    /// characters, 62 userinfo, 20 invalid hosts, 12 missing hosts, 11 unsafe paths, 2 invalid
    /// ports, 1 empty; the other 12 parse but name another host or use http. The only corpus lines
    /// starting with the allowed origin carry userinfo (`https://www.whitelisteddomain.tld@google.com/…`),
    /// and every other mention of the host is behind a tab, `%09`, `\`, `%2e`, `%23`, an
    /// `http`/`javascript`/`data` scheme or a scheme-relative `//`.
    @Test func returnURLPolicy_RefusesOpenRedirectCorpus_WhenAllowlistIsWhitelistedDomain() throws {
        let payloads = try corpus()
        #expect(payloads.count == 559)
        let policy = try whitelisted()
        let accepted = payloads.filter(policy.allows)
        for payload in accepted {
            #expect(payload.lowercased().hasPrefix("https://www.whitelisteddomain.tld/"), "\(payload)")
            let authority = payload.dropFirst("https://".count).prefix(while: { $0 != "/" })
            #expect(!authority.contains(where: { "@\\%".contains($0) }), "\(payload)")
            #expect(
                payload.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F }, "\(payload.debugDescription)")
        }
        #expect(accepted == [])
    }

    /// Corpus payloads that are paths, put after the allowed origin, are allowed only when the path
    /// is clean: prefixing the origin never turns a payload into a link elsewhere.
    ///
    /// Allowed (5): `/?url=//example.com&…`, `/?url=Https://example.com&…`,
    /// `/ReceiveAutoRedirect/false?desiredLocationUrl=http://xssposed.org`,
    /// `/redirect?url=//example.com&…`, `/redirect?url=Https://example.com&…` — all stay on
    /// www.whitelisteddomain.tld; their queries are that host's business.
    @Test func returnURLPolicy_RefusesCorpusPaths_WhenAppendedToAllowedOrigin() throws {
        let policy = try whitelisted()
        var allowed = 0
        for payload in try corpus() where payload.hasPrefix("/") {
            let candidate = "https://www.whitelisteddomain.tld" + payload
            guard policy.allows(candidate) else { continue }
            allowed += 1
            // Allowed only if it stays on the allowed host: no `//`, `\`, encoded slash or dot.
            let lower = payload.lowercased()
            #expect(!lower.hasPrefix("//") && !lower.contains("\\") && !lower.contains("%2f"), "\(payload)")
            #expect(!lower.contains("%5c") && !lower.contains("%09") && !lower.contains("%2e"), "\(payload)")
            #expect(!payload.prefix(while: { $0 != "?" }).contains("//"), "\(payload)")
        }
        #expect(allowed == 5)
    }
}
