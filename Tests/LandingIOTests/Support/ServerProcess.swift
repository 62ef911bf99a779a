import Foundation
import Glibc
import Synchronization

/// The real `oauth-landing` executable running as a child process: started on an ephemeral port
/// with its own certificate, output captured continuously, stopped with SIGTERM (SIGKILL as a
/// fallback) by `stop()` or at the latest when released.
final class ServerProcess: @unchecked Sendable {  // why: immutable after init; Subprocess locks.
    let child: Subprocess
    /// The certificate the server was started with; kept alive (its directory) as long as the server.
    let certificate: E2ECertificate
    /// The HTTPS port, from the "listening" log line.
    let port: UInt16
    /// The plain-HTTP port (`--http-listen`), if any.
    let httpPort: UInt16?
    /// The metrics listener's port (`--metrics-listen`, the line's `metrics_listen`), if any.
    let metricsPort: UInt16?
    /// The "listening" line's fields.
    let listeningLine: [String: Any]

    /// Arguments that open the metrics listener on an ephemeral loopback port: `/metrics` is served
    /// only there (never on HTTPS), so a test that scrapes adds these and uses `metricsURL`.
    static let metricsListen = ["--metrics-listen", "127.0.0.1:0"]

    /// The API key servers get unless a test passes its own.
    static let apiKey = "e2e-test-key-0123456789abcdef"

    /// The package root (where `templates/` lives), from this file's path.
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// Starts `oauth-landing serve --listen 127.0.0.1:0 --tls-cert C --tls-key K --threads 2` plus
    /// `arguments`, and waits (up to `startTimeout` seconds) for the "listening" line on stderr.
    /// `--public-url https://landing.e2e.test`, unless `arguments` give one or `--dev` (serve and
    /// check-config refuse to start without one otherwise).
    static func defaultPublicURL(unlessIn arguments: [String]) -> [String] {
        arguments.contains("--public-url") || arguments.contains("--dev") ? [] : ["--public-url", "https://landing.e2e.test"]
    }

    /// `environment` is added to the child's (e.g. `SSL_CERT_FILE`). `executable` replaces the built
    /// binary (a relocated copy) and `workingDirectory` the test runner's; with `findsTemplates` the
    /// server gets no `--templates` and must find its own.
    init(
        _ arguments: [String] = [], certificate: E2ECertificate? = nil, threads: Int = 2, startTimeout: Double = 10,
        environment: [String: String] = [:], executable: String? = nil, workingDirectory: String? = nil,
        findsTemplates: Bool = false
    ) throws {
        let certificate = try certificate ?? E2ECertificate()
        self.certificate = certificate
        var defaults: [String] = []
        // why: tests must not depend on the working directory or share one database file.
        if !arguments.contains("--templates") && !findsTemplates { defaults += ["--templates", Self.repositoryRoot + "/templates"] }
        if !arguments.contains("--store") { defaults += ["--store", "memory:"] }
        if !arguments.contains("--api-key") && !arguments.contains("--api-keys-file") && !arguments.contains("--dev") {
            defaults += ["--api-key", Self.apiKey]
        }
        // why: serve refuses to start without --public-url outside --dev; tests that care give their own.
        defaults += Self.defaultPublicURL(unlessIn: arguments)
        let fullArguments = [
            "serve", "--listen", "127.0.0.1:0", "--tls-cert", certificate.certificatePath, "--tls-key", certificate.keyPath,
            "--threads", "\(threads)",
        ] + defaults + arguments
        let child = try Subprocess(
            try executable ?? Self.binaryPath(), fullArguments, workingDirectory: workingDirectory, environment: environment)
        self.child = child
        Self.register(child)
        var line: [String: Any]?
        _ = child.stderr.wait(timeout: startTimeout) { text in
            line = Self.jsonLines(text).first { $0["msg"] as? String == "listening" }
            return line != nil
        }
        guard let line, let listen = line["listen"] as? String, let port = Self.port(of: listen) else {
            child.kill()
            Self.unregister(child)
            throw E2EError("the server did not report listening within \(startTimeout) s; arguments \(fullArguments); stderr: \(child.stderr.text)")
        }
        self.listeningLine = line
        self.port = port
        self.httpPort = (line["http_listen"] as? String).flatMap(Self.port(of:))
        self.metricsPort = (line["metrics_listen"] as? String).flatMap(Self.port(of:))
    }

    deinit { stop() }

    var pid: Int32 { child.pid }
    var stdoutText: String { child.stdout.text }
    var stderrText: String { child.stderr.text }
    var baseURL: String { "https://127.0.0.1:\(port)" }

    /// `http://127.0.0.1:PORT/metrics` on the metrics listener; throws when the server was started
    /// without `--metrics-listen` (pass `ServerProcess.metricsListen`), which has no metrics endpoint.
    var metricsURL: String {
        get throws {
            guard let metricsPort else {
                throw E2EError("no metrics listener: start the server with ServerProcess.metricsListen; listening line \(listeningLine)")
            }
            return "http://127.0.0.1:\(metricsPort)/metrics"
        }
    }

    func send(signal: Int32) { child.send(signal: signal) }

    /// The exit status once the server has exited, nil after `timeout` seconds. On exit, also waits
    /// for the output pipes to be read to their end, so `stdoutText`/`stderrText` are complete.
    func waitForExit(timeout: Double) -> Int32? {
        guard let status = child.waitForExit(timeout: timeout) else { return nil }
        drainOutput()
        return status
    }

    /// Waits (briefly) until everything the exited server wrote has been read.
    private func drainOutput() {
        child.stdout.waitForEnd(timeout: 5)
        child.stderr.waitForEnd(timeout: 5)
    }

    var hasExited: Bool { child.hasExited }

    /// Waits for `text` to appear on stderr; false after `timeout` seconds.
    @discardableResult
    func waitForStderr(containing text: String, timeout: Double = 10) -> Bool {
        child.stderr.wait(timeout: timeout) { $0.contains(text) }
    }

    /// Waits for `text` to appear on stdout; false after `timeout` seconds.
    @discardableResult
    func waitForStdout(containing text: String, timeout: Double = 10) -> Bool {
        child.stdout.wait(timeout: timeout) { $0.contains(text) }
    }

    /// After SIGTERM: waits until the HTTPS port refuses connections (the listener is closed), which
    /// the server does only after every loop has seen the drain flag. Returns false after `timeout`
    /// seconds. (The "draining" log line is written before the flag is set, so it is no sync point.)
    func waitUntilRefusingConnections(timeout: Double = 10) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            do {
                let probe = try TestSocket(port: port)
                probe.close()
                usleep(20_000)
            } catch {
                if error.errno == ECONNREFUSED { return true }
                // why: another error (EADDRNOTAVAIL while a scale test holds thousands of loopback
                // ports, a timeout under load) says nothing about the listener: probe again.
                usleep(20_000)
            }
        }
        return false
    }

    /// Stops the server: SIGTERM, up to `grace` seconds to exit, then SIGKILL. Returns the exit
    /// status when it exited on its own after SIGTERM. Safe to call more than once.
    @discardableResult
    func stop(grace: Double = 15) -> Int32? {
        defer { Self.unregister(child) }
        if child.hasExited {
            drainOutput()
            return child.process.terminationStatus
        }
        child.send(signal: SIGTERM)
        if let status = waitForExit(timeout: grace) { return status }
        child.kill()
        drainOutput()
        return nil
    }

    /// The server's open descriptors (from /proc), or nil when unreadable.
    var openDescriptorCount: Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }

    // MARK: - Log lines

    /// The JSON objects among `text`'s lines (other lines are skipped).
    static func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { line in
            guard line.first == "{" else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    /// "127.0.0.1:8443" → 8443.
    static func port(of address: String) -> UInt16? {
        guard let colon = address.lastIndex(of: ":") else { return nil }
        return UInt16(address[address.index(after: colon)...])
    }

    // MARK: - The executable

    /// The `oauth-landing` executable built next to the test bundle: the runner is
    /// `<scratch>/debug/oauth-landingPackageTests.xctest`, so the server is `<scratch>/debug/oauth-landing`.
    /// `LANDING_E2E_BINARY` overrides the search.
    static func binaryPath() throws -> String {
        if let found = binaryCandidates().first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            return found
        }
        throw E2EError("oauth-landing not found; looked at \(binaryCandidates()). Build it first (swift build --build-tests).")
    }

    /// Where `binaryPath()` looks, in order.
    static func binaryCandidates() -> [String] {
        var candidates: [String] = []
        if let override = ProcessInfo.processInfo.environment["LANDING_E2E_BINARY"], !override.isEmpty {
            candidates.append(override)
        }
        let cwd = FileManager.default.currentDirectoryPath
        func absolute(_ path: String) -> String { path.hasPrefix("/") ? path : cwd + "/" + path }
        if let argv0 = CommandLine.arguments.first, argv0.contains("/") {
            let runner = URL(fileURLWithPath: absolute(argv0)).standardizedFileURL
            // Linux: the runner is the .xctest file itself; macOS: a bundle whose binary is deeper.
            candidates.append(runner.deletingLastPathComponent().appendingPathComponent("oauth-landing").path)
            if let bundle = runner.pathComponents.lastIndex(where: { $0.hasSuffix(".xctest") }) {
                let directory = NSString.path(withComponents: Array(runner.pathComponents[..<bundle]))
                candidates.append(directory + "/oauth-landing")
            }
        }
        let bundle = URL(fileURLWithPath: absolute(Bundle.main.bundlePath)).standardizedFileURL
        candidates.append(bundle.appendingPathComponent("oauth-landing").path)
        candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("oauth-landing").path)
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("oauth-landing").path)
        }
        var seen = Set<String>()
        return candidates.filter { seen.insert($0).inserted }
    }

    // MARK: - Cleanup at exit

    /// Children still running; killed at exit so a test that forgot `stop()` (or a failed
    /// expectation that skipped it) never leaves a server behind.
    private static let live = Mutex<[Int32: Subprocess]>([:])
    private static let atExitInstalled: Void = {
        atexit {
            let children = ServerProcess.live.withLock { Array($0.values) }
            for child in children where !child.hasExited { Glibc.kill(child.pid, SIGKILL) }
        }
    }()

    private static func register(_ child: Subprocess) {
        atExitInstalled
        live.withLock { $0[child.pid] = child }
    }

    private static func unregister(_ child: Subprocess) {
        _ = live.withLock { $0.removeValue(forKey: child.pid) }
    }
}
