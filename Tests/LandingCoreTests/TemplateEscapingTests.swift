import Testing
@testable import LandingCore

@Suite struct TemplateEscapingTests {
    /// Each of the five HTML-special characters becomes its entity.
    @Test(arguments: [
        ("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\"", "&quot;"), ("'", "&#39;"),
    ])
    func renderer_EscapesHTML_WhenValueHasSpecialCharacter(input: String, expected: String) throws {
        #expect(try TemplateFixture.render("[{{v}}]", ["v": .string(input)]) == "[\(expected)]")
    }

    /// A script element in a value is rendered as inert text.
    @Test func renderer_EscapesHTML_WhenValueHasScriptElement() throws {
        let output = try TemplateFixture.render("<p>{{v}}</p>", ["v": "<script>alert(1)</script>"])
        #expect(output == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>")
    }

    /// A value cannot close a quoted attribute and add an element.
    @Test func renderer_EscapesHTML_WhenValueBreaksOutOfAttribute() throws {
        let output = try TemplateFixture.render("<a href=\"{{v}}\">x</a>", ["v": "\"><img src=x onerror=alert(1)>"])
        #expect(output == "<a href=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\">x</a>")
        #expect(!output.contains("<img"))
    }

    /// A single-quoted attribute is as safe as a double-quoted one.
    @Test func renderer_EscapesHTML_WhenValueBreaksOutOfSingleQuotedAttribute() throws {
        let output = try TemplateFixture.render("<a title='{{v}}'>", ["v": "' onmouseover='alert(1)"])
        #expect(output == "<a title='&#39; onmouseover=&#39;alert(1)'>")
    }

    /// Entities already in a value are escaped again, not trusted.
    @Test func renderer_EscapesAmpersand_WhenValueHasEntity() throws {
        #expect(try TemplateFixture.render("{{v}}", ["v": "&lt;b&gt;"]) == "&amp;lt;b&amp;gt;")
    }

    /// NUL and the other C0 controls become U+FFFD; TAB, LF and CR pass.
    @Test func renderer_ReplacesControls_WhenValueHasC0Characters() throws {
        let output = try TemplateFixture.render("{{v}}", ["v": "a\u{0}b\u{1}c\u{1B}d\u{1F}e\tf\ng\rh"])
        #expect(output == "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e\tf\ng\rh")
    }

    /// CRLF in a value stays as it is (no header context here, and HTML ignores it).
    @Test func renderer_KeepsCRLF_WhenValueHasLineBreaks() throws {
        #expect(try TemplateFixture.render("{{v}}", ["v": "line1\r\nline2"]) == "line1\r\nline2")
    }

    /// Every bidi embedding, override and isolate control becomes U+FFFD.
    @Test(arguments: [0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069] as [UInt32])
    func renderer_ReplacesBidiControl_WhenValueHasOverride(scalar: UInt32) throws {
        let value = "user\(Character(Unicode.Scalar(scalar)!))gpj.exe"
        #expect(try TemplateFixture.render("{{v}}", ["v": .string(value)]) == "user\u{FFFD}gpj.exe")
    }

    /// Neighbours of the bidi controls (U+2029, U+202F, U+2065, U+206A) and other text are untouched.
    @Test func renderer_KeepsUnicode_WhenValueHasNoBidiControl() throws {
        let value = "Conexão ✓ 日本 \u{2029}\u{202F}\u{2065}\u{206A} 😀"
        #expect(try TemplateFixture.render("{{v}}", ["v": .string(value)]) == value)
    }

    /// Ints and bools print; null, lists, objects and missing names print nothing.
    @Test func renderer_PrintsScalars_WhenValueIsNotString() throws {
        let context: TemplateValue = ["i": -42, "t": true, "f": false, "n": nil, "l": [1], "o": ["a": 1]]
        #expect(try TemplateFixture.render("{{i}}|{{t}}|{{f}}|{{n}}|{{l}}|{{o}}|{{missing}}", context) == "-42|true|false||||")
    }

    /// Literal text of the template is copied byte for byte, not escaped.
    @Test func renderer_CopiesTemplateText_WhenOutsideTags() throws {
        let source = "<p class=\"x\">a & b 'c' </p>\r\n\u{0}"
        #expect(try TemplateFixture.render(source) == source)
    }

    /// Whitespace inside a tag is allowed.
    @Test func renderer_AcceptsSpaces_WhenInsideTag() throws {
        #expect(try TemplateFixture.render("{{ v }}{{\tv\n}}", ["v": "x"]) == "xx")
    }

    /// A long value with no special character comes out unchanged (the fast path).
    @Test func renderer_CopiesRun_WhenValueIsLongAndPlain() throws {
        let value = String(repeating: "abcdefghij", count: 1000)
        #expect(try TemplateFixture.render("{{v}}", ["v": .string(value)]) == value)
    }

    /// `renderBytes` and `render` produce the same UTF-8.
    @Test func templateSet_RendersSameBytes_WhenAskedForBytes() throws {
        let set = try TemplateSet.parse(templates: ["t": "é{{v}}"], catalogs: [:])
        #expect(try set.renderBytes("t", context: ["v": "<ü>"]) == Array("é&lt;ü&gt;".utf8))
    }
}
