/// The page templates and string catalogs of the server, parsed and checked once at start-up and
/// then shared read-only by every event loop. Pure: `TemplateLoader` (LandingIO) reads the files.
///
/// Load-time checks, so a bad deploy fails at start and not on a user's request: template syntax,
/// unknown partials, partial recursion, catalog JSON, and that every catalog has exactly the keys
/// of the reference (`en`) catalog.
public struct TemplateSet: Sendable {
    /// The language every other catalog is checked against, and the first of `languages`.
    public static let referenceLanguage = "en"

    private let templates: [String: Template]
    private let catalogs: [String: [String: String]]
    /// Each catalog as a template object (`TemplateValue(strings:)`), built once here rather than
    /// on every page rendered.
    private let catalogValues: [String: TemplateValue]
    /// Lowercased tag → tag as named, for case-insensitive `catalog(for:)`.
    private let tagsByLowercase: [String: String]

    /// The catalogs' language tags: the reference language first (the default when negotiating),
    /// then the others in order.
    public let languages: [String]

    /// Tells this set from every other one made (a reload makes a new set): what renders it once
    /// for many requests (`LandingPageCache`) keys on it.
    let identity = Identity()

    /// An identity compared with `===`.
    final class Identity: Sendable {}

    /// An empty set: no templates, no catalogs.
    public init() {
        self.init(templates: [:], catalogs: [:])
    }

    private init(templates: [String: Template], catalogs: [String: StringCatalog]) {
        self.templates = templates
        self.catalogs = catalogs.mapValues(\.strings)
        self.catalogValues = catalogs.mapValues { TemplateValue(strings: $0.strings) }
        self.tagsByLowercase = Dictionary(uniqueKeysWithValues: catalogs.keys.map { ($0.lowercased(), $0) })
        self.languages = catalogs.keys.sorted { first, second in
            let firstIsReference = first.lowercased() == Self.referenceLanguage
            let secondIsReference = second.lowercased() == Self.referenceLanguage
            if firstIsReference != secondIsReference { return firstIsReference }
            return first < second
        }
    }

    /// Parses and checks a set.
    /// - Parameters:
    ///   - templates: template source by name (the file name without `.html`).
    ///   - catalogs: catalog JSON text by language tag (the file name in `strings/` without `.json`).
    /// - Throws: the first problem found, files taken in name order; errors name files as
    ///   `landing.html` and `strings/pt-BR.json`.
    public static func parse(templates: [String: String], catalogs: [String: String]) throws(TemplateError) -> TemplateSet {
        var parsed: [String: [TemplateNode]] = [:]
        for name in templates.keys.sorted() {
            guard !name.isEmpty, name.utf8.allSatisfy(TemplatePath.isNameByte) else {
                throw TemplateError(file: fileName(ofTemplate: name), reason: .badTemplateName(name))
            }
            parsed[name] = try TemplateParser.parse(templates[name]!, file: fileName(ofTemplate: name))
        }
        let linked = try TemplateLinker.link(parsed)

        var parsedCatalogs: [String: StringCatalog] = [:]
        var lowercased: Set<String> = []
        for language in catalogs.keys.sorted() {
            guard StringCatalog.isLanguageTag(language) else {
                throw TemplateError(file: fileName(ofCatalog: language), reason: .badLanguageTag(language))
            }
            guard lowercased.insert(language.lowercased()).inserted else {
                throw TemplateError(file: fileName(ofCatalog: language), reason: .duplicateLanguage(language))
            }
            parsedCatalogs[language] = try StringCatalog.parse(catalogs[language]!, language: language)
        }
        try checkKeys(parsedCatalogs)
        return TemplateSet(templates: linked, catalogs: parsedCatalogs)
    }

    /// The template named `name`, to render directly or inspect (`referencedNames`).
    public func template(named name: String) -> Template? {
        templates[name]
    }

    /// The templates' names, sorted.
    public var templateNames: [String] {
        templates.keys.sorted()
    }

    /// Renders template `name` with `context`.
    /// - Throws: `TemplateError` with reason `.unknownTemplate` when the set has no such template;
    ///   rendering itself cannot fail (missing names render as nothing).
    public func render(_ name: String, context: TemplateValue) throws(TemplateError) -> String {
        try template(orThrow: name).render(context)
    }

    /// Like `render`, as UTF-8 bytes for an HTTP body (no String round trip).
    public func renderBytes(_ name: String, context: TemplateValue) throws(TemplateError) -> [UInt8] {
        try template(orThrow: name).renderBytes(context)
    }

    /// Like `renderBytes(_:context:)`, the root given as values by slot of `layout`
    /// (`Template.renderBytes(_:layout:)`).
    public func renderBytes(_ name: String, values: [TemplateValue], layout: TemplateLayout) throws(TemplateError) -> [UInt8] {
        try template(orThrow: name).renderBytes(values, layout: layout)
    }

    /// The strings of `language` (matched ignoring case, as language tags are), or nil.
    public func catalog(for language: String) -> [String: String]? {
        if let strings = catalogs[language] { return strings }
        return tagsByLowercase[language.lowercased()].flatMap { catalogs[$0] }
    }

    /// `catalog(for: language)` as a template object, shared (not rebuilt) across renders.
    public func catalogValue(for language: String) -> TemplateValue? {
        if let value = catalogValues[language] { return value }
        return tagsByLowercase[language.lowercased()].flatMap { catalogValues[$0] }
    }

    /// `landing` → `landing.html`.
    static func fileName(ofTemplate name: String) -> String { name + ".html" }

    /// `pt-BR` → `strings/pt-BR.json`.
    static func fileName(ofCatalog language: String) -> String { "strings/" + language + ".json" }

    private func template(orThrow name: String) throws(TemplateError) -> Template {
        guard let template = templates[name] else {
            throw TemplateError(file: Self.fileName(ofTemplate: name), reason: .unknownTemplate(name))
        }
        return template
    }

    /// Every catalog must have exactly the reference catalog's keys: a missing key would show the
    /// key itself to users of that language, an extra one is a typo or a leftover.
    private static func checkKeys(_ catalogs: [String: StringCatalog]) throws(TemplateError) {
        guard !catalogs.isEmpty else { return }
        guard let reference = catalogs.values.first(where: { $0.language.lowercased() == referenceLanguage }) else {
            throw TemplateError(file: fileName(ofCatalog: referenceLanguage), reason: .missingReferenceCatalog(referenceLanguage))
        }
        let referenceFile = fileName(ofCatalog: reference.language)
        for language in catalogs.keys.sorted() where language != reference.language {
            let catalog = catalogs[language]!
            let file = fileName(ofCatalog: language)
            for key in reference.keys where catalog.strings[key] == nil {
                throw TemplateError(file: file, reason: .missingCatalogKey(key: key, reference: referenceFile))
            }
            for key in catalog.keys where reference.strings[key] == nil {
                throw TemplateError(file: file, reason: .extraCatalogKey(key: key, reference: referenceFile))
            }
        }
    }
}
