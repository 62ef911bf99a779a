import Testing
@testable import LandingCore

/// Small helpers shared by the template tests.
enum TemplateFixture {
    /// Parses `source` as the only template `t` and renders it with `context`.
    /// When `context` is an object, also renders it by slot of a layout of its keys and expects the
    /// same bytes, so every template test checks the layout path against the dictionary path.
    static func render(_ source: String, _ context: TemplateValue = [:]) throws -> String {
        let set = try TemplateSet.parse(templates: ["t": source], catalogs: [:])
        let rendered = try set.render("t", context: context)
        if case .object(let members) = context {
            let layout = TemplateLayout(members.keys.sorted().reversed())
            let values = layout.names.map { members[$0]! }
            #expect(try set.renderBytes("t", values: values, layout: layout) == Array(rendered.utf8), "layout render of \(source)")
        }
        return rendered
    }

    /// The error `TemplateSet.parse` throws for these files, or nil when they load.
    static func loadError(_ templates: [String: String], catalogs: [String: String] = [:]) -> TemplateError? {
        do {
            _ = try TemplateSet.parse(templates: templates, catalogs: catalogs)
            return nil
        } catch {
            return error
        }
    }

    /// The error for `source` as the only template `t`.
    static func parseError(_ source: String) -> TemplateError? {
        loadError(["t": source])
    }
}
