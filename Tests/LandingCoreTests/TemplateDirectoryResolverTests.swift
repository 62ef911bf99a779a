import LandingCore
import Testing

/// A file system of the given directories only.
private func directories(_ paths: Set<String>) -> (String) -> Bool {
    { paths.contains($0) }
}

@Suite struct TemplateDirectoryResolverTests {
    private typealias Resolver = TemplateDirectoryResolver

    /// An installed binary in /usr/bin finds /usr/share/oauth-landing/templates, before ./templates.
    @Test func resolve_FindsInstalledTemplates_BesideTheExecutable() throws {
        let found = try Resolver.resolve(
            explicit: nil, executablePath: "/usr/bin/oauth-landing", workingDirectory: "/srv",
            isDirectory: directories(["/usr/share/oauth-landing/templates", "/srv/templates"]))
        #expect(found == "/usr/share/oauth-landing/templates")
    }

    /// A tree unpacked anywhere (PREFIX/bin, PREFIX/share) finds its own templates.
    @Test func resolve_FindsRelocatedTree_UnderAnyPrefix() throws {
        let found = try Resolver.resolve(
            explicit: nil, executablePath: "/opt/landing-2/bin/oauth-landing", workingDirectory: "/",
            isDirectory: directories(["/opt/landing-2/share/oauth-landing/templates", "/usr/share/oauth-landing/templates"]))
        #expect(found == "/opt/landing-2/share/oauth-landing/templates")
    }

    /// Without an installed copy (a build in .build/debug), ./templates of the working directory is used, as an absolute path.
    @Test func resolve_FallsBackToWorkingDirectory_WhenNothingIsInstalled() throws {
        let found = try Resolver.resolve(
            explicit: nil, executablePath: "/src/landing/.build/x86_64-unknown-linux-gnu/debug/oauth-landing",
            workingDirectory: "/src/landing", isDirectory: directories(["/src/landing/templates"]))
        #expect(found == "/src/landing/templates")
    }

    /// An explicit --templates wins over both other places, even when they exist.
    @Test func resolve_UsesExplicitDirectory_WhenGiven() throws {
        let found = try Resolver.resolve(
            explicit: "custom", executablePath: "/usr/bin/oauth-landing", workingDirectory: "/srv",
            isDirectory: directories(["custom", "/usr/share/oauth-landing/templates", "/srv/templates"]))
        #expect(found == "custom")
    }

    /// An explicit --templates that is no directory is an error naming it, with no fallback to the others.
    @Test func resolve_FailsWithoutFallback_WhenExplicitDirectoryIsMissing() {
        #expect(throws: Resolver.NotFound(tried: [.init(path: "/etc/landing/tpl", origin: .explicit)])) {
            try Resolver.resolve(
                explicit: "/etc/landing/tpl", executablePath: "/usr/bin/oauth-landing", workingDirectory: "/srv",
                isDirectory: directories(["/usr/share/oauth-landing/templates", "/srv/templates"]))
        }
        let error = Resolver.NotFound(tried: [.init(path: "/etc/landing/tpl", origin: .explicit)])
        #expect(error.description.hasPrefix("--templates /etc/landing/tpl: no such directory"))
    }

    /// When nothing is found, the one-line error names every path tried, in order, and how to fix it.
    @Test func resolve_NamesEveryPathTried_WhenNoneExists() {
        var thrown: Resolver.NotFound?
        do {
            _ = try Resolver.resolve(
                explicit: nil, executablePath: "/usr/bin/oauth-landing", workingDirectory: "/root", isDirectory: { _ in false })
        } catch {
            thrown = error
        }
        #expect(thrown?.tried.map(\.path) == ["/usr/share/oauth-landing/templates", "/root/templates"])
        #expect(
            thrown?.description
                == "no templates directory: tried /usr/share/oauth-landing/templates (beside the executable),"
                + " /root/templates (in the working directory); give the directory that holds landing.html and"
                + " strings/ with --templates DIR")
        #expect(thrown?.description.contains("\n") == false)
    }

    /// Without /proc (no executable path) only ./templates is tried; without a working directory it stays relative.
    @Test func candidates_SkipUnknownPlaces() {
        #expect(
            Resolver.candidates(explicit: nil, executablePath: nil, workingDirectory: nil)
                == [.init(path: "templates", origin: .workingDirectory)])
        #expect(
            Resolver.candidates(explicit: nil, executablePath: "oauth-landing", workingDirectory: "/w")
                == [.init(path: "/w/templates", origin: .workingDirectory)])
    }

    /// A binary at the root of the file system, or a working directory of /, gives well-formed paths.
    @Test func candidates_AreWellFormed_AtTheRoot() {
        #expect(
            Resolver.candidates(explicit: nil, executablePath: "/oauth-landing", workingDirectory: "/")
                == [
                    .init(path: "/share/oauth-landing/templates", origin: .installation),
                    .init(path: "/templates", origin: .workingDirectory),
                ])
    }
}
