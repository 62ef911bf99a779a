/// The strings of one language (`strings/pt-BR.json`): a flat JSON object of string values,
/// `{"title.completed": "Conexão concluída", …}`. Parsed with the strict RFC 8259 parser the
/// config loader uses, so a broken file is reported with its line and column.
struct StringCatalog: Sendable {
    /// The language tag, from the file name.
    let language: String
    /// The strings by key.
    let strings: [String: String]
    /// The keys in file order, so key-mismatch errors come in the order a translator reads them.
    let keys: [String]

    /// Parses a catalog file's text; errors name `strings/LANGUAGE.json`.
    static func parse(_ text: String, language: String) throws(TemplateError) -> StringCatalog {
        let file = TemplateSet.fileName(ofCatalog: language)
        let bytes = Array(text.utf8)
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            let location = TemplateLocation(line: error.line, byteColumn: error.column, in: bytes)
            throw TemplateError(
                file: file, line: location.line, column: location.column, reason: .malformedCatalog(error.reason))
        }
        guard case .object(let members) = value else {
            throw TemplateError(file: file, reason: .catalogNotAnObject(found: value.typeDescription))
        }
        var strings: [String: String] = [:]
        var keys: [String] = []
        for member in members {
            guard TemplatePath.isValid(member.key[...]), member.key != "." else {
                throw TemplateError(file: file, reason: .badCatalogKey(member.key))
            }
            guard case .string(let string) = member.value else {
                throw TemplateError(
                    file: file, reason: .catalogValueNotString(key: member.key, found: member.value.typeDescription))
            }
            guard strings.updateValue(string, forKey: member.key) == nil else {
                throw TemplateError(file: file, reason: .duplicateCatalogKey(member.key))
            }
            keys.append(member.key)
        }
        return StringCatalog(language: language, strings: strings, keys: keys)
    }

    /// A BCP 47-shaped tag as catalog files are named: `en`, `pt-BR`, `zh-Hant-TW`
    /// (`ALPHA{2,8} *("-" ALPHANUM{1,8})`, RFC 5646 §2.1 simplified).
    static func isLanguageTag(_ tag: String) -> Bool {
        let subtags = tag.split(separator: "-", omittingEmptySubsequences: false)
        guard let primary = subtags.first, (2...8).contains(primary.utf8.count),
            primary.utf8.allSatisfy({ isLetter($0) })
        else { return false }
        return subtags.dropFirst().allSatisfy { subtag in
            (1...8).contains(subtag.utf8.count) && subtag.utf8.allSatisfy { isLetter($0) || (0x30...0x39).contains($0) }
        }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}
