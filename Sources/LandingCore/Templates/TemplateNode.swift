/// One parsed piece of a template. Templates are parsed once into nodes (text already cut out of
/// the source, names already split) and rendered many times.
enum TemplateNode: Sendable, Equatable {
    /// Literal bytes, copied as they are.
    case text([UInt8])
    /// `{{name}}`: the value, HTML-escaped.
    case variable(TemplatePath)
    /// `{{json name}}`: the value as script-safe JSON.
    case json(TemplatePath)
    /// `{{#name}}…{{/name}}` (or `{{^name}}` when `inverted`).
    case section(TemplatePath, [TemplateNode], inverted: Bool)
    /// `{{> name}}`; replaced by the partial's nodes when the set is linked. `at` is where the
    /// tag's `{{` is, for errors found then.
    case partial(String, at: TemplateLocation)
}

/// A name as written in a tag (`a.b.c`), split once at parse time.
struct TemplatePath: Sendable, Equatable {
    /// The name as written, for `referencedNames` and messages.
    let name: String
    /// The dotted segments; empty for `.`, the current context.
    let segments: [String]
    /// `keys[i][j - i - 1]` is `segments[i..<j]` joined with dots, precomputed so a lookup can
    /// match a key that itself contains dots (`t.title.completed` → key `title.completed` of `t`)
    /// without building strings per request.
    let keys: [[String]]

    init(_ name: String) {
        self.name = name
        self.segments = name == "." ? [] : name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var keys: [[String]] = []
        for start in segments.indices {
            var row: [String] = []
            var joined = ""
            for end in start..<segments.count {
                joined += end == start ? segments[end] : "." + segments[end]
                row.append(joined)
            }
            keys.append(row)
        }
        self.keys = keys
    }

    /// `[A-Za-z0-9_.-]+`, either `.` alone or with no empty dotted segment.
    static func isValid(_ name: Substring) -> Bool {
        guard !name.isEmpty, name.utf8.allSatisfy(isNameByte) else { return false }
        if name == "." { return true }
        return !name.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty)
    }

    /// `[A-Za-z0-9_.-]`.
    static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
            true
        default: false
        }
    }
}
