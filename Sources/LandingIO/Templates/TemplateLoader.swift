import Glibc
import LandingCore

/// Reads a template directory into a `TemplateSet`: the only file I/O of the template engine.
///
///     DIR/*.html            templates, named by file name without `.html` (`landing.html` → `landing`)
///     DIR/strings/*.json    string catalogs, named by language tag (`strings/pt-BR.json` → `pt-BR`)
///
/// Files whose name starts with `.` are ignored (editor and OS droppings); so is anything that
/// does not end in `.html` / `.json`. `strings/` may be absent (no catalogs). Run once at start-up,
/// off the event loops.
public enum TemplateLoader {
    /// Largest template or catalog file read; a bigger one is a mistake, not a page.
    public static let maxFileBytes = 1 << 20

    /// Reads and parses `directory`.
    /// - Throws: `TemplateError` naming the path: a missing or unreadable directory or file, a
    ///   file that is not UTF-8 or is too large, or any error of `TemplateSet.parse` (its file
    ///   name then starts with `directory/`).
    public static func load(directory: String) throws(TemplateError) -> TemplateSet {
        let templates = try readFiles(in: directory, suffix: ".html", optional: false)
        let catalogs = try readFiles(in: FileIO.join(directory, "strings"), suffix: ".json", optional: true)
        do {
            return try TemplateSet.parse(templates: templates, catalogs: catalogs)
        } catch {
            throw error.inDirectory(directory)
        }
    }

    /// The files of `directory` ending in `suffix`, by name without the suffix. A directory that
    /// does not exist is an empty result when `optional`, an error otherwise.
    static func readFiles(in directory: String, suffix: String, optional: Bool) throws(TemplateError) -> [String: String] {
        var files: [String: String] = [:]
        for entry in try listDirectory(directory, optional: optional) {
            guard entry.hasSuffix(suffix), !entry.hasPrefix("."), entry.utf8.count > suffix.utf8.count else { continue }
            let path = FileIO.join(directory, entry)
            let bytes = try readFile(path)
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw TemplateError(file: path, reason: .unreadable("the file is not valid UTF-8"))
            }
            files[String(entry.dropLast(suffix.count))] = text
        }
        return files
    }

    /// The entry names of `path` (without `.` and `..`), sorted.
    static func listDirectory(_ path: String, optional: Bool) throws(TemplateError) -> [String] {
        guard let directory = opendir(path) else {
            let code = errno
            if optional, code == ENOENT { return [] }
            throw TemplateError(file: path, reason: .unreadable(SystemError(call: "opendir", errno: code).description))
        }
        defer { closedir(directory) }
        var names: [String] = []
        while true {
            // why: readdir returns NULL both at the end and on error; only errno tells them apart.
            errno = 0
            guard let entry = readdir(directory) else {
                let code = errno
                if code != 0 {
                    throw TemplateError(file: path, reason: .unreadable(SystemError(call: "readdir", errno: code).description))
                }
                break
            }
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The whole content of the file at `path`, at most `maxFileBytes`.
    static func readFile(_ path: String) throws(TemplateError) -> [UInt8] {
        let bytes: [UInt8]?
        do {
            bytes = try FileIO.readAll(path, limit: maxFileBytes)
        } catch {
            throw TemplateError(file: path, reason: .unreadable(error.description))
        }
        guard let bytes else {
            throw TemplateError(file: path, reason: .unreadable("the file is larger than \(maxFileBytes) bytes"))
        }
        return bytes
    }

}
