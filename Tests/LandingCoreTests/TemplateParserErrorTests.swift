import Testing
@testable import LandingCore

@Suite struct TemplateParserErrorTests {
    /// `{{` without `}}` is an error at the `{{`.
    @Test func parser_RejectsUnclosedTag_WhenNoClosingBraces() throws {
        let error = try #require(TemplateFixture.parseError("line1\n  {{name }"))
        #expect(error == TemplateError(file: "t.html", line: 2, column: 3, reason: .unclosedTag))
        #expect(error.description == "t.html:2:3: unclosed tag: no '}}' after this '{{'")
    }

    /// A section never closed is reported at its opening tag, naming it.
    @Test func parser_RejectsUnclosedSection_WhenFileEnds() throws {
        let error = try #require(TemplateFixture.parseError("a\n{{#items}}\n{{^empty}}{{/empty}}x"))
        #expect(error == TemplateError(file: "t.html", line: 2, column: 1, reason: .unclosedSection(sigil: "#", name: "items", line: 2, column: 1)))
        #expect(error.description == "t.html:2:1: unclosed section #items opened at 2:1: no {{/items}} before the end of the file")
    }

    /// The innermost unclosed section is the one reported.
    @Test func parser_ReportsInnermostSection_WhenSeveralAreUnclosed() throws {
        let error = try #require(TemplateFixture.parseError("{{#a}} {{^b}}"))
        #expect(error == TemplateError(file: "t.html", line: 1, column: 8, reason: .unclosedSection(sigil: "^", name: "b", line: 1, column: 8)))
    }

    /// A close tag for another section is reported at the close tag, naming the open one.
    @Test func parser_RejectsMismatchedClose_WhenNamesDiffer() throws {
        let error = try #require(TemplateFixture.parseError("{{#a}}\n  {{^b}}x{{/a}}{{/b}}"))
        #expect(error == TemplateError(
            file: "t.html", line: 2, column: 10,
            reason: .mismatchedSectionClose(found: "a", sigil: "^", open: "b", line: 2, column: 3)))
        #expect(error.description == "t.html:2:10: mismatched {{/a}} for section ^b opened at 2:3")
    }

    /// A close tag with nothing open is an error.
    @Test func parser_RejectsClose_WhenNoSectionIsOpen() throws {
        let error = try #require(TemplateFixture.parseError("x{{/a}}"))
        #expect(error == TemplateError(file: "t.html", line: 1, column: 2, reason: .unopenedSectionClose("a")))
        #expect(error.description == "t.html:1:2: {{/a}} closes no open section")
    }

    /// `{{{x}}}` and `{{&x}}` are rejected: there is no unescaped output.
    @Test func parser_RejectsUnescapedForms_WhenTripleMustacheOrAmpersand() throws {
        #expect(TemplateFixture.parseError("a {{{x}}}") == TemplateError(file: "t.html", line: 1, column: 3, reason: .unescapedTag("{{{x}}}")))
        #expect(TemplateFixture.parseError("{{{ x }}}") == TemplateError(file: "t.html", line: 1, column: 1, reason: .unescapedTag("{{{x}}}")))
        #expect(TemplateFixture.parseError("\n{{& x}}") == TemplateError(file: "t.html", line: 2, column: 1, reason: .unescapedTag("{{&x}}")))
        #expect(TemplateFixture.parseError("{{&x}}")?.message == "unescaped output \"{{&x}}\" is not supported: {{name}} always escapes HTML")
    }

    /// Tag kinds of full Mustache (delimiters, blocks, parents) and other punctuation are unknown.
    @Test(arguments: ["=", "$", "<", "%", "*", "@", "?"])
    func parser_RejectsTagKind_WhenSigilIsUnknown(sigil: String) throws {
        let error = try #require(TemplateFixture.parseError("ab{{\(sigil)x}}"))
        #expect(error == TemplateError(file: "t.html", line: 1, column: 3, reason: .unknownTagKind(sigil)))
    }

    /// Names with spaces, bad characters or empty dotted segments are rejected with their text.
    @Test(arguments: [
        ("{{foo bar}}", "foo bar"), ("{{}}", ""), ("{{  }}", ""), ("{{a..b}}", "a..b"), ("{{.a}}", ".a"),
        ("{{a.}}", "a."), ("{{#}}", ""), ("{{/ }}", ""), ("{{> }}", ""), ("{{é}}", "é"), ("{{#a b}}", "a b"),
        ("{{json a b}}", "a b"), ("{{> a/b}}", "a/b"), ("{{a:b}}", "a:b"),
    ])
    func parser_RejectsName_WhenNameIsInvalid(source: String, name: String) throws {
        let error = try #require(TemplateFixture.parseError("x\n " + source))
        #expect(error == TemplateError(file: "t.html", line: 2, column: 2, reason: .badName(name)))
    }

    /// `{{json}}` needs a name.
    @Test func parser_RejectsJSONTag_WhenNameIsMissing() throws {
        #expect(TemplateFixture.parseError("{{json}}") == TemplateError(file: "t.html", line: 1, column: 1, reason: .missingJSONName))
        #expect(TemplateFixture.parseError("{{ json  }}") == TemplateError(file: "t.html", line: 1, column: 1, reason: .missingJSONName))
    }

    /// A name that merely starts with `json` is an ordinary name.
    @Test func parser_ReadsName_WhenNameStartsWithJSON() throws {
        #expect(try TemplateFixture.render("{{jsonData}}|{{json.x}}", ["jsonData": "a", "json": ["x": "b"]]) == "a|b")
    }

    /// Columns count characters, not bytes, and lines end at LF (CRLF files too).
    @Test func parser_CountsCharacters_WhenLineHasMultibyteText() throws {
        #expect(TemplateFixture.parseError("Conexão ✓ {{/x}}")?.column == 11)
        let error = try #require(TemplateFixture.parseError("a\r\nb\r\nçé{{/x}}"))
        #expect((error.line, error.column) == (3, 3))
    }

    /// A comment may hold anything but `}}`, across lines; an unclosed one is an unclosed tag.
    @Test func parser_IgnoresComment_WhenCommentHasTagsInside() throws {
        #expect(try TemplateFixture.render("a{{! {{#x <b>\n multi }}b") == "ab")
        #expect(TemplateFixture.parseError("a{{! never closed") == TemplateError(file: "t.html", line: 1, column: 2, reason: .unclosedTag))
    }

    /// `}}` alone and single braces are literal text.
    @Test func parser_KeepsBraces_WhenNotATag() throws {
        #expect(try TemplateFixture.render("a }} { b } {x}", [:]) == "a }} { b } {x}")
    }

    /// The first error in file order is the one reported.
    @Test func parser_ReportsFirstError_WhenSeveralExist() throws {
        #expect(TemplateFixture.parseError("{{a b}}\n{{{c}}}")?.line == 1)
    }

    /// Every prefix of a realistic template either parses and renders or fails with a located error.
    @Test func parser_FailsCleanly_WhenTemplateIsCutAnywhere() {
        let source = "<ul>\n  {{#items}}\n  <li title=\"{{name}}\">{{json data.x}}</li>{{! c }}\n  {{/items}}\r\n{{^none}}é{{/none}}</ul>"
        let bytes = Array(source.utf8)
        for end in 0...bytes.count {
            let prefix = String(decoding: bytes[..<end], as: UTF8.self)
            do {
                _ = try TemplateSet.parse(templates: ["t": prefix], catalogs: [:]).render("t", context: ["items": [["name": "a"]]])
            } catch {
                #expect(error.line != nil && error.column != nil, "prefix \(end): \(error)")
            }
        }
    }
}
