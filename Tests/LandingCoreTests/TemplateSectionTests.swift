import Testing
@testable import LandingCore

@Suite struct TemplateSectionTests {
    /// A section renders for true and not for false; the inverted section does the opposite.
    @Test func section_FollowsBool_WhenValueIsBool() throws {
        let source = "{{#b}}yes{{/b}}{{^b}}no{{/b}}"
        #expect(try TemplateFixture.render(source, ["b": true]) == "yes")
        #expect(try TemplateFixture.render(source, ["b": false]) == "no")
    }

    /// Missing, null, "", 0 and [] are falsy; a non-empty string, a non-zero int and any object are truthy.
    @Test func section_UsesTruthiness_WhenValueIsNotBool() throws {
        let source = "{{#v}}T{{/v}}{{^v}}F{{/v}}"
        let falsy: [TemplateValue] = [nil, "", 0, []]
        let truthy: [TemplateValue] = ["x", 3, -1, [:], ["a": 1], [false]]
        for value in falsy { #expect(try TemplateFixture.render(source, ["v": value]) == "F") }
        for value in truthy { #expect(try TemplateFixture.render(source, ["v": value]) == "T") }
        #expect(try TemplateFixture.render(source, [:]) == "F")
    }

    /// A list renders its content once per element, with the element as context.
    @Test func section_Iterates_WhenValueIsList() throws {
        let context: TemplateValue = ["items": [["name": "a"], ["name": "<b>"], ["name": "c"]]]
        #expect(try TemplateFixture.render("<ul>{{#items}}<li>{{name}}</li>{{/items}}</ul>", context)
            == "<ul><li>a</li><li>&lt;b&gt;</li><li>c</li></ul>")
    }

    /// `{{.}}` is the current element of a list of strings.
    @Test func section_RendersElement_WhenNameIsDot() throws {
        #expect(try TemplateFixture.render("{{#l}}[{{.}}]{{/l}}", ["l": ["x", "<", 1]]) == "[x][&lt;][1]")
    }

    /// An object section renders once, with the object as context.
    @Test func section_PushesContext_WhenValueIsObject() throws {
        let context: TemplateValue = ["user": ["name": "Ana", "role": "admin"]]
        #expect(try TemplateFixture.render("{{#user}}{{name}} ({{role}}){{/user}}", context) == "Ana (admin)")
    }

    /// An inverted section renders for an empty list, not for a non-empty one.
    @Test func invertedSection_Renders_WhenListIsEmpty() throws {
        let source = "{{^l}}none{{/l}}"
        #expect(try TemplateFixture.render(source, ["l": []]) == "none")
        #expect(try TemplateFixture.render(source, ["l": [1]]) == "")
    }

    /// Nested sections iterate inside each other.
    @Test func section_Nests_WhenSectionsAreNested() throws {
        let context: TemplateValue = ["rows": [["cells": [1, 2]], ["cells": [3]]]]
        #expect(try TemplateFixture.render("{{#rows}}<tr>{{#cells}}<td>{{.}}</td>{{/cells}}</tr>{{/rows}}", context)
            == "<tr><td>1</td><td>2</td></tr><tr><td>3</td></tr>")
    }

    /// Dotted names descend through objects; a broken path renders nothing.
    @Test func lookup_Descends_WhenNameIsDotted() throws {
        let context: TemplateValue = ["a": ["b": ["c": "deep"]], "s": "str"]
        #expect(try TemplateFixture.render("{{a.b.c}}|{{a.x.c}}|{{s.length}}|{{#a.b}}{{c}}{{/a.b}}", context) == "deep|||deep")
    }

    /// Inside a section a name is looked up in the section's context first, then outward.
    @Test func lookup_SearchesOutward_WhenNameIsNotInSectionContext() throws {
        let context: TemplateValue = ["title": "outer", "name": "root", "items": [["name": "inner"]]]
        #expect(try TemplateFixture.render("{{#items}}{{name}}/{{title}}{{/items}}", context) == "inner/outer")
    }

    /// The inner context shadows the outer one, and the outer is back after the section.
    @Test func lookup_Shadows_WhenInnerContextHasSameName() throws {
        let context: TemplateValue = ["name": "root", "child": ["name": "child"]]
        #expect(try TemplateFixture.render("{{name}}{{#child}}{{name}}{{/child}}{{name}}", context) == "rootchildroot")
    }

    /// Only the first segment of a dotted name searches outward; the rest must resolve from there.
    @Test func lookup_DoesNotSearchOutward_WhenLaterSegmentIsMissing() throws {
        let context: TemplateValue = ["a": ["b": "outer"], "inner": ["a": ["x": 1]]]
        #expect(try TemplateFixture.render("{{#inner}}[{{a.b}}]{{/inner}}", context) == "[]")
    }

    /// A catalog key containing dots is found by the dotted name that spells it.
    @Test func lookup_MatchesDottedKey_WhenKeyContainsDots() throws {
        let context: TemplateValue = ["t": ["title.completed": "Done", "title": ["failed": "Failed"]]]
        #expect(try TemplateFixture.render("{{t.title.completed}}|{{t.title.failed}}", context) == "Done|Failed")
    }

    /// A true section keeps the current context (so `{{.}}` is still the enclosing value).
    @Test func section_KeepsContext_WhenValueIsTrue() throws {
        #expect(try TemplateFixture.render("{{#l}}{{#ok}}{{.}}{{/ok}}{{/l}}", ["ok": true, "l": ["a", "b"]]) == "ab")
    }

    /// A line holding only a section, close or comment tag leaves no blank line behind.
    @Test func parser_DropsStandaloneLines_WhenTagIsAloneOnLine() throws {
        let source = "<ul>\n  {{#l}}\n  <li>{{.}}</li>\n  {{/l}}\n  {{! note }}\r\n</ul>\n"
        #expect(try TemplateFixture.render(source, ["l": ["a", "b"]]) == "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n")
    }

    /// Tags sharing a line with text or a variable keep the line as written.
    @Test func parser_KeepsLine_WhenTagIsNotAlone() throws {
        #expect(try TemplateFixture.render("a {{#b}}x{{/b}} c\n", ["b": true]) == "a x c\n")
        #expect(try TemplateFixture.render("{{#b}}{{v}}{{/b}}\n", ["b": true, "v": "1"]) == "1\n")
    }

    /// `referencedNames` lists every name looked up, in sections and partials too, without `.`.
    @Test func template_ListsReferencedNames_WhenParsed() throws {
        let set = try TemplateSet.parse(
            templates: ["page": "{{title}}{{#items}}{{.}}{{name}}{{/items}}{{^none}}{{json data.x}}{{/none}}{{> foot}}", "foot": "{{year}}"],
            catalogs: [:])
        let page = try #require(set.template(named: "page"))
        #expect(page.referencedNames == ["title", "items", "name", "none", "data.x", "year"])
        #expect(page.partialNames == ["foot"])
        #expect(set.templateNames == ["foot", "page"])
    }

    /// A root context that is not an object still renders (names are missing, `.` is the value).
    @Test func render_Works_WhenContextIsNotObject() throws {
        #expect(try TemplateFixture.render("{{x}}{{.}}", "v") == "v")
    }
}
