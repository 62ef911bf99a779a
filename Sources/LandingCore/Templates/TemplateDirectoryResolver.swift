/// Where the page templates are, decided without touching the file system: `--templates` when
/// given (no fallback: a missing directory there is a mistake to report, not to paper over), else
/// the installed copy beside the executable (`BIN/../share/oauth-landing/templates`, so
/// `/usr/bin/oauth-landing` finds `/usr/share/oauth-landing/templates` and a tree unpacked
/// anywhere finds its own), else `templates` in the working directory (a checkout). The shell
/// supplies the executable's real path and a directory test (`TemplateDirectory` in LandingIO).
public enum TemplateDirectoryResolver {
    /// The templates' place below the installation prefix (the executable's directory's parent).
    public static let installedPath = "share/oauth-landing/templates"
    /// The templates' place below the working directory.
    public static let workingDirectoryPath = "templates"

    /// One place looked at, and why it was a candidate.
    public struct Candidate: Sendable, Equatable, CustomStringConvertible {
        public enum Origin: Sendable, Equatable {
            /// `--templates` (flag, environment or config file).
            case explicit
            /// `../share/oauth-landing/templates` from the executable's directory.
            case installation
            /// `./templates`.
            case workingDirectory
        }
        public var path: String
        public var origin: Origin

        public init(path: String, origin: Origin) {
            self.path = path
            self.origin = origin
        }

        /// `PATH (why)`, as the error lists it.
        public var description: String {
            switch origin {
            case .explicit: "\(path) (--templates)"
            case .installation: "\(path) (beside the executable)"
            case .workingDirectory: "\(path) (in the working directory)"
            }
        }
    }

    /// No directory was found: every path tried, in order.
    public struct NotFound: Error, Sendable, Equatable, CustomStringConvertible {
        public var tried: [Candidate]

        public init(tried: [Candidate]) {
            self.tried = tried
        }

        /// One line: what was tried and how to fix it.
        public var description: String {
            if let only = tried.first, only.origin == .explicit {
                return "--templates \(only.path): no such directory; give the directory that holds landing.html and strings/"
            }
            return "no templates directory: tried " + tried.map(\.description).joined(separator: ", ")
                + "; give the directory that holds landing.html and strings/ with --templates DIR"
        }
    }

    /// The places to look, in order. `executablePath` is the executable's real path (symlinks
    /// resolved) or nil when unknown; `workingDirectory` makes `./templates` absolute (nil keeps
    /// it relative).
    public static func candidates(explicit: String?, executablePath: String?, workingDirectory: String?) -> [Candidate] {
        if let explicit { return [Candidate(path: explicit, origin: .explicit)] }
        var candidates: [Candidate] = []
        if let executablePath, executablePath.hasPrefix("/") {
            let prefix = parent(of: parent(of: executablePath))
            candidates.append(Candidate(path: join(prefix, installedPath), origin: .installation))
        }
        let local = workingDirectory.map { join($0, workingDirectoryPath) } ?? workingDirectoryPath
        candidates.append(Candidate(path: local, origin: .workingDirectory))
        return candidates
    }

    /// The first candidate that `isDirectory` accepts.
    /// - Throws: `NotFound` listing every candidate when none is a directory.
    public static func resolve(
        explicit: String?, executablePath: String?, workingDirectory: String?, isDirectory: (String) -> Bool
    ) throws(NotFound) -> String {
        let all = candidates(explicit: explicit, executablePath: executablePath, workingDirectory: workingDirectory)
        guard let found = all.first(where: { isDirectory($0.path) }) else { throw NotFound(tried: all) }
        return found.path
    }

    /// The directory part of an absolute path (`/usr/bin/x` → `/usr/bin`, `/x` → `/`, `/` → `/`).
    static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        let head = trimmed[..<slash]
        return head.isEmpty ? "/" : String(head)
    }

    /// `directory/name`, without doubling a slash.
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
