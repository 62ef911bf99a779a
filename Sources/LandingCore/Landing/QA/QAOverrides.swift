/// A device class QA can ask for with `qa_device`: the page's device classes plus the browsers
/// that render them differently (an Android WebView, Instagram's in-app browser).
public enum QADevice: String, Sendable, Equatable, CaseIterable {
    case desktop
    case iPhone = "iphone"
    case iPad = "ipad"
    case android
    case androidWebView = "android-webview"
    case instagram

    /// The class the page is rendered for.
    public var deviceClass: DeviceClass {
        switch self {
        case .desktop: .desktop
        case .iPhone, .instagram: .iPhone
        case .iPad: .iPad
        case .android, .androidWebView: .android
        }
    }

    /// Whether the page shows the "open in your browser" hint (Facebook/Instagram in-app browsers).
    public var inAppBrowser: Bool { self == .instagram }
}

/// The QA-only parameters of a callback: `qa_device`, `qa_lang`, and the marker `qa=1`. The
/// handler reads them only with `--qa`; then they choose the audience, mark the record as a test
/// record, and are removed before the parameters are parsed, so they are never kept as forensics.
/// Without `--qa` they are ordinary unknown parameters.
public struct QAOverrides: Sendable, Equatable {
    /// The parameter names QA mode takes out of a callback.
    public static let parameterNames: Set<String> = ["qa", "qa_device", "qa_lang"]

    /// `qa_device`, when it names a `QADevice`.
    public var device: QADevice?
    /// `qa_lang`, as the template set names it, when it is one of its languages.
    public var language: String?
    /// Any QA parameter with a value was present: the callback is a test.
    public var isTest: Bool

    public init(device: QADevice? = nil, language: String? = nil, isTest: Bool = false) {
        self.device = device
        self.language = language
        self.isTest = isTest
    }

    /// No override, not a test (the value used without `--qa`).
    public static let none = QAOverrides()

    /// Reads the QA parameters from decoded pairs. An unknown device or language is ignored (the
    /// callback still counts as a test); of a repeated one, the first valid value wins.
    public static func read(_ pairs: [(name: String, value: String)], languages: [String]) -> QAOverrides {
        var result = QAOverrides()
        for pair in pairs where parameterNames.contains(pair.name) && !pair.value.isEmpty {
            result.isTest = true
            switch pair.name {
            case "qa_device":
                if result.device == nil { result.device = QADevice(rawValue: pair.value.lowercased()) }
            case "qa_lang":
                if result.language == nil { result.language = languages.first { $0.lowercased() == pair.value.lowercased() } }
            default:
                break
            }
        }
        return result
    }

    /// Reads the QA parameters of a callback request: the query of GET/HEAD, the form body of POST.
    /// A body or query that does not decode yields `.none` (the handler refuses it anyway).
    public static func read(_ request: HTTPRequest, languages: [String]) -> QAOverrides {
        let encoded: [UInt8]
        if request.method == .post {
            guard (request.headers["Content-Type"] ?? "").lowercased().hasPrefix("application/x-www-form-urlencoded") else { return .none }
            encoded = request.body
        } else {
            encoded = Array((request.query ?? "").utf8)
        }
        guard let pairs = try? FormDecoder.decode(encoded) else { return .none }
        return read(pairs, languages: languages)
    }

    /// `pairs` without the QA parameters.
    public static func removing(from pairs: [(name: String, value: String)]) -> [(name: String, value: String)] {
        pairs.filter { !parameterNames.contains($0.name) }
    }

    /// `audience` with the overrides applied.
    public func apply(to audience: LandingPage.Audience) -> LandingPage.Audience {
        var result = audience
        if let device {
            result.device = device.deviceClass
            result.inAppBrowser = device.inAppBrowser
        }
        if let language { result.language = language }
        return result
    }
}
