/// Replaces every `{{> name}}` of a set's templates by the named template's nodes, once at load
/// time, so rendering never looks a partial up. Unknown partials and recursion are errors located
/// at the `{{>` tag.
struct TemplateLinker {
    /// Parsed templates by name.
    private let parsed: [String: [TemplateNode]]
    /// Linked nodes and included partials of the templates done so far.
    private var done: [String: (nodes: [TemplateNode], partials: Set<String>)] = [:]

    init(parsed: [String: [TemplateNode]]) {
        self.parsed = parsed
    }

    /// Links every template, in name order (so the same broken set always reports the same error).
    static func link(_ parsed: [String: [TemplateNode]]) throws(TemplateError) -> [String: Template] {
        var linker = TemplateLinker(parsed: parsed)
        var templates: [String: Template] = [:]
        for name in parsed.keys.sorted() {
            let result = try linker.link(name, chain: [name])
            templates[name] = Template(name: name, nodes: result.nodes, partialNames: result.partials)
        }
        return templates
    }

    /// `chain` is the list of templates being included, outermost first, ending with `name`.
    private mutating func link(_ name: String, chain: [String]) throws(TemplateError) -> (
        nodes: [TemplateNode], partials: Set<String>
    ) {
        if let result = done[name] { return result }
        var partials: Set<String> = []
        let nodes = try linkNodes(parsed[name] ?? [], in: name, chain: chain, partials: &partials)
        done[name] = (nodes, partials)
        return (nodes, partials)
    }

    private mutating func linkNodes(
        _ nodes: [TemplateNode], in name: String, chain: [String], partials: inout Set<String>
    ) throws(TemplateError) -> [TemplateNode] {
        var result: [TemplateNode] = []
        for node in nodes {
            switch node {
            case .partial(let partial, let location):
                if let start = chain.firstIndex(of: partial) {
                    throw error(.partialRecursion(Array(chain[start...]) + [partial]), in: name, at: location)
                }
                guard parsed[partial] != nil else { throw error(.unknownPartial(partial), in: name, at: location) }
                let included = try link(partial, chain: chain + [partial])
                partials.insert(partial)
                partials.formUnion(included.partials)
                for child in included.nodes { Self.append(child, to: &result) }
            case .section(let path, let children, let inverted):
                let linked = try linkNodes(children, in: name, chain: chain, partials: &partials)
                result.append(.section(path, linked, inverted: inverted))
            case .text, .variable, .json:
                Self.append(node, to: &result)
            }
        }
        return result
    }

    /// Appends `node`, merging text with text before it (a partial's text joins its neighbours).
    private static func append(_ node: TemplateNode, to nodes: inout [TemplateNode]) {
        if case .text(let bytes) = node, case .text(var previous) = nodes.last {
            nodes.removeLast()
            previous.append(contentsOf: bytes)
            nodes.append(.text(previous))
        } else {
            nodes.append(node)
        }
    }

    private func error(_ reason: TemplateError.Reason, in name: String, at location: TemplateLocation) -> TemplateError {
        TemplateError(file: TemplateSet.fileName(ofTemplate: name), line: location.line, column: location.column, reason: reason)
    }
}
