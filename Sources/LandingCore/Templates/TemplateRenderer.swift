/// Renders a `TemplateProgram` against a context into one byte buffer. A value; one per render.
///
/// Lookup follows Mustache: the first segment of a name is looked up in the innermost section's
/// context, then outward to the root; the remaining segments descend from what it found (and do
/// not look outward again). A segment may match a key that itself contains dots: at each step the
/// longest run of segments that is a key wins (`{{t.title.completed}}` finds `t["title.completed"]`).
/// A name that resolves to nothing renders as nothing (`{{json}}`: `null`).
struct TemplateRenderer {
    /// A context on the stack, with its members extracted once (most lookups hit objects).
    private struct Frame {
        let value: TemplateValue
        let members: [String: TemplateValue]?

        init(_ value: TemplateValue) {
            self.value = value
            if case .object(let members) = value { self.members = members } else { self.members = nil }
        }
    }

    /// Where the root context's names are found.
    private enum Root {
        /// A value, usually an object (`Template.renderBytes(_:)`).
        case value(Frame)
        /// Values by slot of a layout, with the program's paths bound to it
        /// (`Template.renderBytes(_:layout:)`).
        case slots([TemplateValue], TemplateLayout, [TemplateLayout.Binding])
    }

    private(set) var output: [UInt8]
    private let root: Root
    /// The section contexts above the root, outermost first.
    private var stack: [Frame] = []
    /// How many frames of `stack` are objects (the only frames a name can be found in).
    private var objectFrames = 0
    /// With a layout: the root values and the program's bindings (copies of `root`'s, for the
    /// fast path of `lookup(_:at:)`); empty otherwise.
    private let slotValues: [TemplateValue]
    private let bindings: [TemplateLayout.Binding]

    init(context: TemplateValue, capacity: Int) {
        output = []
        output.reserveCapacity(capacity)
        root = .value(Frame(context))
        slotValues = []
        bindings = []
    }

    /// A renderer whose root is `values`, by slot of `layout`; `bindings` are the program's paths
    /// bound to `layout`.
    init(values: [TemplateValue], layout: TemplateLayout, bindings: [TemplateLayout.Binding], capacity: Int) {
        output = []
        output.reserveCapacity(capacity)
        root = .slots(values, layout, bindings)
        slotValues = values
        self.bindings = bindings
    }

    /// Renders the whole program.
    mutating func render(_ program: TemplateProgram) {
        program.ops.withUnsafeBufferPointer { ops in
            program.text.withUnsafeBufferPointer { text in
                program.paths.withUnsafeBufferPointer { paths in
                    run(0..<ops.count, ops: ops, text: text, paths: paths)
                }
            }
        }
    }

    private mutating func run(
        _ range: Range<Int>, ops: UnsafeBufferPointer<TemplateProgram.Op>, text: UnsafeBufferPointer<UInt8>,
        paths: UnsafeBufferPointer<TemplatePath>
    ) {
        var index = range.lowerBound
        while index < range.upperBound {
            switch ops[index] {
            case .text(let start, let end):
                output.append(contentsOf: UnsafeBufferPointer(rebasing: text[start..<end]))
                index += 1
            case .variable(let path):
                switch lookup(paths, at: path) {
                case .string(let value)?: TemplateEscaping.appendHTML(value, to: &output)
                case .int(let value)?: TemplateEscaping.appendDecimal(value, to: &output)
                case .bool(let value)?: output.append(contentsOf: value ? Self.trueBytes : Self.falseBytes)
                // why: a list or object has no obvious text; printing Swift's description would
                // leak structure into the page. Missing and null print nothing, as in Mustache.
                case .list?, .object?, .null?, nil: break
                }
                index += 1
            case .json(let path):
                (lookup(paths, at: path) ?? .null).appendJSON(to: &output)
                index += 1
            case .section(let path, let end, let inverted):
                let content = index + 1..<end
                let value = lookup(paths, at: path) ?? .null
                if inverted {
                    if !value.isTruthy { run(content, ops: ops, text: text, paths: paths) }
                } else if value.isTruthy {
                    switch value {
                    case .list(let elements):
                        for element in elements {
                            push(element)
                            run(content, ops: ops, text: text, paths: paths)
                            pop()
                        }
                    case .bool:
                        run(content, ops: ops, text: text, paths: paths)
                    default:
                        push(value)
                        run(content, ops: ops, text: text, paths: paths)
                        pop()
                    }
                }
                index = end
            }
        }
    }

    private mutating func push(_ value: TemplateValue) {
        let frame = Frame(value)
        if frame.members != nil { objectFrames += 1 }
        stack.append(frame)
    }

    private mutating func pop() {
        if stack.removeLast().members != nil { objectFrames -= 1 }
    }

    /// The value the program's path number `index` names in the current context, or nil.
    @inline(__always)
    func lookup(_ paths: UnsafeBufferPointer<TemplatePath>, at index: Int) -> TemplateValue? {
        // why: the common case, a whole name given by slot with no object section around it (only
        // objects can hold names), is an index; the general lookup copies the path (retains).
        if objectFrames == 0, index < bindings.count {
            let binding = bindings[index]
            if binding.whole { return slotValues[Int(binding.slot)] }
        }
        return lookup(paths[index], at: index)
    }

    /// The value `path` (the program's path number `index`) names in the current context, or nil.
    func lookup(_ path: TemplatePath, at index: Int) -> TemplateValue? {
        let count = path.segments.count
        guard count > 0 else {
            if let top = stack.last { return top.value }
            switch root {
            case .value(let frame): return frame.value
            case .slots(let values, let layout, _): return layout.object(values)
            }
        }
        let firstKeys = path.keys[0]
        var level = stack.count - 1
        while level >= 0 {
            // why: a key found whose remaining segments lead nowhere ends the search (`.some(nil)`).
            if let result = Self.find(path, firstKeys: firstKeys, in: stack[level].members) { return result }
            level -= 1
        }
        switch root {
        case .value(let frame):
            return Self.find(path, firstKeys: firstKeys, in: frame.members) ?? nil
        case .slots(let values, _, let bindings):
            // why: the same search as `find`, done once per layout when the bindings were made.
            let binding = bindings[index]
            guard binding.slot >= 0 else { return nil }
            let found = values[Int(binding.slot)]
            return Int(binding.end) == count ? found : Self.descend(found, path, from: Int(binding.end))
        }
    }

    /// What `path` names when its first segments are looked up in `members` (longest key first):
    /// nil when no run of them is a key there, else the lookup's result (itself nil when the
    /// remaining segments lead nowhere).
    @inline(__always)
    private static func find(_ path: TemplatePath, firstKeys: [String], in members: [String: TemplateValue]?) -> TemplateValue?? {
        guard let members else { return nil }
        let count = path.segments.count
        var end = count
        while end > 0 {
            if let found = members[firstKeys[end - 1]] {
                return .some(end == count ? found : descend(found, path, from: end))
            }
            end -= 1
        }
        return nil
    }

    /// Resolves `path.segments[start...]` inside `value`.
    private static func descend(_ value: TemplateValue, _ path: TemplatePath, from start: Int) -> TemplateValue? {
        var current = value
        var position = start
        let count = path.segments.count
        while position < count {
            guard case .object(let members) = current else { return nil }
            var next: TemplateValue?
            var end = count
            while end > position {
                if let found = members[path.keys[position][end - position - 1]] {
                    next = found
                    break
                }
                end -= 1
            }
            guard let next else { return nil }
            current = next
            position = end
        }
        return current
    }

    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
}
