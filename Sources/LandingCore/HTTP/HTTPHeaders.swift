/// An ordered list of header fields. Names compare case-insensitively (RFC 9110 §5.1); the
/// original spelling and order are kept.
///
/// Headers that are the same on every response (a page's security headers) can carry their
/// wire form: `serialized()` keeps the fields and their bytes, the serializer copies the bytes,
/// and fields added later are serialized one by one. Removing one of those fields drops the bytes.
public struct HTTPHeaders: Sendable, Equatable, Sequence {
    public private(set) var fields: [(name: String, value: String)]
    /// `fields[..<serializedCount]` on the wire, each as `\r\nName: value`; empty when unknown.
    private(set) var serializedFields: [UInt8] = []
    private(set) var serializedCount = 0

    public init() { fields = [] }

    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    /// These headers with their wire form computed, for headers made once and sent many times.
    public func serialized() -> HTTPHeaders {
        var copy = self
        var bytes: [UInt8] = []
        for field in fields {
            bytes.append(contentsOf: "\r\n".utf8)
            bytes.append(contentsOf: field.name.utf8)
            bytes.append(contentsOf: ": ".utf8)
            bytes.append(contentsOf: field.value.utf8)
        }
        copy.serializedFields = bytes
        copy.serializedCount = fields.count
        return copy
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    public var count: Int { fields.count }

    /// Makes room for `capacity` fields, so adding that many allocates once.
    public mutating func reserveCapacity(_ capacity: Int) {
        fields.reserveCapacity(capacity)
    }

    public mutating func add(name: String, value: String) {
        fields.append((name: name, value: value))
    }

    /// Replaces every field called `name` with one field holding `value`.
    public mutating func replaceOrAdd(name: String, value: String) {
        remove(name: name)
        add(name: name, value: value)
    }

    public mutating func remove(name: String) {
        // why: most removals find nothing (`replaceOrAdd` of a new field); not writing then keeps
        // shared storage shared.
        guard let first = fields.firstIndex(where: { Self.equalsIgnoringASCIICase($0.name, name) }) else { return }
        if first < serializedCount {
            serializedFields = []
            serializedCount = 0
        }
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
        // why: most names compared differ in length, which native strings know without a walk;
        // answering that first skips the copies `withUTF8` needs (a retain and release each).
        guard a.utf8.count == b.utf8.count else { return false }
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
