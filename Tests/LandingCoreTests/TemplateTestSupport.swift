@testable import LandingCore

/// Small helpers shared by the template tests.
enum TemplateFixture {
    /// Parses `source` as the only template `t` and renders it with `context`.
    static func render(_ source: String, _ context: TemplateValue = [:]) throws -> String {
        try TemplateSet.parse(templates: ["t": source], catalogs: [:]).render("t", context: context)
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
