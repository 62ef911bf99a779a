/// An ordered list of header fields. Names compare case-insensitively (RFC 9110 §5.1); the
/// original spelling and order are kept.
public struct HTTPHeaders: Sendable, Equatable, Sequence {
    public private(set) var fields: [(name: String, value: String)]

    public init() { fields = [] }

    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    public var count: Int { fields.count }

    public mutating func add(name: String, value: String) {
        fields.append((name: name, value: value))
    }

    /// Replaces every field called `name` with one field holding `value`.
    public mutating func replaceOrAdd(name: String, value: String) {
        remove(name: name)
        add(name: name, value: value)
    }

    public mutating func remove(name: String) {
        fields.removeAll { Self.equalsIgnoringASCIICase($0.name, name) }
    }

    /// The first value of the field called `name`, if any.
    public subscript(name: String) -> String? {
        for field in fields where Self.equalsIgnoringASCIICase(field.name, name) {
            return field.value
        }
        return nil
    }

    /// Every value of the field called `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.lazy.filter { Self.equalsIgnoringASCIICase($0.name, name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    /// ASCII case-insensitive comparison without allocating.
    public static func equalsIgnoringASCIICase(_ a: String, _ b: String) -> Bool {
        var a = a
        var b = b
        return a.withUTF8 { ua in
            b.withUTF8 { ub in
                guard ua.count == ub.count else { return false }
                for i in 0..<ua.count {
                    let x = ua[i], y = ub[i]
                    if x == y { continue }
                    let lx = (x >= 0x41 && x <= 0x5A) ? x | 0x20 : x
                    let ly = (y >= 0x41 && y <= 0x5A) ? y | 0x20 : y
                    if lx != ly { return false }
                }
                return true
            }
        }
    }
}
