import Foundation
import Glibc
import Testing

/// systemd's offline tools (Debian's `systemd` package: `systemd-analyze`, `systemd-socket-activate`,
/// `systemd-sysusers`, `systemd-tmpfiles`), none of which needs systemd to be running, and whether
/// the tests that use them must run.
enum SystemdTools {
    static let analyze = "/usr/bin/systemd-analyze"
    static let socketActivate = "/usr/bin/systemd-socket-activate"
    static let sysusers = "/usr/bin/systemd-sysusers"
    static let tmpfiles = "/usr/bin/systemd-tmpfiles"
    static let all = [analyze, socketActivate, sysusers, tmpfiles]

    /// On CI (`CI` set and not "false"/"0") these tests always run: a missing tool fails them.
    static var isCI: Bool {
        let value = (ProcessInfo.processInfo.environment["CI"] ?? "").lowercased()
        return !value.isEmpty && value != "false" && value != "0"
    }

    /// Run when the tools are installed, and always on CI.
    static var shouldRun: Bool { all.allSatisfy { FileManager.default.isExecutableFile(atPath: $0) } || isCI }

    static let skipReason: Comment = "systemd's tools are not installed (apt-get install systemd, or scripts/install-deps.sh test; on CI they must be)"

    /// Throws when `tool` is missing, so a test that must run fails saying why instead of passing vacuously.
    static func require(_ tool: String) throws {
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            throw E2EError("\(tool) is missing: install Debian's systemd package (scripts/install-deps.sh test)")
        }
    }
}

/// `systemd-socket-activate ARGUMENTS` started through a shell that stays its parent: the shell
/// prints the launcher's pid (which becomes the server's, since the launcher execs it) and exits
/// with its status.
///
/// why: systemd-socket-activate closes every inherited descriptor but the sockets before it execs,
/// among them the one Foundation's `Process` watches to learn that its child exited. Foundation
/// then waits (blocking) for a process that is still running, and notices no other child's exit
/// meanwhile (a curl run by the same test would never be reaped). The shell keeps that descriptor.
final class SocketActivateLauncher: @unchecked Sendable {  // why: immutable after init; Subprocess locks.
    let shell: Subprocess
    /// The launcher's pid, the server's once it has started.
    let pid: Int32

    init(_ arguments: [String]) throws {
        try SystemdTools.require(SystemdTools.socketActivate)
        // why: children inherit the spawning thread's signal mask, and the test threads block every
        // signal; a shell whose SIGCHLD is blocked never returns from `wait`. env unblocks it.
        shell = try Subprocess(
            "/usr/bin/env", ["--default-signal=CHLD", "/bin/sh", "-c", "\"$0\" \"$@\" & echo \"$!\"; wait \"$!\"", SystemdTools.socketActivate] + arguments)
        var pid: Int32?
        _ = shell.stdout.wait(timeout: 10) { text in
            pid = text.split(separator: "\n").first.flatMap { Int32($0) }
            return pid != nil
        }
        guard let pid else {
            shell.kill()
            throw E2EError("systemd-socket-activate did not start: \(shell.stderr.text)")
        }
        self.pid = pid
        // why: connecting before the launcher has bound its sockets is refused; it says
        // "Listening on ADDRESS as FD." for each -l once bound.
        let sockets = arguments.filter { $0 == "-l" }.count
        _ = shell.stderr.wait(timeout: 10) { $0.components(separatedBy: "Listening on ").count - 1 >= sockets }
    }

    deinit { kill() }

    /// What the launcher and the server wrote on stderr.
    var stderr: OutputCollector { shell.stderr }

    /// Signals the launcher or the server it became (not after the shell has reaped it).
    func send(signal: Int32) {
        guard !shell.hasExited else { return }
        Glibc.kill(pid, signal)
    }

    /// The launcher's (so the server's) exit status; nil after `timeout` seconds.
    func waitForExit(timeout: Double) -> Int32? { shell.waitForExit(timeout: timeout) }

    /// SIGKILLs the launcher (or server), then the shell.
    func kill() {
        send(signal: SIGKILL)
        shell.kill()
    }
}
