import Foundation
import Glibc
import Testing

/// An installed tree, laid out as the Debian package lays it out under `/usr`: the built binary
/// in PREFIX/bin (a hard link, or a copy across file systems), the repository's templates in
/// PREFIX/share/oauth-landing/templates unless `withTemplates` is false, a symlink to the binary
/// in LINKS/, and an empty working directory. Paths are real paths (the server reports those).
private struct InstalledTree {
    let root: TemporaryDirectory
    let prefix: String
    let installedTemplates: String
    let symlink: String
    let emptyDirectory: String

    init(withTemplates: Bool) throws {
        root = try TemporaryDirectory("landing-e2e-installed")
        let base = try Self.realPath(root.path)
        let fm = FileManager.default
        prefix = base + "/opt/landing"
        installedTemplates = prefix + "/share/oauth-landing/templates"
        emptyDirectory = base + "/elsewhere"
        for directory in [prefix + "/bin", base + "/links", emptyDirectory] {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let binary = prefix + "/bin/oauth-landing"
        // why: a hard link is free and /proc/self/exe names the path it was executed through.
        if link(try ServerProcess.binaryPath(), binary) != 0 {
            try fm.copyItem(atPath: try ServerProcess.binaryPath(), toPath: binary)
        }
        if withTemplates {
            try fm.createDirectory(atPath: prefix + "/share/oauth-landing", withIntermediateDirectories: true)
            try fm.copyItem(atPath: ServerProcess.repositoryRoot + "/templates", toPath: installedTemplates)
        }
        symlink = base + "/links/oauth-landing"
        try fm.createSymbolicLink(atPath: symlink, withDestinationPath: binary)
    }

    static func realPath(_ path: String) throws -> String {
        guard let resolved = realpath(path, nil) else { throw E2EError("realpath \(path): errno \(errno)") }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// The binary is relocatable: without `--templates` it finds the templates installed beside it
/// (`../share/oauth-landing/templates`, through symlinks), else `./templates`, and says every path
/// it tried when there are none; an explicit `--templates` is used as given, never replaced.
@Suite struct EndToEndRelocationTests {
    /// Runs `executable` (check-config and serve get a --public-url) in `workingDirectory`.
    private static func run(_ executable: String, _ arguments: [String], in workingDirectory: String) throws -> SubprocessResult {
        try Subprocess.run(
            executable, arguments + ServerProcess.defaultPublicURL(unlessIn: arguments), timeout: 20,
            workingDirectory: workingDirectory)
    }

    /// check-config run through a symlink, from a directory with no templates, shows the templates installed beside the real binary.
    @Test func checkConfig_ShowsInstalledTemplates_WhenRunThroughSymlink() throws {
        let tree = try InstalledTree(withTemplates: true)
        let certificate = try E2ECertificate()
        let result = try Self.run(
            tree.symlink, ["check-config", "--tls-cert", certificate.certificatePath, "--tls-key", certificate.keyPath, "--api-key", ServerProcess.apiKey, "--store", "memory:"],
            in: tree.emptyDirectory)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdoutText.contains("\n# templates: \(tree.installedTemplates)\n"), "\(result)")
    }

    /// serve from the relocated tree loads the installed templates: its listening line names them and the landing page is served.
    @Test func serve_LoadsInstalledTemplates_FromRelocatedTree() throws {
        let tree = try InstalledTree(withTemplates: true)
        let server = try ServerProcess(
            executable: tree.symlink, workingDirectory: tree.emptyDirectory,
            findsTemplates: true)
        defer { server.stop() }
        #expect(server.listeningLine["templates"] as? String == tree.installedTemplates, "\(server.listeningLine)")
        let page = try Curl.fetch(server.baseURL + "/oauth/callback?itemId=item-relocated")
        #expect(page.response.status == 200)
        #expect(page.response.bodyText.contains("<main id=\"landing\""), "\(page.response.bodyText.prefix(300))")
        #expect(server.stop() == 0, "stderr: \(server.stderrText)")
    }

    /// Without installed templates, the working directory's ./templates is used (a checkout).
    @Test func checkConfig_FallsBackToWorkingDirectory_WhenNothingIsInstalled() throws {
        let tree = try InstalledTree(withTemplates: false)
        let certificate = try E2ECertificate()
        let checkout = try InstalledTree.realPath(ServerProcess.repositoryRoot)
        let result = try Self.run(
            tree.symlink, ["check-config", "--tls-cert", certificate.certificatePath, "--tls-key", certificate.keyPath, "--api-key", ServerProcess.apiKey, "--store", "memory:"],
            in: checkout)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdoutText.contains("\n# templates: \(checkout)/templates\n"), "\(result)")
    }

    /// With no templates anywhere, serve and check-config exit 2 with one line naming every path tried, in order.
    @Test func serveAndCheckConfig_NameEveryPathTried_WhenNoTemplatesExist() throws {
        let tree = try InstalledTree(withTemplates: false)
        let certificate = try E2ECertificate()
        for command in ["serve", "check-config"] {
            let result = try Self.run(
                tree.symlink,
                [command, "--listen", "127.0.0.1:0", "--tls-cert", certificate.certificatePath, "--tls-key", certificate.keyPath,
                 "--api-key", ServerProcess.apiKey, "--store", "memory:"],
                in: tree.emptyDirectory)
            #expect(result.status == 2, "\(command): \(result)")
            #expect(
                result.stderrText.contains(
                    (command == "serve" ? "oauth-landing: " : "error: templates: ") + "no templates directory: tried \(tree.installedTemplates) (beside the executable),"
                        + " \(tree.emptyDirectory)/templates (in the working directory); give the directory that holds"
                        + " landing.html and strings/ with --templates DIR\n"),
                "\(command): \(result)")
            #expect(!result.stderrText.contains("\"msg\":\"listening\""), "\(command): \(result)")
        }
    }

    /// An explicit --templates that does not exist is an error naming it, even when installed templates exist.
    @Test func serve_RefusesMissingExplicitTemplates_WithoutFallback() throws {
        let tree = try InstalledTree(withTemplates: true)
        let certificate = try E2ECertificate()
        let missing = tree.emptyDirectory + "/no-such-templates"
        let result = try Self.run(
            tree.symlink,
            ["serve", "--listen", "127.0.0.1:0", "--tls-cert", certificate.certificatePath, "--tls-key", certificate.keyPath,
             "--api-key", ServerProcess.apiKey, "--store", "memory:", "--templates", missing],
            in: tree.emptyDirectory)
        #expect(result.status == 2, "\(result)")
        #expect(result.stderrText.contains("--templates \(missing): no such directory"), "\(result)")
    }
}
