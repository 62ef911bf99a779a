import Foundation
import Glibc
import Testing

/// The files in packaging/systemd/, checked with systemd's own offline tools: the units verify
/// cleanly, the service's exposure is rated 2.0 or better, the sysusers and tmpfiles snippets
/// create the user and directories they promise; and the server runs with memory that is never
/// writable and executable at once (what `MemoryDenyWriteExecute=yes` enforces).
@Suite(.enabled(if: SystemdTools.shouldRun, SystemdTools.skipReason))
struct SystemdUnitTests {
    static let directory = ServerProcess.repositoryRoot + "/packaging/systemd"

    /// The unit's text with ExecStart= pointing at the built binary (`verify` checks that the
    /// command exists, and /usr/bin/oauth-landing is not installed where the tests run).
    static func unitForVerify() throws -> String {
        let text = try String(contentsOfFile: directory + "/oauth-landing.service", encoding: .utf8)
        #expect(text.contains("ExecStart=/usr/bin/oauth-landing serve --config /etc/oauth-landing/config.json"))
        return text.replacingOccurrences(of: "ExecStart=/usr/bin/oauth-landing ", with: "ExecStart=\(try ServerProcess.binaryPath()) ")
    }

    /// `systemd-analyze verify` accepts the service and the socket without a single complaint (it exits 0 even for an
    /// unknown setting, so any line naming our units fails the test).
    @Test func units_VerifyWithoutComplaint() throws {
        try SystemdTools.require(SystemdTools.analyze)
        let scratch = try TemporaryDirectory("landing-units")
        try Data(try Self.unitForVerify().utf8).write(to: URL(fileURLWithPath: scratch.file("oauth-landing.service")))
        try FileManager.default.copyItem(atPath: Self.directory + "/oauth-landing.socket", toPath: scratch.file("oauth-landing.socket"))
        let result = try Subprocess.run(
            SystemdTools.analyze, ["verify", scratch.file("oauth-landing.socket"), scratch.file("oauth-landing.service")], timeout: 60)
        #expect(result.status == 0, "\(result)")
        let complaints = (result.stdoutText + result.stderrText).split(separator: "\n").filter { $0.contains("oauth-landing") }
        #expect(complaints.isEmpty, "\(result)")
    }

    /// `systemd-analyze security --offline=true` rates the service's exposure 2.0 or better.
    @Test func service_ExposureIsAtMostTwo() throws {
        try SystemdTools.require(SystemdTools.analyze)
        let result = try Subprocess.run(
            SystemdTools.analyze, ["security", "--offline=true", "--no-pager", Self.directory + "/oauth-landing.service"], timeout: 60)
        #expect(result.status == 0, "\(result)")
        let marker = "Overall exposure level for oauth-landing.service: "
        let line = try #require(result.stdoutText.split(separator: "\n").first { $0.contains(marker) }, "\(result)")
        let level = try #require(Double(line.components(separatedBy: marker)[1].split(separator: " ")[0]), "\(line)")
        #expect(level <= 2.0, "\(result.stdoutText)")
    }

    /// systemd-sysusers creates the oauth-landing system user (home the state directory, no login), and
    /// systemd-tmpfiles then creates /etc/oauth-landing readable by its group only and the state directory it owns.
    @Test func sysusersAndTmpfiles_CreateUserAndDirectories() throws {
        try SystemdTools.require(SystemdTools.sysusers)
        try SystemdTools.require(SystemdTools.tmpfiles)
        let root = try TemporaryDirectory("landing-sysroot")
        try FileManager.default.createDirectory(atPath: root.file("etc"), withIntermediateDirectories: true)
        let users = try Subprocess.run(SystemdTools.sysusers, ["--root=\(root.path)", Self.directory + "/oauth-landing.sysusers"])
        #expect(users.status == 0, "\(users)")
        let passwd = try String(contentsOfFile: root.file("etc/passwd"), encoding: .utf8)
        let entry = try #require(passwd.split(separator: "\n").first { $0.hasPrefix("oauth-landing:") }, "\(passwd)")
        let fields = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        #expect(fields.count == 7 && fields[5] == "/var/lib/oauth-landing" && fields[6].hasSuffix("nologin"), "\(entry)")
        let uid = try #require(UInt32(fields[2]))
        let gid = try #require(UInt32(fields[3]))
        #expect(uid < 1000, "a system user: \(entry)")

        let files = try Subprocess.run(SystemdTools.tmpfiles, ["--root=\(root.path)", "--create", Self.directory + "/oauth-landing.tmpfiles"])
        #expect(files.status == 0, "\(files)")
        for (path, owner, mode) in [
            ("etc/oauth-landing", UInt32(0), 0o750), ("etc/oauth-landing/tls", UInt32(0), 0o750), ("var/lib/oauth-landing", uid, 0o750),
        ] {
            var info = stat()
            #expect(stat(root.file(path), &info) == 0, "\(path) was not created: \(files)")
            #expect(info.st_uid == owner && info.st_gid == gid, "\(path): owner \(info.st_uid):\(info.st_gid)")
            #expect(Int(info.st_mode) & 0o7777 == mode, "\(path): mode \(String(Int(info.st_mode) & 0o7777, radix: 8))")
        }
    }
}

/// `MemoryDenyWriteExecute=yes` in the unit: the server (the Swift runtime, Foundation, OpenSSL) must never map memory
/// writable and executable. Linux 6.3+ enforces the same rule per process with `prctl(PR_SET_MDWE)`, kept across execve;
/// a Python one-liner sets it and execs the server.
@Suite(.enabled(if: MemoryDenyWriteExecute.available, "needs python3 and Linux 6.3+ (prctl PR_SET_MDWE)"))
struct MemoryDenyWriteExecuteTests {
    /// Under PR_SET_MDWE the server starts, completes TLS handshakes, serves the landing page and drains on SIGTERM.
    @Test func server_RunsWithoutWritableExecutableMemory() throws {
        let certificate = try E2ECertificate()
        let arguments = EndToEndSystemdTests.serveArguments(certificate, [])
        let child = try Subprocess(
            MemoryDenyWriteExecute.python, ["-c", MemoryDenyWriteExecute.launcher, try ServerProcess.binaryPath()] + arguments)
        defer { child.kill() }
        var port: UInt16?
        _ = child.stderr.wait(timeout: 10) { text in
            port = ServerProcess.jsonLines(text).first { $0["msg"] as? String == "listening" }.flatMap { ($0["listen"] as? String).flatMap(ServerProcess.port(of:)) }
            return port != nil
        }
        let listening = try #require(port, "\(child.stderr.text)")
        #expect(child.stderr.text.contains("PR_GET_MDWE=1"), "the launcher did not confirm MDWE: \(child.stderr.text)")
        #expect(try Curl.fetch("https://127.0.0.1:\(listening)/healthz").response.status == 200)
        let landing = try Curl.fetch("https://127.0.0.1:\(listening)/oauth/callback?itemId=mdwe&code=c&state=s").response
        #expect(landing.status == 200 && landing.bodyText.contains("<html"))
        child.send(signal: SIGTERM)
        #expect(child.waitForExit(timeout: 10) == 0, "\(child.stderr.text)")
        #expect(!child.exitedBySignal)
    }
}

/// Running a command with `PR_SET_MDWE` (`PR_MDWE_REFUSE_EXEC_GAIN`) set, through python3's ctypes.
enum MemoryDenyWriteExecute {
    static let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/python3"

    /// Sets MDWE (prctl 65, flag 1), says so on stderr, then execs argv[1:]; exits 3 when the kernel refuses.
    static let launcher = """
        import ctypes, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(65, 1, 0, 0, 0) != 0: sys.exit(3)
        sys.stderr.write("PR_GET_MDWE=%d\\n" % libc.prctl(66, 0, 0, 0, 0)); sys.stderr.flush()
        os.execv(sys.argv[1], sys.argv[1:])
        """

    /// Whether python3 is there and the kernel knows PR_GET_MDWE (Linux 6.3+).
    static let available: Bool = {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        let probe = try? Subprocess.run(python, ["-c", "import ctypes, sys; sys.exit(0 if ctypes.CDLL(None).prctl(66, 0, 0, 0, 0) >= 0 else 1)"], timeout: 20)
        return probe?.status == 0
    }()
}
