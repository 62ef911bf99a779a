/// The `{name}` parameters a route bound, in the pattern's order, still percent-encoded.
// why: a route has at most a couple of parameters; a list searched by name costs less per request
// than a dictionary (hashing, a table allocation) and keeps the pattern's order.
public struct RouteParameters: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    private var pairs: [(name: String, value: String)]

    public init() { pairs = [] }

    public init(dictionaryLiteral elements: (String, String)...) {
        pairs = []
        for (name, value) in elements { self[name] = value }
    }

    /// The value bound to `name`, or nil when the pattern has no such parameter.
    public subscript(name: String) -> String? {
        get {
            for pair in pairs where pair.name == name { return pair.value }
            return nil
        }
        set {
            if let index = pairs.firstIndex(where: { $0.name == name }) {
                if let newValue { pairs[index].value = newValue } else { pairs.remove(at: index) }
            } else if let newValue {
                pairs.append((name, newValue))
            }
        }
    }

    public var isEmpty: Bool { pairs.isEmpty }
    public var count: Int { pairs.count }

    /// Equal when they bind the same names to the same values, in any order.
    public static func == (lhs: RouteParameters, rhs: RouteParameters) -> Bool {
        lhs.pairs.count == rhs.pairs.count && lhs.pairs.allSatisfy { rhs[$0.name] == $0.value }
    }
}
