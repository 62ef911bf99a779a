import Foundation
import Testing

/// Abuse limits seen from a client over real TLS, each test with its own server.
@Suite struct EndToEndAbuseLimitTests {
    /// With `--max-callbacks-per-address-per-minute 3`, the 4th callback from one address gets 429,
    /// `Retry-After` and a readable page, and is not recorded; `/v1/` and `/healthz` do not count.
    @Test func endToEndAbuse_Refuses4thCallback_With429AndRetryAfter() throws {
        let server = try ServerProcess([
            "--max-callbacks-per-address-per-minute", "3", "--public-url", LandingE2E.publicURL,
        ])
        defer { server.stop() }
        let id = LandingE2E.uniqueItemId("abuse")
        for n in 0..<3 {
            let allowed = try LandingE2E.get(server, "/oauth/callback?itemId=\(id)-\(n)")
            #expect(allowed.status == 200, "callback \(n + 1): \(allowed)")
            // Neither the status API nor the health check uses up the callback budget.
            #expect(try LandingE2E.item(server, "\(id)-\(n)").status == 200)
            #expect(try LandingE2E.get(server, "/healthz").status == 200)
        }
        let refused = try LandingE2E.get(
            server, "/oauth/callback?itemId=\(id)-3&code=SECRETCODE4&state=SECRETSTATE4&x=%3Cscript%3E",
            ["-H", "Accept-Language: en", "-H", "User-Agent: \(LandingE2E.UA.desktop)"])
        #expect(refused.status == 429, "\(refused)")
        let retryAfter = try #require(refused.header("Retry-After").flatMap { Int($0) }, "\(refused)")
        #expect((1...60).contains(retryAfter))
        #expect(refused.header("Content-Type") == "text/html; charset=utf-8")
        #expect(refused.header("Cache-Control") == "no-store")
        #expect(refused.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
        #expect(LandingE2E.pageTitle(refused)?.contains("Too many attempts") == true, "\(refused.bodyText)")
        #expect(refused.bodyText.contains("data-status=\"rate_limited\""))
        for echoed in ["SECRETCODE4", "SECRETSTATE4", "<script>", "%3Cscript"] {
            #expect(!refused.bodyText.contains(echoed), "\(echoed) echoed")
        }
        // Nothing was recorded for the refused callback.
        #expect(try LandingE2E.item(server, "\(id)-3").status == 404)
        // The session-path variant and POST count too.
        let session = try LandingE2E.get(server, "/oauth/callback/AAAAAAAAAAAAAAAAAAAAAA?itemId=\(id)-4")
        #expect(session.status == 429)
        let post = try LandingE2E.get(server, "/oauth/callback", ["--data", "itemId=\(id)-5"])
        #expect(post.status == 429)
        #expect(post.header("Retry-After") != nil)
    }
}
