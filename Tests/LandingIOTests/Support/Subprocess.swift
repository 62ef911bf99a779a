import Foundation
import Glibc

/// A failure in the end-to-end support layer (a child that would not start, a socket that would not
/// connect...), carrying a message that says what happened.
struct E2EError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Process-wide setup the end-to-end helpers need once.
enum E2EProcessSetup {
    /// why: a child that exits before reading its stdin, or a server that resets a socket, would
    /// otherwise kill the test runner with SIGPIPE on the next write.
    static let once: Void = {
        signal(SIGPIPE, SIG_IGN)
    }()

    /// The environment for children: ours, minus `OAUTH_LANDING_*` settings that would change the
    /// server's configuration behind the test's back, and minus systemd's variables (a test runner
    /// started by systemd must not have its servers notify its own service manager).
    static var childEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OAUTH_LANDING_") && !systemdVariables.contains($0.key) }
    }

    /// What `sd_notify(3)`, `sd_listen_fds(3)` and `sd_watchdog_enabled(3)` read.
    static let systemdVariables: Set<String> = ["NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID"]
}

/// Collects everything a child writes to one pipe, read continuously on a dedicated thread so the
/// pipe never fills, and lets tests wait for text to appear.
final class OutputCollector: @unchecked Sendable {  // why: all state behind `condition`.
    private let condition = NSCondition()
    private var buffer: [UInt8] = []
    private var finished = false

    /// Starts reading `handle`; the collector owns a duplicate of its descriptor and closes the handle.
    init(reading handle: FileHandle, name: String) {
        let fd = dup(handle.fileDescriptor)
        try? handle.close()
        let thread = Thread { [self] in
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
            defer {
                chunk.deallocate()
                Glibc.close(fd)
            }
            while true {
                let n = Glibc.read(fd, chunk.baseAddress, chunk.count)
                if n > 0 {
                    condition.lock()
                    buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
                    condition.broadcast()
                    condition.unlock()
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "e2e-\(name)"
        thread.start()
    }

    /// Everything read so far.
    var bytes: [UInt8] {
        condition.lock()
        defer { condition.unlock() }
        return buffer
    }

    /// Everything read so far, as UTF-8 text.
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Waits until `predicate` holds for the text read so far, or the pipe closes, or `timeout`
    /// seconds pass. Returns whether the predicate held.
    func wait(timeout: Double, until predicate: (String) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if predicate(String(decoding: buffer, as: UTF8.self)) { return true }
            if finished { return false }
            if !condition.wait(until: deadline) {
                return predicate(String(decoding: buffer, as: UTF8.self))
            }
        }
    }

    /// Waits until the writer closes its end; returns false after `timeout` seconds.
    @discardableResult
    func waitForEnd(timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !finished {
            if !condition.wait(until: deadline) { return finished }
        }
        return true
    }
}

/// What a finished child left behind.
struct SubprocessResult: CustomStringConvertible {
    /// The exit status, or the signal number when `uncaughtSignal`.
    var status: Int32
    var uncaughtSignal: Bool
    /// The child was killed because it ran past its timeout.
    var timedOut: Bool
    var stdout: [UInt8]
    var stderr: [UInt8]

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    /// True for a normal exit with status 0.
    var succeeded: Bool { !uncaughtSignal && !timedOut && status == 0 }

    var description: String {
        "status \(status)\(uncaughtSignal ? " (signal)" : "")\(timedOut ? " (timed out)" : "")\nstdout: \(stdoutText)\nstderr: \(stderrText)"
    }
}

/// A child process with captured output and an exit that can be awaited with a timeout.
final class Subprocess: @unchecked Sendable {  // why: mutable state behind `condition`.
    let process = Process()
    let stdout: OutputCollector
    let stderr: OutputCollector
    private let stdinHandle: FileHandle?
    private let condition = NSCondition()
    private var exited = false

    /// Launches `executable` with `arguments`. With `stdin` nil the child's standard input is an
    /// open pipe (written with `write(_:)`, closed with `closeStdin()`). `environment` is added to
    /// (and overrides) `E2EProcessSetup.childEnvironment`.
    init(_ executable: String, _ arguments: [String], workingDirectory: String? = nil, environment: [String: String] = [:]) throws {
        E2EProcessSetup.once
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = E2EProcessSetup.childEnvironment.merging(environment) { _, given in given }
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        let inPipe = Pipe()
        let outPipe = Pipe()
        let errPipe = Pipe()
        process.standardInput = inPipe
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.terminationHandler = { [condition] _ in
            condition.lock()
            condition.broadcast()
            condition.unlock()
        }
        do {
            try process.run()
        } catch {
            throw E2EError("cannot launch \(executable): \(error)")
        }
        // why: close our copies of the child's ends so EOF arrives when the child exits.
        try? inPipe.fileHandleForReading.close()
        try? outPipe.fileHandleForWriting.close()
        try? errPipe.fileHandleForWriting.close()
        stdinHandle = inPipe.fileHandleForWriting
        stdout = OutputCollector(reading: outPipe.fileHandleForReading, name: "stdout")
        stderr = OutputCollector(reading: errPipe.fileHandleForReading, name: "stderr")
    }

    var pid: Int32 { process.processIdentifier }

    /// Whether the child has exited (and been reaped).
    var hasExited: Bool {
        condition.lock()
        defer { condition.unlock() }
        if !exited && !process.isRunning { exited = true }
        return exited
    }

    /// Writes to the child's standard input; false if the child no longer reads it.
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        guard let stdinHandle else { return false }
        do {
            try stdinHandle.write(contentsOf: Data(bytes))
            return true
        } catch {
            return false
        }
    }

    func closeStdin() { try? stdinHandle?.close() }

    /// Sends `signal` unless the child has already exited (its pid could be reused).
    func send(signal: Int32) {
        guard !hasExited else { return }
        Glibc.kill(pid, signal)
    }

    /// Waits for the child to exit; returns its exit status (or terminating signal), nil on timeout.
    func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while !hasExited {
            condition.lock()
            // why: poll as well as wait; the termination handler may run before we lock.
            _ = condition.wait(until: min(deadline, Date(timeIntervalSinceNow: 0.05)))
            condition.unlock()
            if Date() >= deadline && !hasExited { return nil }
        }
        return process.terminationStatus
    }

    /// True when the child was killed by a signal rather than exiting.
    var exitedBySignal: Bool { hasExited && process.terminationReason == .uncaughtSignal }

    /// SIGKILLs the child (if still running) and reaps it.
    func kill() {
        send(signal: SIGKILL)
        _ = waitForExit(timeout: 10)
    }

    /// Runs `executable` to completion, feeding it `input` on stdin, and returns its status and output.
    /// The child is killed after `timeout` seconds.
    static func run(
        _ executable: String, _ arguments: [String], input: [UInt8] = [], timeout: Double = 30, workingDirectory: String? = nil,
        environment: [String: String] = [:]
    ) throws -> SubprocessResult {
        let child = try Subprocess(executable, arguments, workingDirectory: workingDirectory, environment: environment)
        if !input.isEmpty { child.write(input) }
        child.closeStdin()
        return child.finish(timeout: timeout)
    }

    /// Waits for the child (killed after `timeout` seconds), then for its output to end, and
    /// returns its status and output.
    func finish(timeout: Double) -> SubprocessResult {
        var timedOut = false
        if waitForExit(timeout: timeout) == nil {
            timedOut = true
            kill()
        }
        stdout.waitForEnd(timeout: 5)
        stderr.waitForEnd(timeout: 5)
        // why: Foundation traps when the status of a process it has not seen exit is read, and on
        // Linux it may not see the exit while a grandchild still holds an inherited descriptor;
        // such a run is reported as timed out with status -1 instead of crashing the test runner.
        guard hasExited else {
            return SubprocessResult(status: -1, uncaughtSignal: false, timedOut: true, stdout: stdout.bytes, stderr: stderr.bytes)
        }
        return SubprocessResult(
            status: process.terminationStatus, uncaughtSignal: process.terminationReason == .uncaughtSignal,
            timedOut: timedOut, stdout: stdout.bytes, stderr: stderr.bytes)
    }
}

/// A temporary directory removed when the value is released.
final class TemporaryDirectory: @unchecked Sendable {  // why: immutable after init.
    let path: String

    init(_ prefix: String = "landing-e2e") throws {
        var template = Array((NSTemporaryDirectory() + "\(prefix)-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw E2EError("mkdtemp failed: errno \(errno)")
        }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A value shared between test threads, behind a lock.
final class E2ELocked<Value>: @unchecked Sendable {  // why: every access holds `lock`.
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
