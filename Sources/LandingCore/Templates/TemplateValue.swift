/// A value a template renders: what a handler puts in the context of `TemplateSet.render`.
/// `{{name}}` prints strings (HTML-escaped), ints and bools; `{{#name}}` tests truthiness and
/// iterates lists; `{{json name}}` serializes any of them.
// why: not `indirect`: lists and objects are already references, and an indirect case boxes
// every value (one allocation per string put in a context).
public enum TemplateValue: Sendable, Equatable {
    case string(String)
    case bool(Bool)
    case int(Int)
    case list([TemplateValue])
    case object([String: TemplateValue])
    case null

    /// An object of strings, e.g. a string catalog from `TemplateSet.catalog(for:)`.
    public init(strings: [String: String]) {
        self = .object(strings.mapValues { .string($0) })
    }

    /// Whether `{{#name}}` renders its content: true, a non-empty string or list, a non-zero int,
    /// any object. `false`, `""`, `0`, `[]`, `null` (and a missing name) are falsy.
    public var isTruthy: Bool {
        switch self {
        case .bool(let value): value
        case .string(let value): !value.isEmpty
        case .int(let value): value != 0
        case .list(let values): !values.isEmpty
        case .object: true
        case .null: false
        }
    }
}

extension TemplateValue: ExpressibleByStringInterpolation {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension TemplateValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension TemplateValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self = .int(value) }
}

extension TemplateValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: TemplateValue...) { self = .list(elements) }
}

extension TemplateValue: ExpressibleByDictionaryLiteral {
    /// A repeated key keeps its last value (a literal cannot be rejected at run time).
    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension TemplateValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}
