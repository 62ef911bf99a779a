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
