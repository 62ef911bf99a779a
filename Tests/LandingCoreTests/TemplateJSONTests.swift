import Testing
@testable import LandingCore

@Suite struct TemplateJSONTests {
    static let page = "<script nonce=\"n\">const data = {{json data}};</script>"

    /// A `</script>` in a value cannot end the script element that embeds it.
    @Test func json_CannotCloseScript_WhenValueHasScriptEndTag() throws {
        let output = try TemplateFixture.render(Self.page, ["data": ["note": "</script><script>alert(1)</script>"]])
        let body = output.dropFirst("<script nonce=\"n\">".count)
        #expect(body.lowercased().ranges(of: "</script").count == 1)
        #expect(body.hasSuffix(";</script>"))
        #expect(output == "<script nonce=\"n\">const data = {\"note\":\"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\"};</script>")
    }

    /// `<!--` and `-->` cannot appear, so the script data state never changes.
    @Test func json_HidesCommentMarkers_WhenValueHasThem() throws {
        let output = try TemplateFixture.render(Self.page, ["data": "<!-- <script> -->"])
        #expect(!output.contains("<!--"))
        #expect(!output.contains("-->"))
        #expect(output.contains("\"\\u003c!-- \\u003cscript\\u003e --\\u003e\""))
    }

    /// `&` and `'` are written as `\u0026` and `\u0027`.
    @Test func json_EscapesAmpersandAndApostrophe_WhenInString() throws {
        #expect(try TemplateFixture.render("{{json v}}", ["v": "a&b'c"]) == "\"a\\u0026b\\u0027c\"")
    }

    /// U+2028 and U+2029 are escaped (line terminators in pre-ES2019 JavaScript).
    @Test func json_EscapesLineSeparators_WhenInString() throws {
        #expect(try TemplateFixture.render("{{json v}}", ["v": "a\u{2028}b\u{2029}c"]) == "\"a\\u2028b\\u2029c\"")
    }

    /// Bidi controls keep their value but are written as escapes.
    @Test func json_EscapesBidiControls_WhenInString() throws {
        #expect(try TemplateFixture.render("{{json v}}", ["v": "\u{202E}x\u{2066}"]) == "\"\\u202ex\\u2066\"")
    }

    /// Quotes, backslashes and every C0 control are escaped per RFC 8259.
    @Test func json_EscapesStringSyntax_WhenValueHasQuotesAndControls() throws {
        let output = try TemplateFixture.render("{{json v}}", ["v": "\"\\/\n\r\t\u{8}\u{C}\u{0}\u{1F}"])
        #expect(output == "\"\\\"\\\\/\\n\\r\\t\\b\\f\\u0000\\u001f\"")
    }

    /// Objects come out with sorted keys, nested values in JSON form.
    @Test func json_SortsKeys_WhenValueIsObject() throws {
        let value: TemplateValue = ["b": [1, true, nil, "x"], "a": ["z": -1, "y": false], "c": [:]]
        #expect(try TemplateFixture.render("{{json v}}", ["v": value]) == "{\"a\":{\"y\":false,\"z\":-1},\"b\":[1,true,null,\"x\"],\"c\":{}}")
    }

    /// Object keys are escaped like strings.
    @Test func json_EscapesKeys_WhenKeyHasMarkup() throws {
        #expect(try TemplateFixture.render("{{json v}}", ["v": ["</script>": 1]]) == "{\"\\u003c/script\\u003e\":1}")
    }

    /// A missing name serializes as `null`, never as nothing (which would be a syntax error).
    @Test func json_WritesNull_WhenNameIsMissing() throws {
        #expect(try TemplateFixture.render("x = {{json nothing}};") == "x = null;")
    }

    /// `{{json .}}` serializes the section's element; dotted names work as for `{{name}}`.
    @Test func json_SerializesContext_WhenNameIsDotOrDotted() throws {
        let output = try TemplateFixture.render("{{#l}}{{json .}},{{/l}}{{json a.b}}", ["l": [1, "x"], "a": ["b": [2]]])
        #expect(output == "1,\"x\",[2]")
    }

    /// `jsonString` is the same serialization, for JSON response bodies.
    @Test func jsonString_MatchesTag_WhenUsedDirectly() throws {
        let value: TemplateValue = ["k": "<&>", "n": 7, "list": []]
        #expect(value.jsonString == "{\"k\":\"\\u003c\\u0026\\u003e\",\"list\":[],\"n\":7}")
        #expect(try TemplateFixture.render("{{json v}}", ["v": value]) == value.jsonString)
    }

    /// Int.min and Int.max serialize exactly.
    @Test func json_WritesExtremeInts_WhenValueIsIntBoundary() {
        #expect(TemplateValue.list([.int(Int.min), .int(Int.max), 0]).jsonString == "[\(Int.min),\(Int.max),0]")
    }
}
