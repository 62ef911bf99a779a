/// The root names a caller always supplies, in a fixed order, so that a root context can be an
/// array of values (`Template.renderBytes(_:layout:)`) instead of a dictionary built and hashed on
/// every request. Each template resolves its names against a layout once (`bindings(for:)`);
/// rendering then finds a root name by index.
///
/// Rendering with a layout is rendering with the object whose keys are `names` and whose values
/// are the array's, byte for byte: a name the layout lacks is missing (renders as nothing), as a
/// key missing from that object would be.
public final class TemplateLayout: Sendable {
    /// Where a template name's first segments are found in the root: `slot` is an index into the
    /// values, `end` how many segments the slot's name covers (a layout name may contain dots, as
    /// an object key may). `slot` is -1 when no layout name matches. `whole`: the slot's name is
    /// the whole path (nothing to descend).
    struct Binding: Sendable, Equatable {
        let slot: Int32
        let end: Int32
        let whole: Bool
        static let none = Binding(slot: -1, end: 0, whole: false)
    }

    /// The root names, in the order their values are given.
    public let names: [String]
    private let slots: [String: Int]

    /// - Precondition: the names are distinct.
    public init(_ names: [String]) {
        self.names = names
        self.slots = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element, $0.offset) })
    }

    /// The slot of `name`, or nil.
    public func slot(of name: String) -> Int? {
        slots[name]
    }

    /// The root object these values stand for (for `{{.}}` at the top level, and tests).
    func object(_ values: [TemplateValue]) -> TemplateValue {
        .object(Dictionary(uniqueKeysWithValues: zip(names, values)))
    }

    /// For each of `paths`, the binding a lookup in the root would find: as in
    /// `TemplateRenderer.lookup`, the longest run of leading segments that is a name wins.
    func bind(_ paths: [TemplatePath]) -> [Binding] {
        paths.map { path in
            var end = path.segments.count
            while end > 0 {
                if let slot = slots[path.keys[0][end - 1]] {
                    return Binding(slot: Int32(slot), end: Int32(end), whole: end == path.segments.count)
                }
                end -= 1
            }
            return .none
        }
    }
}
