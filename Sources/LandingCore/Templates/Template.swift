/// One parsed, linked template of a `TemplateSet` (`landing.html` → `landing`): its partials are
/// already inlined and its nodes flattened into a `TemplateProgram`, so rendering is one loop
/// appending to one byte buffer.
public struct Template: Sendable {
    /// The file name without `.html`.
    public let name: String
    /// Every name the template (partials included) looks up, as written: `title`, `data.status`,
    /// `items` — names inside sections too, which may resolve in the section's context. `.` is
    /// left out. For tests that check a context supplies everything a template uses.
    public let referencedNames: Set<String>
    /// Every template included with `{{> name}}`, directly or through another partial.
    public let partialNames: Set<String>

    /// The flattened instructions rendering walks.
    let program: TemplateProgram
    /// The program's paths bound to each layout it was rendered with.
    private let bindings = TemplateBindingCache()

    init(name: String, nodes: [TemplateNode], partialNames: Set<String>) {
        self.name = name
        self.partialNames = partialNames
        self.program = TemplateProgram(nodes)
        var names: Set<String> = []
        Self.collect(nodes, names: &names)
        self.referencedNames = names
    }

    /// Renders the template with `context` as the root (usually an object).
    public func render(_ context: TemplateValue) -> String {
        String(decoding: renderBytes(context), as: UTF8.self)
    }

    /// Renders the template as UTF-8 bytes, ready for an HTTP body.
    public func renderBytes(_ context: TemplateValue) -> [UInt8] {
        // why: values usually add less than the literal text; one reservation avoids regrowing.
        var renderer = TemplateRenderer(context: context, capacity: program.text.count + program.text.count / 2 + 256)
        renderer.render(program)
        return renderer.output
    }

    /// Renders the template with the object whose keys are `layout.names` and whose values are
    /// `values` (same order) as the root: the same bytes as `renderBytes(_:)` with that object,
    /// without building or hashing a dictionary. Names are bound to slots on the first render.
    /// - Precondition: `values.count == layout.names.count`.
    public func renderBytes(_ values: [TemplateValue], layout: TemplateLayout) -> [UInt8] {
        precondition(values.count == layout.names.count, "one value per layout name")
        var renderer = TemplateRenderer(
            values: values, layout: layout, bindings: bindings.bindings(for: layout, paths: program.paths),
            capacity: program.text.count + program.text.count / 2 + 256)
        renderer.render(program)
        return renderer.output
    }

    private static func collect(_ nodes: [TemplateNode], names: inout Set<String>) {
        for node in nodes {
            switch node {
            case .text, .partial: break
            case .variable(let path), .json(let path):
                if !path.segments.isEmpty { names.insert(path.name) }
            case .section(let path, let children, _):
                if !path.segments.isEmpty { names.insert(path.name) }
                collect(children, names: &names)
            }
        }
    }
}
