import Foundation
import LandingCore
import LandingIO
import Testing

/// A temporary template directory, removed when the test ends.
private final class TemplateDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "landing-templates-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CocoaError(.fileWriteUnknown)
        }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `contents` at `relativePath`, creating directories.
    func write(_ relativePath: String, _ contents: String) throws {
        try write(relativePath, bytes: Array(contents.utf8))
    }

    func write(_ relativePath: String, bytes: [UInt8]) throws {
        let url = URL(fileURLWithPath: path + "/" + relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    func makeDirectory(_ relativePath: String) throws {
        try FileManager.default.createDirectory(atPath: path + "/" + relativePath, withIntermediateDirectories: true)
    }
}

@Suite struct TemplateLoaderTests {
    /// Templates and catalogs are read from the directory, named by file name.
    @Test func loader_ReadsTemplatesAndCatalogs_WhenDirectoryIsValid() throws {
        let directory = try TemplateDirectory()
        try directory.write("landing.html", "<h1>{{t.title}}</h1>{{> footer}}")
        try directory.write("footer.html", "<footer>{{year}}</footer>")
        try directory.write("strings/en.json", #"{"title": "Connected"}"#)
        try directory.write("strings/pt-BR.json", #"{"title": "Conectado"}"#)
        let set = try TemplateLoader.load(directory: directory.path)
        #expect(set.templateNames == ["footer", "landing"])
        #expect(set.languages == ["en", "pt-BR"])
        let strings = try #require(set.catalog(for: "pt-BR"))
        #expect(try set.render("landing", context: ["t": TemplateValue(strings: strings), "year": 2025])
            == "<h1>Conectado</h1><footer>2025</footer>")
    }

    /// Dotfiles, other extensions and subdirectories other than `strings/` are ignored.
    @Test func loader_IgnoresOtherFiles_WhenDirectoryHasThem() throws {
        let directory = try TemplateDirectory()
        try directory.write("page.html", "ok")
        try directory.write(".page.html", "{{#broken")
        try directory.write("notes.txt", "{{#broken")
        try directory.write("page.html~", "{{#broken")
        try directory.write("partials/x.html", "{{#broken")
        try directory.write("strings/README.md", "not json")
        let set = try TemplateLoader.load(directory: directory.path + "/")
        #expect(set.templateNames == ["page"])
        #expect(set.languages.isEmpty)
    }

    /// Without `strings/` the set simply has no catalogs.
    @Test func loader_LoadsNoCatalogs_WhenStringsDirectoryIsAbsent() throws {
        let directory = try TemplateDirectory()
        try directory.write("a.html", "a")
        #expect(try TemplateLoader.load(directory: directory.path).languages.isEmpty)
    }

    /// A missing directory is an error naming it, with the system's reason.
    @Test func loader_Fails_WhenDirectoryIsMissing() throws {
        let directory = try TemplateDirectory()
        let missing = directory.path + "/nope"
        #expect(throws: TemplateError(file: missing, reason: .unreadable("opendir failed: No such file or directory (errno 2)"))) {
            try TemplateLoader.load(directory: missing)
        }
    }

    /// A file that cannot be read is an error naming its path (here a directory named like a template).
    @Test func loader_Fails_WhenFileIsUnreadable() throws {
        let directory = try TemplateDirectory()
        try directory.makeDirectory("weird.html")
        let error = try #require(Self.loadError(directory.path))
        #expect(error == TemplateError(file: directory.path + "/weird.html", reason: .unreadable("read failed: Is a directory (errno 21)")))
    }

    /// A template that is not UTF-8 is refused rather than rendered with replacement characters.
    @Test func loader_Fails_WhenFileIsNotUTF8() throws {
        let directory = try TemplateDirectory()
        try directory.write("latin1.html", bytes: [0x43, 0x6F, 0x6E, 0x65, 0x78, 0xE3, 0x6F])
        #expect(Self.loadError(directory.path) == TemplateError(file: directory.path + "/latin1.html", reason: .unreadable("the file is not valid UTF-8")))
    }

    /// A file over the size limit is refused.
    @Test func loader_Fails_WhenFileIsTooLarge() throws {
        let directory = try TemplateDirectory()
        try directory.write("big.html", String(repeating: "x", count: TemplateLoader.maxFileBytes + 1))
        let error = try #require(Self.loadError(directory.path))
        #expect(error.file == directory.path + "/big.html")
        #expect(error.message.contains("larger than"))
    }

    /// Syntax errors carry the file's full path, line and column.
    @Test func loader_PrefixesPath_WhenTemplateHasSyntaxError() throws {
        let directory = try TemplateDirectory()
        try directory.write("ok.html", "fine")
        try directory.write("page.html", "<p>\n  {{{raw}}}\n")
        let error = try #require(Self.loadError(directory.path))
        #expect(error.description == "\(directory.path)/page.html:2:3: unescaped output \"{{{raw}}}\" is not supported: {{name}} always escapes HTML")
    }

    /// Catalog errors carry the catalog's full path.
    @Test func loader_PrefixesPath_WhenCatalogIsBroken() throws {
        let directory = try TemplateDirectory()
        try directory.write("strings/en.json", #"{"a": "x", "b": "y"}"#)
        try directory.write("strings/pt-BR.json", #"{"a": "x"}"#)
        let error = try #require(Self.loadError(directory.path))
        #expect(error.description == "\(directory.path)/strings/pt-BR.json: missing key \"b\" (present in strings/en.json)")
    }

    private static func loadError(_ path: String) -> TemplateError? {
        do {
            _ = try TemplateLoader.load(directory: path)
            return nil
        } catch {
            return error
        }
    }
}
