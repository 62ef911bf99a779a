import Glibc
import LandingCore

/// The templates directory of this process, found the same way by `serve` and `check-config`:
/// `TemplateDirectoryResolver`'s order, with the executable's real path from `/proc/self/exe`,
/// the working directory, and `stat`.
public enum TemplateDirectory {
    /// The directory `explicit` (the `--templates` value; nil when unset) leads to.
    /// - Throws: `TemplateDirectoryResolver.NotFound`, whose description is the one-line error
    ///   naming every path tried.
    public static func resolve(explicit: String?) throws(TemplateDirectoryResolver.NotFound) -> String {
        try TemplateDirectoryResolver.resolve(
            explicit: explicit, executablePath: executablePath(), workingDirectory: workingDirectory(),
            isDirectory: isDirectory)
    }

    /// The running executable's path with every symlink resolved (a `/usr/local/bin/oauth-landing`
    /// link to `/opt/oauth-landing/bin/oauth-landing` finds `/opt/oauth-landing/share/…`); nil when
    /// `/proc` is not mounted.
    static func executablePath() -> String? {
        // why: /proc/self/exe names the file actually executed, whatever argv[0] says (a bare name
        // found through PATH, a relative path, a symlink); realpath also resolves any link left in it.
        guard let resolved = realpath("/proc/self/exe", nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The working directory, or nil when it cannot be named (removed, or too long).
    static func workingDirectory() -> String? {
        guard let path = getcwd(nil, 0) else { return nil }
        defer { free(path) }
        return String(cString: path)
    }

    /// True when `path` is a directory (following symlinks).
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return info.st_mode & S_IFMT == S_IFDIR
    }
}
