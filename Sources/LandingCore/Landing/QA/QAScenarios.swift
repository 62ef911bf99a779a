/// One test callback a QA engineer can open without a bank: the `/qa` page lists every scenario
/// and `oauth-landing qa-links` prints the same list as URLs (issue 5).
public struct QAScenario: Sendable, Equatable {
    /// How the scenario's parameters reach the callback endpoint.
    public enum Mode: String, Sendable, Equatable {
        /// `GET CALLBACK?params` (response_mode=query, the default).
        case query
        /// `GET CALLBACK#params`: only the page sees them and relays them by `fetch` POST.
        case fragment
        /// `GET /qa/form-post?params`: a page that submits them as a POST form (response_mode=form_post).
        case formPost = "form_post"
        /// `GET /qa/session?params`: a page that creates a test session, then opens its callback URL.
        case session
    }

    /// The section of the QA page a scenario belongs to.
    public enum Group: String, Sendable, Equatable, CaseIterable {
        case outcomes, errors, malformed, modes, devices, languages
    }

    /// Stable slug: the label `qa-links` prints and the row id on the QA page.
    public var id: String
    public var group: Group
    /// Catalog key of the label on the QA page.
    public var labelKey: String
    /// A literal shown after the label (an error code, a device, a language), never translated.
    public var detail: String?
    public var mode: Mode
    /// Appended to the callback path (`/{sessionId}`), for `.query` only.
    public var pathSuffix: String?
    /// The parameters, in order (a repeated name is sent twice).
    public var parameters: [RawParameter]
    /// The scenario's `itemId` parameter, if any: its record (or its absence) can be read back.
    public var itemId: String?
    /// The page's `status` word the scenario should produce.
    public var expectedStatus: String
    /// Whether the callback should create a record (`false`: refused before the store).
    public var records: Bool

    public init(
        id: String, group: Group, labelKey: String, detail: String? = nil, mode: Mode = .query, pathSuffix: String? = nil,
        parameters: [RawParameter], itemId: String?, expectedStatus: String, records: Bool
    ) {
        self.id = id
        self.group = group
        self.labelKey = labelKey
        self.detail = detail
        self.mode = mode
        self.pathSuffix = pathSuffix
        self.parameters = parameters
        self.itemId = itemId
        self.expectedStatus = expectedStatus
        self.records = records
    }

    /// The scenario's URL: `base` (no trailing slash; empty for a path relative to the server)
    /// followed by the path and the percent-encoded parameters.
    public func url(base: String, callbackPath: String) -> String {
        let encoded = QAScenarios.encode(parameters)
        switch mode {
        case .query: return base + callbackPath + (pathSuffix ?? "") + "?" + encoded
        case .fragment: return base + callbackPath + "#" + encoded
        case .formPost: return base + QAScenarios.formPostPath + "?" + encoded
        case .session: return base + QAScenarios.sessionHelperPath + "?" + encoded
        }
    }
}

/// The list of QA scenarios, shared by the QA page and `qa-links`.
public enum QAScenarios {
    /// The QA page.
    public static let pagePath = "/qa"
    /// The form_post helper page.
    public static let formPostPath = "/qa/form-post"
    /// The session helper page (creates a test session, then opens its callback URL).
    public static let sessionHelperPath = "/qa/session"
    /// A well-formed session id no session has (all zero bits): the "expired link" scenario.
    public static let unknownSessionId = "AAAAAAAAAAAAAAAAAAAAAA"
    /// Languages `qa_lang` scenarios cover when the templates are not at hand (`qa-links`).
    public static let defaultLanguages = ["en", "es", "pt-BR"]
    /// An error description no page may execute: markup, a script break-out, an event handler.
    public static let hostileDescription = "<img src=x onerror=window.__pwned=1></script><script>window.__pwned=2</script>"

    /// A fresh QA item id from random bytes: `qa-` and 12 base64url characters.
    public static func itemId(random: [UInt8]) -> String {
        "qa-" + Base64URL.encode(random)
    }

    /// Every scenario, each with its own item id from `newItemId`.
    /// - Parameter languages: the languages to offer as `qa_lang` scenarios.
    public static func all(languages: [String] = defaultLanguages, newItemId: () -> String) -> [QAScenario] {
        func p(_ name: String, _ value: String) -> RawParameter { RawParameter(name: name, value: value) }
        var list: [QAScenario] = []
        func add(
            _ id: String, _ group: QAScenario.Group, _ labelKey: String, detail: String? = nil, mode: QAScenario.Mode = .query,
            pathSuffix: String? = nil, expected: String = "completed", records: Bool = true,
            _ parameters: (String) -> [RawParameter]
        ) {
            let values = parameters(newItemId())
            list.append(
                QAScenario(
                    id: id, group: group, labelKey: labelKey, detail: detail, mode: mode, pathSuffix: pathSuffix,
                    parameters: values, itemId: values.first { $0.name == "itemId" }?.value, expectedStatus: expected,
                    records: records))
        }

        add("success", .outcomes, "qa_s_success") { [p("itemId", $0), p("qa", "1")] }

        for code in CallbackParameters.knownErrorCodes {
            add("error-" + code, .errors, "qa_s_error", detail: code, expected: "failed") {
                [p("itemId", $0), p("error", code), p("error_description", "QA test: " + code), p("qa", "1")]
            }
        }
        add("error-unknown-code", .errors, "qa_s_error_unknown", detail: "bank_on_fire", expected: "failed") {
            [p("itemId", $0), p("error", "bank_on_fire"), p("qa", "1")]
        }
        add("hostile-description", .errors, "qa_s_hostile", expected: "failed") {
            [p("itemId", $0), p("error", "access_denied"), p("error_description", hostileDescription), p("qa", "1")]
        }

        add("missing-item-id", .malformed, "qa_s_missing_item", expected: "unidentified", records: false) { _ in
            [p("code", "qa-code"), p("state", "qa-state"), p("qa", "1")]
        }
        add("repeated-parameter", .malformed, "qa_s_repeated", expected: "invalid", records: false) {
            [p("itemId", $0), p("state", "one"), p("state", "two"), p("qa", "1")]
        }
        add("expired-session", .malformed, "qa_s_expired_session", pathSuffix: "/" + unknownSessionId, expected: "expired", records: false) {
            [p("itemId", $0), p("qa", "1")]
        }

        add("fragment", .modes, "qa_s_fragment", mode: .fragment) { [p("itemId", $0), p("qa", "1")] }
        add("form-post", .modes, "qa_s_form_post", mode: .formPost) { [p("itemId", $0), p("qa", "1")] }
        add("session", .modes, "qa_s_session", mode: .session) { [p("itemId", $0), p("qa", "1")] }

        for device in QADevice.allCases {
            add("device-" + device.rawValue, .devices, "qa_s_device", detail: device.rawValue) {
                [p("itemId", $0), p("qa_device", device.rawValue)]
            }
        }
        for language in languages {
            add("lang-" + language, .languages, "qa_s_lang", detail: language) { [p("itemId", $0), p("qa_lang", language)] }
        }
        return list
    }

    /// `qa-links`: one `label<TAB>url` line per scenario, the QA page first.
    public static func links(base: String, callbackPath: String = "/oauth/callback", newItemId: () -> String) -> [String] {
        ["qa-page\t" + base + pagePath]
            + all(newItemId: newItemId).map { $0.id + "\t" + $0.url(base: base, callbackPath: callbackPath) }
    }

    /// `name=value&…`, each percent-encoded except RFC 3986's unreserved characters.
    public static func encode(_ parameters: [RawParameter]) -> String {
        parameters.map { LandingPage.percentEncode($0.name) + "=" + LandingPage.percentEncode($0.value) }.joined(separator: "&")
    }
}
