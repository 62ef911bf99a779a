import Foundation
import Glibc
import Testing

/// docs/deploy.md's certbot deploy hook, run as written: only `/etc/oauth-landing` becomes a
/// temporary directory and the group `oauth-landing` the test's own (this machine has no such
/// user); `oauth-landing` on PATH is the built binary; `systemctl` finds no running systemd here,
/// so the hook skips the reload as it would on a stopped service.
@Suite struct DocsDeployGuideTests {
    /// The `#!/bin/sh` block of docs/deploy.md.
    static func hook() throws -> String {
        let text = try String(contentsOfFile: ServerProcess.repositoryRoot + "/docs/deploy.md", encoding: .utf8)
        let blocks = text.components(separatedBy: "```sh\n").dropFirst().map { $0.components(separatedBy: "\n```").first ?? "" }
        return try #require(blocks.first { $0.hasPrefix("#!/bin/sh\n# /etc/letsencrypt/renewal-hooks/deploy/oauth-landing") })
    }

    /// A temporary /etc/oauth-landing with a config that names its certificate pair, and a renewed
    /// lineage holding `certificate` as fullchain.pem/privkey.pem.
    struct Setup {
        let root: TemporaryDirectory
        let etc: String
        let lineage: String
        let bin: String

        init(lineageCertificate certificate: E2ECertificate) throws {
            root = try TemporaryDirectory("landing-deploy-hook")
            etc = root.file("etc")
            lineage = root.file("live")
            bin = root.file("bin")
            let fm = FileManager.default
            for directory in [etc, lineage, bin] { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            try fm.copyItem(atPath: certificate.certificatePath, toPath: lineage + "/fullchain.pem")
            try fm.copyItem(atPath: certificate.keyPath, toPath: lineage + "/privkey.pem")
            try fm.createSymbolicLink(atPath: bin + "/oauth-landing", withDestinationPath: try ServerProcess.binaryPath())
            let config = """
                {"public-url": "https://landing.example.com", "tls-cert": "\(etc)/server.pem", "tls-key": "\(etc)/server-key.pem",
                 "store": "memory:", "api-key": "\(ServerProcess.apiKey)", "templates": "\(ServerProcess.repositoryRoot)/templates"}
                """
            try config.write(toFile: etc + "/config.json", atomically: true, encoding: .utf8)
        }

        func run(domains: String = "landing.example.com") throws -> SubprocessResult {
            let group = String(cString: getgrgid(getegid())!.pointee.gr_name)
            let script = try DocsDeployGuideTests.hook()
                .replacingOccurrences(of: "dir=/etc/oauth-landing", with: "dir=\(etc)")
                .replacingOccurrences(of: "-g oauth-landing", with: "-g \(group)")
                .replacingOccurrences(of: "-o root", with: "-o \(String(cString: getpwuid(geteuid())!.pointee.pw_name))")
            let path = root.file("hook.sh")
            try script.write(toFile: path, atomically: true, encoding: .utf8)
            return try DocsShell.run(
                "/bin/sh", [path],
                environment: [
                    "RENEWED_LINEAGE": lineage, "RENEWED_DOMAINS": domains,
                    "PATH": "\(bin):/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                ])
        }
    }

    /// The hook installs the renewed pair with mode 0640 under the service's group and checks the configuration.
    @Test func deployHook_InstallsThePair_AndChecksTheConfiguration() throws {
        let certificate = try E2ECertificate()
        let setup = try Setup(lineageCertificate: certificate)
        let result = try setup.run()
        #expect(result.status == 0, "\(result)")
        for (installed, original) in [("server.pem", certificate.certificatePath), ("server-key.pem", certificate.keyPath)] {
            let path = setup.etc + "/" + installed
            #expect(FileManager.default.contents(atPath: path) == FileManager.default.contents(atPath: original), "\(installed)")
            var info = stat()
            #expect(stat(path, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o640, "\(installed): mode \(String(info.st_mode & 0o777, radix: 8))")
        }
        #expect(!FileManager.default.fileExists(atPath: setup.etc + "/server.pem.new"))
    }

    /// A renewal for another domain is left alone; a pair check-config refuses fails the hook before any reload.
    @Test func deployHook_IgnoresOtherDomains_AndFailsOnABrokenPair() throws {
        let certificate = try E2ECertificate()
        let setup = try Setup(lineageCertificate: certificate)
        let other = try setup.run(domains: "other.example.com")
        #expect(other.status == 0, "\(other)")
        #expect(!FileManager.default.fileExists(atPath: setup.etc + "/server.pem"))

        let mismatched = try E2ECertificate()
        try FileManager.default.removeItem(atPath: setup.lineage + "/privkey.pem")
        try FileManager.default.copyItem(atPath: mismatched.keyPath, toPath: setup.lineage + "/privkey.pem")
        let broken = try setup.run()
        #expect(broken.status != 0, "\(broken)")
        #expect(broken.stderrText.contains("does not match the certificate"), "\(broken)")
    }
}
