import Testing
@testable import LandingCore

@Suite struct TemplatePartialTests {
    /// A partial's output appears where it is included, with the same context.
    @Test func partial_RendersInline_WhenIncluded() throws {
        let set = try TemplateSet.parse(templates: ["page": "<main>{{> header}}</main>", "header": "<h1>{{title}}</h1>"], catalogs: [:])
        #expect(try set.render("page", context: ["title": "<T>"]) == "<main><h1>&lt;T&gt;</h1></main>")
        #expect(try set.render("header", context: ["title": "x"]) == "<h1>x</h1>")
    }

    /// Inside a section, a partial sees the section's context (and outward).
    @Test func partial_UsesSectionContext_WhenIncludedInSection() throws {
        let set = try TemplateSet.parse(
            templates: ["list": "{{#items}}{{> item}}{{/items}}", "item": "<li>{{name}}@{{site}}</li>"], catalogs: [:])
        #expect(try set.render("list", context: ["site": "s", "items": [["name": "a"], ["name": "b"]]]) == "<li>a@s</li><li>b@s</li>")
    }

    /// A partial tag alone on its line drops its indentation and line break.
    @Test func partial_DropsLine_WhenTagIsStandalone() throws {
        let set = try TemplateSet.parse(templates: ["page": "a\n  {{> p}}\nb\n", "p": "x\n"], catalogs: [:])
        #expect(try set.render("page", context: [:]) == "a\nx\nb\n")
    }

    /// Partials of partials are included, and the same partial may appear twice (not recursion).
    @Test func partial_Nests_WhenPartialIncludesPartial() throws {
        let set = try TemplateSet.parse(templates: ["a": "[{{> b}}{{> c}}]", "b": "b{{> d}}", "c": "c{{> d}}", "d": "d"], catalogs: [:])
        #expect(try set.render("a", context: [:]) == "[bdcd]")
        #expect(set.template(named: "a")?.partialNames == ["b", "c", "d"])
    }

    /// An unknown partial is an error at load, located at its tag.
    @Test func partial_FailsLoad_WhenPartialIsUnknown() throws {
        let error = try #require(TemplateFixture.loadError(["page": "x\n {{> nope}}"]))
        #expect(error == TemplateError(file: "page.html", line: 2, column: 2, reason: .unknownPartial("nope")))
        #expect(error.description == "page.html:2:2: unknown partial \"nope\": no template nope.html")
    }

    /// A template including itself is an error at load.
    @Test func partial_FailsLoad_WhenTemplateIncludesItself() throws {
        let error = try #require(TemplateFixture.loadError(["a": "x{{> a}}"]))
        #expect(error == TemplateError(file: "a.html", line: 1, column: 2, reason: .partialRecursion(["a", "a"])))
        #expect(error.description == "a.html:1:2: partial recursion: a -> a")
    }

    /// Indirect recursion is found too, even inside a section that might never render.
    @Test func partial_FailsLoad_WhenPartialsIncludeEachOther() throws {
        let error = try #require(TemplateFixture.loadError(["a": "A{{> b}}", "b": "B\n{{#x}}{{> a}}{{/x}}", "c": "ok"]))
        #expect(error == TemplateError(file: "b.html", line: 2, column: 7, reason: .partialRecursion(["a", "b", "a"])))
    }

    /// A recursion reached through a non-recursive template names only the cycle.
    @Test func partial_NamesCycle_WhenReachedThroughOtherTemplate() throws {
        let error = try #require(TemplateFixture.loadError(["a": "{{> b}}", "b": "{{> c}}", "c": "{{> b}}"]))
        #expect(error == TemplateError(file: "c.html", line: 1, column: 1, reason: .partialRecursion(["b", "c", "b"])))
    }

    /// Rendering a template the set does not have is an error naming it.
    @Test func templateSet_FailsRender_WhenTemplateIsUnknown() throws {
        let set = try TemplateSet.parse(templates: ["a": "x"], catalogs: [:])
        #expect(throws: TemplateError(file: "nope.html", reason: .unknownTemplate("nope"))) {
            try set.render("nope", context: [:])
        }
        #expect(TemplateError(file: "nope.html", reason: .unknownTemplate("nope")).description == "nope.html: unknown template \"nope\"")
    }

    /// A template file name that templates could not name is rejected.
    @Test func templateSet_FailsLoad_WhenTemplateNameIsInvalid() throws {
        #expect(TemplateFixture.loadError(["a b": "x"]) == TemplateError(file: "a b.html", reason: .badTemplateName("a b")))
    }

    /// Errors of a file come with that file's name, whichever template is broken.
    @Test func templateSet_NamesFile_WhenSecondTemplateIsBroken() throws {
        let error = try #require(TemplateFixture.loadError(["good": "ok", "bad": "\n\n   {{#x}}"]))
        #expect(error.description == "bad.html:3:4: unclosed section #x opened at 3:4: no {{/x}} before the end of the file")
    }
}
