import Testing
@testable import LandingCore

/// Rendering with a root given by slot of a `TemplateLayout` is rendering with the equivalent
/// object: same lookups, same escaping, same bytes.
@Suite struct TemplateLayoutTests {
    /// Values an attacker controls on the landing page (item ids, error text, parameters).
    static let hostile = [
        "<script>alert(1)</script>", "</script><script>alert(1)</script>", "\"><img src=x onerror=alert(1)>",
        "' onmouseover='x", "a&b;&amp;", "<!--", "a\u{2028}b\u{2029}c", "a\u{202E}b\u{2066}c", "a\u{0}b\u{1F}c\r\n\t",
        "\\\"'", "é✓😀", "",
    ]

    static let source = """
        <p title="{{v}}">{{v}}</p><script>{{json v}} {{json o}} {{json .}}</script>
        {{#v}}[{{v}}|{{.}}]{{/v}}{{^v}}empty{{/v}}
        {{#o}}<i>{{v}} {{inner}} {{o.inner}}</i>{{/o}}{{o.inner}}{{o.missing.deeper}}{{v.x}}
        {{#list}}<li data-x="{{.}}">{{v}}</li>{{/list}}{{a.b}}{{a.b.c}}{{missing}}{{json missing}}
        """

    /// The context the hostile value `value` is put in: as text, attribute, JSON, section, nested
    /// object (shadowing `v`), list, and a key containing a dot.
    static func context(_ value: String) -> [String: TemplateValue] {
        [
            "v": .string(value),
            "o": ["inner": .string(value), "v": .string(value + "!")],
            "list": [.string(value), .int(7), .bool(true)],
            "a.b": .string(value),
            "a": ["b": ["c": .string(value + "?")]],
        ]
    }

    @Test("A layout render of hostile values equals the object render, byte for byte", arguments: hostile)
    func hostileValuesMatchObjectRender(value: String) throws {
        let set = try TemplateSet.parse(templates: ["t": Self.source], catalogs: [:])
        let members = Self.context(value)
        let expected = try set.renderBytes("t", context: .object(members))
        for names in [members.keys.sorted(), members.keys.sorted().reversed()] {
            let layout = TemplateLayout(names)
            #expect(try set.renderBytes("t", values: names.map { members[$0]! }, layout: layout) == expected)
        }
        let html = String(decoding: expected, as: UTF8.self)
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("\u{202E}") && !html.contains("\u{0}"))
    }

    @Test("Escaping through a layout slot is exact: HTML text, attribute and script JSON")
    func escapingIsExact() throws {
        let set = try TemplateSet.parse(templates: ["t": "<a title=\"{{v}}\">{{v}}</a><script>{{json v}}</script>"], catalogs: [:])
        let bytes = try set.renderBytes("t", values: ["</script>\"'&\u{2028}"], layout: TemplateLayout(["v"]))
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == "<a title=\"&lt;/script&gt;&quot;&#39;&amp;\u{2028}\">&lt;/script&gt;&quot;&#39;&amp;\u{2028}</a>"
                + "<script>\"\\u003c/script\\u003e\\\"\\u0027\\u0026\\u2028\"</script>")
    }

    @Test("A name the layout lacks renders as nothing; a longer dotted name wins over its prefix")
    func missingAndDottedNames() throws {
        let set = try TemplateSet.parse(templates: ["t": "[{{x}}][{{json x}}][{{a.b}}][{{a.b.c}}]"], catalogs: [:])
        let layout = TemplateLayout(["a", "a.b"])
        let bytes = try set.renderBytes("t", values: [["b": "short"], ["c": "long"]], layout: layout)
        #expect(String(decoding: bytes, as: UTF8.self) == "[][null][][long]")
    }

    @Test("One template renders with two layouts, each bound to its own slots")
    func twoLayouts() throws {
        let set = try TemplateSet.parse(templates: ["t": "{{a}}-{{b}}"], catalogs: [:])
        let first = TemplateLayout(["a", "b"])
        let second = TemplateLayout(["b", "a"])
        for _ in 0..<2 {
            #expect(try set.renderBytes("t", values: ["1", "2"], layout: first) == Array("1-2".utf8))
            #expect(try set.renderBytes("t", values: ["1", "2"], layout: second) == Array("2-1".utf8))
        }
    }

    @Test("The landing page rendered by layout equals the page rendered from its context object, for hostile outcomes")
    func landingPageMatchesObjectRender() throws {
        var settings = LandingSettings(
            publicURL: "https://landing.example.com", returnURL: "https://app.example.com/done",
            openerOrigins: ["https://app.example.com", "https://x.example/\"</script>"], androidPackage: "com.example.app")
        settings.appName = "Acme <b>&\"'"
        settings.brandColor = try BrandColor(parsing: "#0a66c2")
        settings.logoPNG = [1]
        let templates = LandingHarness.templates
        let page = LandingPage(settings: settings)
        for value in Self.hostile {
            let outcomes: [LandingOutcome] = [
                .completed(itemId: value, sessionId: value),
                .failed(itemId: value, sessionId: nil, error: LandingError(code: value, description: value)),
                .failed(itemId: nil, sessionId: value, error: LandingError(code: "access_denied", description: value)),
                .unidentified(error: LandingError(code: value, description: value)), .invalid(explanation: value),
                .relay(sessionId: value), .expired, .unavailable, .rateLimited(retryAfterSeconds: 60),
            ]
            for outcome in outcomes {
                for device in [DeviceClass.desktop, .android, .iPhone] {
                    let audience = LandingPage.Audience(device: device, inAppBrowser: device == .iPhone, language: "pt-BR")
                    let response = page.html(
                        outcome: outcome, audience: audience, sessionReturnURL: "https://app.example.com/r?x=" + value,
                        postPath: "/oauth/callback/" + value, nonce: "nonce-" + value, templates: templates, bankName: value)
                    let values = page.contextValues(
                        outcome: outcome, audience: audience, sessionReturnURL: "https://app.example.com/r?x=" + value,
                        postPath: "/oauth/callback/" + value, nonce: "nonce-" + value, templates: templates, bankName: value)
                    let object = LandingPage.contextLayout.object(values)
                    #expect(response.body == (try templates.renderBytes("landing", context: object)))
                }
            }
        }
    }
}
