import Foundation

/// The kind of browser a landing page is rendered for. The page still corrects iPadOS (which sends a
/// desktop Mac User-Agent) in JavaScript.
public enum DeviceClass: String, Sendable, Equatable, CaseIterable {
    case desktop
    case iPhone = "iphone"
    case iPad = "ipad"
    case android
    /// Another mobile browser (`Mobi` in the UA, or `Sec-CH-UA-Mobile: ?1`).
    case mobile

    public var isMobile: Bool { self != .desktop }

    /// Classifies from `Sec-CH-UA-Mobile` (Chromium only) and the User-Agent.
    public static func detect(headers: HTTPHeaders) -> DeviceClass {
        let ua = headers["User-Agent"] ?? ""
        if TextSearch.contains(ua, "iPad") { return .iPad }
        if TextSearch.contains(ua, "iPhone") || TextSearch.contains(ua, "iPod") { return .iPhone }
        if TextSearch.contains(ua, "Android") { return .android }
        if headers["Sec-CH-UA-Mobile"]?.trimmingCharacters(in: .whitespaces) == "?1" { return .mobile }
        if TextSearch.contains(ua, "Mobi") { return .mobile }
        return .desktop
    }

    /// Facebook and Instagram in-app browsers: the page suggests opening it in the real browser.
    public static func isInAppBrowser(headers: HTTPHeaders) -> Bool {
        let ua = headers["User-Agent"] ?? ""
        return TextSearch.contains(ua, "FBAN") || TextSearch.contains(ua, "FBAV") || TextSearch.contains(ua, "Instagram")
    }

    /// An Android WebView (`; wv)` in the UA), for QA labels.
    public static func isAndroidWebView(headers: HTTPHeaders) -> Bool {
        TextSearch.contains(headers["User-Agent"] ?? "", "; wv)")
    }

    /// Link-preview bots and crawlers: they get the page but never change state.
    public static func isLinkPreviewBot(headers: HTTPHeaders) -> Bool {
        guard let ua = headers["User-Agent"]?.lowercased() else { return false }
        return Self.botMarkers.contains { TextSearch.contains(ua, $0) }
    }

    static let botMarkers = [
        "facebookexternalhit", "facebot", "twitterbot", "slackbot", "slack-imgproxy", "whatsapp", "telegrambot",
        "discordbot", "linkedinbot", "skypeuripreview", "googlebot", "bingbot", "applebot", "embedly", "pinterest",
        "redditbot", "mattermost", "microsoftpreview", "iframely", "crawler", "spider",
    ]
}
