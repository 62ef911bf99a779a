/// Why a template set could not be loaded or a template not rendered: the file, the 1-based line
/// and column (of the offending tag's `{{`, or of the JSON error in a catalog) when there is one,
/// and the reason. Prints as `file:line:column: message` (or `file: message`), the form editors
/// and CI logs link to.
public struct TemplateError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong; each case's `description` is the message.
    public enum Reason: Equatable, Sendable, CustomStringConvertible {
        /// `{{` with no `}}` after it.
        case unclosedTag
        /// `{{#name}}`/`{{^name}}` (opened at `line`:`column`) is never closed.
        case unclosedSection(sigil: String, name: String, line: Int, column: Int)
        /// `{{/found}}` while the innermost open section is `sigil``open` from `line`:`column`.
        case mismatchedSectionClose(found: String, sigil: String, open: String, line: Int, column: Int)
        /// `{{/name}}` with no section open.
        case unopenedSectionClose(String)
        /// A tag starting with a character that is no tag kind we know (`=`, `$`, `<`, `%`, …).
        case unknownTagKind(String)
        /// `{{{name}}}` or `{{& name}}`: unescaped output does not exist here.
        case unescapedTag(String)
        /// A name that is empty, has characters outside `[A-Za-z0-9_.-]`, or an empty dotted segment.
        case badName(String)
        /// `{{json}}` without a name.
        case missingJSONName
        /// `{{> name}}` names no template of the set.
        case unknownPartial(String)
        /// A partial includes itself, directly or not; the chain of template names.
        case partialRecursion([String])
        /// `TemplateSet.render` was asked for a template the set does not have.
        case unknownTemplate(String)
        /// A template file name that is not a usable name.
        case badTemplateName(String)
        /// A catalog file name that is not a language tag.
        case badLanguageTag(String)
        /// Two catalogs for the same language, differing only in case.
        case duplicateLanguage(String)
        /// A catalog is not valid JSON.
        case malformedCatalog(String)
        /// A catalog is valid JSON, but not an object.
        case catalogNotAnObject(found: String)
        /// A catalog value is not a string (catalogs are flat).
        case catalogValueNotString(key: String, found: String)
        /// A catalog key that templates could not name (`[A-Za-z0-9_.-]+`, no empty dotted segment).
        case badCatalogKey(String)
        /// A key appears twice in one catalog.
        case duplicateCatalogKey(String)
        /// There are catalogs, but none for the reference language.
        case missingReferenceCatalog(String)
        /// The reference catalog has `key`, this one does not.
        case missingCatalogKey(key: String, reference: String)
        /// This catalog has `key`, the reference catalog does not.
        case extraCatalogKey(key: String, reference: String)
        /// A file or directory could not be read (`TemplateLoader`); the system's reason.
        case unreadable(String)

        public var description: String {
            switch self {
            case .unclosedTag:
                "unclosed tag: no '}}' after this '{{'"
            case .unclosedSection(let sigil, let name, let line, let column):
                "unclosed section \(sigil)\(name) opened at \(line):\(column): no {{/\(name)}} before the end of the file"
            case .mismatchedSectionClose(let found, let sigil, let open, let line, let column):
                "mismatched {{/\(found)}} for section \(sigil)\(open) opened at \(line):\(column)"
            case .unopenedSectionClose(let name):
                "{{/\(name)}} closes no open section"
            case .unknownTagKind(let kind):
                "unknown tag kind \(Self.quoted(kind)) (expected a name, #, ^, /, !, > or json)"
            case .unescapedTag(let tag):
                "unescaped output \(Self.quoted(tag)) is not supported: {{name}} always escapes HTML"
            case .badName(let name):
                "bad name \(Self.quoted(name)): names are [A-Za-z0-9_.-]+ with no empty dotted segment"
            case .missingJSONName:
                "{{json}} needs a name: {{json name}}"
            case .unknownPartial(let name):
                "unknown partial \(Self.quoted(name)): no template \(name).html"
            case .partialRecursion(let chain):
                "partial recursion: " + chain.joined(separator: " -> ")
            case .unknownTemplate(let name):
                "unknown template \(Self.quoted(name))"
            case .badTemplateName(let name):
                "bad template name \(Self.quoted(name)): file names are [A-Za-z0-9_.-]+.html"
            case .badLanguageTag(let tag):
                "bad language tag \(Self.quoted(tag)): catalog files are named like en.json or pt-BR.json"
            case .duplicateLanguage(let tag):
                "a second catalog for language \(Self.quoted(tag)) (language tags ignore case)"
            case .malformedCatalog(let reason):
                "catalog is not valid JSON: \(reason)"
            case .catalogNotAnObject(let found):
                "catalog must be a JSON object of strings, found \(found)"
            case .catalogValueNotString(let key, let found):
                "catalog key \(Self.quoted(key)) must have a string value, found \(found)"
            case .badCatalogKey(let key):
                "bad catalog key \(Self.quoted(key)): keys are [A-Za-z0-9_.-]+ with no empty dotted segment"
            case .duplicateCatalogKey(let key):
                "catalog key \(Self.quoted(key)) appears twice"
            case .missingReferenceCatalog(let language):
                "no catalog for the reference language \(Self.quoted(language)) (strings/\(language).json)"
            case .missingCatalogKey(let key, let reference):
                "missing key \(Self.quoted(key)) (present in \(reference))"
            case .extraCatalogKey(let key, let reference):
                "key \(Self.quoted(key)) is not in \(reference)"
            case .unreadable(let reason):
                "cannot read: \(reason)"
            }
        }

        /// `"text"`, with controls escaped and long text cut, so a hostile or broken file cannot
        /// garble the terminal or the log line.
        static func quoted(_ text: String) -> String {
            var result = "\""
            for (index, scalar) in text.unicodeScalars.enumerated() {
                if index == 60 {
                    result += "…"
                    break
                }
                switch scalar {
                case "\"", "\\": result += "\\" + String(scalar)
                case "\n": result += "\\n"
                case "\r": result += "\\r"
                case "\t": result += "\\t"
                default:
                    if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
                        || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
                    {
                        result += "\\u{" + String(scalar.value, radix: 16) + "}"
                    } else {
                        result.unicodeScalars.append(scalar)
                    }
                }
            }
            return result + "\""
        }
    }

    /// The file, as the set knows it (`landing.html`, `strings/pt-BR.json`); `TemplateLoader`
    /// puts the directory in front.
    public var file: String
    /// 1-based line, when the error has a place in the file.
    public var line: Int?
    /// 1-based column, counted in characters, when the error has a place in the file.
    public var column: Int?
    public var reason: Reason

    public init(file: String, line: Int? = nil, column: Int? = nil, reason: Reason) {
        self.file = file
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// The message without the location.
    public var message: String { reason.description }

    public var description: String {
        if let line, let column { return "\(file):\(line):\(column): \(message)" }
        return "\(file): \(message)"
    }

    /// The same error with `directory/` in front of the file name.
    public func inDirectory(_ directory: String) -> TemplateError {
        var copy = self
        copy.file = directory.hasSuffix("/") ? directory + file : directory + "/" + file
        return copy
    }
}
