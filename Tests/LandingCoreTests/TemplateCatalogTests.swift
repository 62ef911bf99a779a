import Testing
@testable import LandingCore

@Suite struct TemplateCatalogTests {
    static let en = #"{"greeting": "Hello", "title.completed": "Connected"}"#
    static let ptBR = #"{"title.completed": "Conexão concluída", "greeting": "Olá"}"#

    /// Catalogs load by language tag; the reference language comes first in `languages`.
    @Test func templateSet_LoadsCatalogs_WhenKeysMatch() throws {
        let set = try TemplateSet.parse(templates: [:], catalogs: ["pt-BR": Self.ptBR, "en": Self.en, "es": #"{"greeting":"Hola","title.completed":"Listo"}"#])
        #expect(set.languages == ["en", "es", "pt-BR"])
        #expect(set.catalog(for: "pt-BR") == ["greeting": "Olá", "title.completed": "Conexão concluída"])
        #expect(set.catalog(for: "fr") == nil)
    }

    /// Language tags match ignoring case, as BCP 47 says.
    @Test func catalog_MatchesIgnoringCase_WhenTagCaseDiffers() throws {
        let set = try TemplateSet.parse(templates: [:], catalogs: ["pt-BR": Self.ptBR, "en": Self.en])
        #expect(set.catalog(for: "pt-br")?["greeting"] == "Olá")
        #expect(set.catalog(for: "EN")?["greeting"] == "Hello")
    }

    /// A catalog's strings render through a context object, escaped like any value.
    /// The prebuilt catalog object is the catalog's strings, found ignoring case; nil for an unknown language.
    @Test func catalogValue_EqualsCatalogStrings_IgnoringTagCase() throws {
        let set = try TemplateSet.parse(templates: [:], catalogs: ["pt-BR": Self.ptBR, "en": Self.en])
        #expect(set.catalogValue(for: "pt-br") == TemplateValue(strings: try #require(set.catalog(for: "pt-BR"))))
        #expect(set.catalogValue(for: "en") == TemplateValue(strings: try #require(set.catalog(for: "en"))))
        #expect(set.catalogValue(for: "de") == nil)
    }

    @Test func catalog_Renders_WhenPutInContext() throws {
        let set = try TemplateSet.parse(templates: ["t": "{{t.greeting}} {{t.title.completed}}"], catalogs: ["en": #"{"greeting": "<Hi>", "title.completed": "ok"}"#])
        let strings = try #require(set.catalog(for: "en"))
        #expect(try set.render("t", context: ["t": TemplateValue(strings: strings)]) == "&lt;Hi&gt; ok")
    }

    /// A key of `en` missing from another catalog is an error naming the key and both files.
    @Test func catalog_FailsLoad_WhenKeyIsMissing() throws {
        let error = try #require(TemplateFixture.loadError([:], catalogs: ["en": Self.en, "pt-BR": #"{"greeting": "Olá"}"#]))
        #expect(error == TemplateError(file: "strings/pt-BR.json", reason: .missingCatalogKey(key: "title.completed", reference: "strings/en.json")))
        #expect(error.description == "strings/pt-BR.json: missing key \"title.completed\" (present in strings/en.json)")
    }

    /// A key not in `en` is an error too (a typo or a leftover).
    @Test func catalog_FailsLoad_WhenKeyIsExtra() throws {
        let error = try #require(TemplateFixture.loadError([:], catalogs: ["en": #"{"a": "x"}"#, "es": #"{"a": "y", "b": "z"}"#]))
        #expect(error == TemplateError(file: "strings/es.json", reason: .extraCatalogKey(key: "b", reference: "strings/en.json")))
    }

    /// Catalogs without an `en` catalog cannot be checked, so they are refused.
    @Test func catalog_FailsLoad_WhenReferenceIsMissing() throws {
        let error = try #require(TemplateFixture.loadError([:], catalogs: ["pt-BR": Self.ptBR]))
        #expect(error == TemplateError(file: "strings/en.json", reason: .missingReferenceCatalog("en")))
    }

    /// Malformed JSON is reported with the line and column of the problem.
    @Test func catalog_FailsLoad_WhenJSONIsMalformed() throws {
        let error = try #require(TemplateFixture.loadError([:], catalogs: ["en": "{\n  \"a\": \"x\",\n  \"b\": \n}"]))
        #expect(error == TemplateError(file: "strings/en.json", line: 4, column: 1, reason: .malformedCatalog("unexpected '}', expected a value")))
        #expect(error.description == "strings/en.json:4:1: catalog is not valid JSON: unexpected '}', expected a value")
    }

    /// The column of a JSON error counts characters, like template errors.
    @Test func catalog_CountsCharacters_WhenLineHasMultibyteKey() throws {
        let error = try #require(TemplateFixture.loadError([:], catalogs: ["en": #"{"título": x}"#]))
        #expect((error.line, error.column) == (1, 12))
    }

    /// An unterminated catalog is malformed, at the end of the file.
    @Test func catalog_FailsLoad_WhenFileIsTruncated() throws {
        let error = try #require(TemplateFixture.loadError([:], catalogs: ["en": "{\"a\": \"x\""]))
        #expect(error.line == 1)
        #expect(error.column == 10)
        #expect(error.file == "strings/en.json")
    }

    /// A catalog must be an object, of strings, with each key once.
    @Test func catalog_FailsLoad_WhenShapeIsWrong() throws {
        #expect(TemplateFixture.loadError([:], catalogs: ["en": #"["a"]"#])
            == TemplateError(file: "strings/en.json", reason: .catalogNotAnObject(found: "an array")))
        #expect(TemplateFixture.loadError([:], catalogs: ["en": #"{"a": {"b": "c"}}"#])
            == TemplateError(file: "strings/en.json", reason: .catalogValueNotString(key: "a", found: "an object")))
        #expect(TemplateFixture.loadError([:], catalogs: ["en": #"{"a": 1}"#])
            == TemplateError(file: "strings/en.json", reason: .catalogValueNotString(key: "a", found: "a number")))
        #expect(TemplateFixture.loadError([:], catalogs: ["en": #"{"a": "x", "a": "y"}"#])
            == TemplateError(file: "strings/en.json", reason: .duplicateCatalogKey("a")))
    }

    /// Keys templates could not name are refused.
    @Test(arguments: ["a b", "", ".", "a..b", "<x>"])
    func catalog_FailsLoad_WhenKeyIsNotAName(key: String) throws {
        #expect(TemplateFixture.loadError([:], catalogs: ["en": "{\"\(key)\": \"x\"}"])
            == TemplateError(file: "strings/en.json", reason: .badCatalogKey(key)))
    }

    /// Catalog file names must be language tags, once each ignoring case.
    @Test func catalog_FailsLoad_WhenLanguageTagIsInvalid() throws {
        #expect(TemplateFixture.loadError([:], catalogs: ["english!": "{}"]) == TemplateError(file: "strings/english!.json", reason: .badLanguageTag("english!")))
        #expect(TemplateFixture.loadError([:], catalogs: ["e": "{}"]) == TemplateError(file: "strings/e.json", reason: .badLanguageTag("e")))
        #expect(TemplateFixture.loadError([:], catalogs: ["pt-": "{}"]) == TemplateError(file: "strings/pt-.json", reason: .badLanguageTag("pt-")))
        #expect(TemplateFixture.loadError([:], catalogs: ["EN": "{}", "en": "{}"]) == TemplateError(file: "strings/en.json", reason: .duplicateLanguage("en")))
    }

    /// No catalogs at all is a valid set (templates only).
    @Test func templateSet_Loads_WhenThereAreNoCatalogs() throws {
        let set = try TemplateSet.parse(templates: ["a": "x"], catalogs: [:])
        #expect(set.languages.isEmpty)
        #expect(TemplateSet().templateNames.isEmpty)
    }

    /// Error messages quote hostile names with controls escaped.
    @Test func templateError_EscapesControls_WhenNameIsHostile() {
        let message = TemplateError(file: "t.html", reason: .badName("a\u{1B}[31m\n\u{202E}")).message
        #expect(message.hasPrefix("bad name \"a\\u{1b}[31m\\n\\u{202e}\""))
    }
}
