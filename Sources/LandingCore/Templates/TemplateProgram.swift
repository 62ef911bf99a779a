/// A linked template flattened for rendering: all literal text in one byte array, every name in
/// one array, and a flat list of plain-value instructions. Walking it retains nothing per
/// instruction, which matters on a page rendered for every request.
struct TemplateProgram: Sendable {
    /// One rendering step. Indices are into `text`, `paths` and `ops`.
    enum Op: Sendable, Equatable {
        /// Copy `text[start..<end]`.
        case text(start: Int, end: Int)
        /// `{{name}}` with `paths[path]`.
        case variable(path: Int)
        /// `{{json name}}` with `paths[path]`.
        case json(path: Int)
        /// A section over `paths[path]` whose content is `ops[index + 1..<end]`.
        case section(path: Int, end: Int, inverted: Bool)
    }

    private(set) var text: [UInt8] = []
    private(set) var paths: [TemplatePath] = []
    private(set) var ops: [Op] = []

    /// Flattens linked nodes (no partials left).
    init(_ nodes: [TemplateNode]) {
        append(nodes)
    }

    private mutating func append(_ nodes: [TemplateNode]) {
        for node in nodes {
            switch node {
            case .text(let bytes):
                ops.append(.text(start: text.count, end: text.count + bytes.count))
                text.append(contentsOf: bytes)
            case .variable(let path):
                ops.append(.variable(path: add(path)))
            case .json(let path):
                ops.append(.json(path: add(path)))
            case .section(let path, let children, let inverted):
                let index = ops.count
                let pathIndex = add(path)
                ops.append(.section(path: pathIndex, end: 0, inverted: inverted))
                append(children)
                ops[index] = .section(path: pathIndex, end: ops.count, inverted: inverted)
            case .partial:
                preconditionFailure("TemplateProgram needs linked nodes")
            }
        }
    }

    private mutating func add(_ path: TemplatePath) -> Int {
        paths.append(path)
        return paths.count - 1
    }
}
