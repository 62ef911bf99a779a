import Testing

@testable import LandingCore

@Suite("Text search")
struct TextSearchTests {
    /// A needle is found at the start, in the middle and at the end, and after a false start.
    @Test(arguments: [
        ("tokenish", "token"), ("connectToken", "Token"), ("my_api_key", "api_key"), ("aab", "ab"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)", "iPhone"), ("x", "x"), ("anything", ""), ("ünïtoken", "token"),
    ])
    func contains_FindsNeedle_WhenPresent(text: String, needle: String) {
        #expect(TextSearch.contains(text, needle))
    }

    /// A needle is not found when absent, when longer than the text, or when only a prefix matches at the end.
    @Test(arguments: [("toke", "token"), ("", "a"), ("abcab", "abd"), ("Android", "android"), ("tok en", "token")])
    func contains_ReportsAbsent_WhenNotPresent(text: String, needle: String) {
        #expect(!TextSearch.contains(text, needle))
    }

    /// Secret names are recognized by fragment in any case, and plain names are not.
    @Test func isSecret_MatchesFragmentsIgnoringCase_AndNotPlainNames() {
        #expect(CallbackParameters.isSecret("connectToken"))
        #expect(CallbackParameters.isSecret("X-API-KEY"))
        #expect(CallbackParameters.isSecret("clientCredentials"))
        #expect(CallbackParameters.isSecret("STATE"))
        #expect(!CallbackParameters.isSecret("itemId"))
        #expect(!CallbackParameters.isSecret("error_description"))
    }

    /// The device class and in-app browser come from the User-Agent markers.
    @Test func deviceClass_DetectsUserAgentMarkers() {
        func headers(_ ua: String) -> HTTPHeaders { HTTPHeaders([("User-Agent", ua)]) }
        #expect(DeviceClass.detect(headers: headers("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)")) == .iPad)
        #expect(DeviceClass.detect(headers: headers("Mozilla/5.0 (Linux; Android 14; Pixel 8)")) == .android)
        #expect(DeviceClass.detect(headers: headers("Opera/9.80 (Mobi)")) == .mobile)
        #expect(DeviceClass.detect(headers: headers("Mozilla/5.0 (X11; Linux x86_64)")) == .desktop)
        #expect(DeviceClass.detect(headers: HTTPHeaders()) == .desktop)
        #expect(DeviceClass.isInAppBrowser(headers: headers("Mozilla/5.0 [FBAN/FBIOS;FBAV/400.0]")))
        #expect(DeviceClass.isLinkPreviewBot(headers: headers("Slackbot-LinkExpanding 1.0")))
        #expect(!DeviceClass.isLinkPreviewBot(headers: headers("Mozilla/5.0 (X11; Linux x86_64)")))
    }
}
