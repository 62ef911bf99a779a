import Foundation
import Glibc
import LandingIO
import Testing

/// The real server under a stand-in for systemd: the test plays `$NOTIFY_SOCKET` (start-up, reload,
/// drain and watchdog notifications) and passes listening sockets the way socket activation does
/// (`systemd-socket-activate`, or a shell that sets `LISTEN_*` for itself and execs the server).
@Suite struct EndToEndSystemdTests {
    // MARK: - Notifications

    /// READY=1 with the listening address once serving; SIGHUP gives RELOADING=1 with a MONOTONIC_USEC between the test's
    /// own clock readings, then READY=1; SIGTERM gives STOPPING=1; no watchdog pings when none was asked for.
    @Test func notify_ReportsStartReloadAndDrain() throws {
        let notify = try NotifySocketListener()
        defer { notify.close() }
        let server = try ServerProcess(environment: ["NOTIFY_SOCKET": notify.address])
        defer { server.stop() }
        let ready = notify.waitForMessage { $0.hasPrefix("READY=1") }
        #expect(ready == "READY=1\nSTATUS=serving https on 127.0.0.1:\(server.port)", "\(notify.messages)")

        let before = UInt64(NotifySocketListener.now * 1_000_000)
        server.send(signal: SIGHUP)
        let reloading = try #require(notify.waitForMessage { $0.hasPrefix("RELOADING=1") }, "\(notify.messages)")
        let after = UInt64(NotifySocketListener.now * 1_000_000)
        let lines = reloading.split(separator: "\n").map(String.init)
        #expect(lines.count == 3 && lines[2].hasPrefix("STATUS="), "\(reloading)")
        let monotonic = try #require(lines.first { $0.hasPrefix("MONOTONIC_USEC=") }.flatMap { UInt64($0.dropFirst(15)) }, "\(reloading)")
        #expect(before <= monotonic && monotonic <= after, "MONOTONIC_USEC \(monotonic) not within [\(before), \(after)]")
        let reloadIndex = try #require(notify.messages.firstIndex(of: reloading))
        let readyAgain = notify.waitForMessage(after: reloadIndex + 1) { $0.hasPrefix("READY=1") }
        #expect(readyAgain == "READY=1\nSTATUS=serving https on 127.0.0.1:\(server.port)", "\(notify.messages)")
        #expect(!notify.messages.contains { $0.contains("STOPPING=1") })

        server.send(signal: SIGTERM)
        let stopping = notify.waitForMessage { $0.hasPrefix("STOPPING=1") }
        #expect(stopping == "STOPPING=1\nSTATUS=draining after SIGTERM", "\(notify.messages)")
        #expect(server.waitForExit(timeout: 10) == 0, "stderr: \(server.stderrText)")
        #expect(notify.messages.filter { $0.hasPrefix("READY=1") }.count == 2, "\(notify.messages)")
        #expect(!notify.messages.contains("WATCHDOG=1"), "\(notify.messages)")
    }

    /// An abstract socket name (`@name`) reaches the manager too, even one as long as sun_path allows.
    @Test func notify_ReachesAbstractSocket() throws {
        let notify = try NotifySocketListener(abstract: true)
        defer { notify.close() }
        let server = try ServerProcess(environment: ["NOTIFY_SOCKET": notify.address])
        defer { server.stop() }
        #expect(notify.waitForMessage { $0.hasPrefix("READY=1") } != nil, "\(notify.messages); stderr: \(server.stderrText)")
    }

    /// A reload whose certificate cannot be read still ends with READY=1, and its status says the previous certificate is in use.
    @Test func notify_ReadyStatusNamesFailedReload() throws {
        let notify = try NotifySocketListener()
        defer { notify.close() }
        let certificate = try E2ECertificate()
        let server = try ServerProcess(certificate: certificate, environment: ["NOTIFY_SOCKET": notify.address])
        defer { server.stop() }
        #expect(notify.waitForMessage { $0.hasPrefix("READY=1") } != nil)
        try Data("not a certificate".utf8).write(to: URL(fileURLWithPath: certificate.certificatePath))
        server.send(signal: SIGHUP)
        let ready = notify.waitForMessage(after: 1) { $0.hasPrefix("READY=1") }
        #expect(ready?.contains("last reload failed for the certificate, the previous one is in use") == true, "\(notify.messages)")
        #expect(try Curl.fetch(server.baseURL + "/healthz").response.status == 200)
    }

    /// A NOTIFY_SOCKET that is no socket address is a warning, not a failed start; and the thread that writes the warning
    /// blocks SIGTERM like every other (the server runs with the clean signal mask systemd gives it, not the test
    /// runner's), so SIGTERM still ends in the drain and exit 0.
    @Test func notify_MalformedSocketIsLogged_AndServerRuns() throws {
        let certificate = try E2ECertificate()
        let child = try Subprocess(
            "/usr/bin/env", ["--default-signal", "NOTIFY_SOCKET=relative/notify.sock", try ServerProcess.binaryPath()]
                + Self.serveArguments(certificate, []))
        defer { child.kill() }
        var port: UInt16?
        _ = child.stderr.wait(timeout: 10) { text in
            port = ServerProcess.jsonLines(text).first { $0["msg"] as? String == "listening" }
                .flatMap { ($0["listen"] as? String).flatMap(ServerProcess.port(of:)) }
            return port != nil
        }
        let listening = try #require(port, "\(child.stderr.text)")
        #expect(child.stderr.text.contains("\"msg\":\"no notifications to systemd\""), "\(child.stderr.text)")
        #expect(child.stderr.text.contains("NOTIFY_SOCKET=relative/notify.sock is neither"), "\(child.stderr.text)")
        #expect(try Curl.fetch("https://127.0.0.1:\(listening)/healthz").response.status == 200)
        child.send(signal: SIGTERM)
        #expect(child.waitForExit(timeout: 10) == 0, "\(child.stderr.text)")
        #expect(!child.exitedBySignal)
        #expect(child.stderr.text.contains("\"msg\":\"stopped\""))
    }

    // MARK: - Watchdog

    /// With WATCHDOG_USEC=200000 the server sends WATCHDOG=1 about every 100 ms while it serves: at least 3 in a second.
    @Test func watchdog_PingsEveryHalfTimeout() throws {
        let notify = try NotifySocketListener()
        defer { notify.close() }
        let server = try ServerProcess(environment: ["NOTIFY_SOCKET": notify.address, "WATCHDOG_USEC": "200000"])
        defer { server.stop() }
        #expect(notify.waitForMessage { $0.hasPrefix("READY=1") } != nil)
        let start = NotifySocketListener.now
        _ = try Curl.fetch(server.baseURL + "/healthz")
        Thread.sleep(forTimeInterval: 1.0)
        let pings = notify.messages(since: start).filter { $0 == "WATCHDOG=1" }.count
        #expect(pings >= 3 && pings <= 15, "\(pings) pings in a second")
    }

    /// WATCHDOG_PID naming another process (here the test runner) means the watchdog is not the server's: no pings.
    @Test func watchdog_IsSilent_WhenWatchdogPIDIsAnotherProcess() throws {
        let notify = try NotifySocketListener()
        defer { notify.close() }
        let server = try ServerProcess(
            environment: ["NOTIFY_SOCKET": notify.address, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "\(getpid())"])
        defer { server.stop() }
        #expect(notify.waitForMessage { $0.hasPrefix("READY=1") } != nil)
        Thread.sleep(forTimeInterval: 1.0)
        #expect(!notify.messages.contains("WATCHDOG=1"), "\(notify.messages)")
    }

    /// A malformed WATCHDOG_USEC is a warning naming it; the server runs, without pings.
    @Test func watchdog_MalformedTimeoutIsLogged_AndServerRuns() throws {
        let notify = try NotifySocketListener()
        defer { notify.close() }
        let server = try ServerProcess(environment: ["NOTIFY_SOCKET": notify.address, "WATCHDOG_USEC": "30s"])
        defer { server.stop() }
        #expect(notify.waitForMessage { $0.hasPrefix("READY=1") } != nil)
        #expect(server.stderrText.contains("WATCHDOG_USEC=30s is not a positive number of microseconds"), "\(server.stderrText)")
        Thread.sleep(forTimeInterval: 0.5)
        #expect(!notify.messages.contains("WATCHDOG=1"), "\(notify.messages)")
    }

    // MARK: - Socket activation

    /// The serve arguments the tests' servers get (as `ServerProcess` gives them), plus `arguments`.
    static func serveArguments(_ certificate: E2ECertificate, _ arguments: [String]) -> [String] {
        LandingE2E.serveArguments(certificate, ["--api-key", ServerProcess.apiKey, "--threads", "2"] + arguments)
    }

    /// A port free right now on 127.0.0.1 (bound, read, closed: for a launcher that binds it itself).
    /// Waits (10 s at most) until the server's "listening" line has reached the launcher's stderr collector.
    static func waitForListeningLine(_ launcher: SocketActivateLauncher) {
        _ = launcher.stderr.wait(timeout: 10) { text in
            ServerProcess.jsonLines(text).contains { $0["msg"] as? String == "listening" }
        }
    }

    static func freePort() throws -> Int {
        let probe = try ListeningSocket(address: SocketAddress.resolve(host: "127.0.0.1", port: 0))
        defer { probe.close() }
        return probe.address.port
    }

    /// Under `systemd-socket-activate` the HTTPS listener is the passed socket: TLS requests are answered there, the
    /// log names it, and `--listen` (an address already taken, so binding it would fail) is never bound.
    @Test(.enabled(if: SystemdTools.shouldRun, SystemdTools.skipReason))
    func socketActivation_ServesOnPassedSocket_WithoutBindingListen() throws {
        let certificate = try E2ECertificate()
        let occupied = try ListeningSocket(address: SocketAddress.resolve(host: "127.0.0.1", port: 0))
        defer { occupied.close() }
        let port = try Self.freePort()
        let launcher = try SocketActivateLauncher(
            ["-l", "127.0.0.1:\(port)", "--fdname=https", try ServerProcess.binaryPath()]
                + Self.serveArguments(certificate, ["--listen", "127.0.0.1:\(occupied.address.port)"]))
        defer { launcher.kill() }
        // systemd-socket-activate starts the server at the first connection, which waits in the backlog meanwhile.
        let health = try Curl.fetch("https://127.0.0.1:\(port)/healthz")
        #expect(health.response.status == 200, "\(launcher.stderr.text)")
        let landing = try Curl.fetch("https://127.0.0.1:\(port)/oauth/callback?itemId=systemd-e2e&code=c&state=s")
        #expect(landing.response.status == 200)
        #expect(landing.response.bodyText.contains("<html"), "\(landing.response.bodyText.prefix(200))")
        // why: stderr reaches the collector through a pipe-reading thread, which may lag behind the answers.
        Self.waitForListeningLine(launcher)
        let lines = ServerProcess.jsonLines(launcher.stderr.text)
        let adopted = lines.first { $0["msg"] as? String == "listener from systemd" }
        #expect(adopted?["listener"] as? String == "https", "\(launcher.stderr.text)")
        #expect(adopted?["fd"] as? String == "3")
        #expect(adopted?["address"] as? String == "127.0.0.1:\(port)")
        #expect(adopted?["ignored_listen"] as? String == "127.0.0.1:\(occupied.address.port)")
        let listening = lines.first { $0["msg"] as? String == "listening" }
        #expect(listening?["listen"] as? String == "127.0.0.1:\(port)", "\(launcher.stderr.text)")
        launcher.send(signal: SIGTERM)
        #expect(launcher.waitForExit(timeout: 10) == 0, "\(launcher.stderr.text)")
    }

    /// In --dev the derived public URL names the passed socket's port (not --listen's).
    @Test(.enabled(if: SystemdTools.shouldRun, SystemdTools.skipReason))
    func socketActivation_DevPublicURLNamesPassedPort() throws {
        let certificate = try E2ECertificate()
        let port = try Self.freePort()
        let launcher = try SocketActivateLauncher(
            ["-l", "127.0.0.1:\(port)", "--fdname=https", try ServerProcess.binaryPath()]
                + Self.serveArguments(certificate, ["--dev", "--listen", "127.0.0.1:8443"]))
        defer { launcher.kill() }
        #expect(try Curl.fetch("https://127.0.0.1:\(port)/healthz").response.status == 200, "\(launcher.stderr.text)")
        Self.waitForListeningLine(launcher)
        let listening = ServerProcess.jsonLines(launcher.stderr.text).first { $0["msg"] as? String == "listening" }
        #expect(listening?["public_url"] as? String == "https://127.0.0.1:\(port)", "\(launcher.stderr.text)")
        launcher.send(signal: SIGTERM)
        #expect(launcher.waitForExit(timeout: 10) == 0, "\(launcher.stderr.text)")
    }

    /// Sockets named http and metrics replace --http-listen and --metrics-listen (turning them on): the redirect and
    /// /metrics answer there.
    @Test(.enabled(if: SystemdTools.shouldRun, SystemdTools.skipReason))
    func socketActivation_PassesHTTPAndMetrics_ByName() throws {
        let certificate = try E2ECertificate()
        let ports = try (0..<3).map { _ in try Self.freePort() }
        let launcher = try SocketActivateLauncher(
            ["-l", "127.0.0.1:\(ports[0])", "-l", "127.0.0.1:\(ports[1])", "-l", "127.0.0.1:\(ports[2])", "--fdname=https:http:metrics",
             try ServerProcess.binaryPath()] + Self.serveArguments(certificate, []))
        defer { launcher.kill() }
        #expect(try Curl.fetch("https://127.0.0.1:\(ports[0])/healthz").response.status == 200, "\(launcher.stderr.text)")
        let redirect = try Curl.fetch("http://127.0.0.1:\(ports[1])/oauth/callback?itemId=x").response
        #expect(redirect.status == 308, "\(redirect)")
        #expect(redirect.header("Location")?.hasPrefix("https://landing.e2e.test/oauth/callback") == true, "\(redirect)")
        let metrics = try Curl.fetch("http://127.0.0.1:\(ports[2])/metrics").response
        #expect(metrics.status == 200)
        #expect(metrics.bodyText.contains("landing_http_requests_total"))
        let adopted = ServerProcess.jsonLines(launcher.stderr.text).filter { $0["msg"] as? String == "listener from systemd" }
        #expect(Set(adopted.compactMap { $0["listener"] as? String }) == ["https", "http", "metrics"], "\(launcher.stderr.text)")
        launcher.send(signal: SIGTERM)
        #expect(launcher.waitForExit(timeout: 10) == 0, "\(launcher.stderr.text)")
    }

    /// A datagram socket (ListenDatagram=) is refused at start: exit 2, one line saying to use ListenStream=.
    @Test(.enabled(if: SystemdTools.shouldRun, SystemdTools.skipReason))
    func socketActivation_RefusesDatagramSocket() throws {
        let certificate = try E2ECertificate()
        let port = try Self.freePort()
        let launcher = try SocketActivateLauncher(
            ["--datagram", "-l", "127.0.0.1:\(port)", try ServerProcess.binaryPath()] + Self.serveArguments(certificate, []))
        defer { launcher.kill() }
        #expect(launcher.stderr.wait(timeout: 10) { $0.contains("Listening on") })
        // The launcher execs the server at the first datagram.
        let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { Glibc.close(udp) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(udp, "x", 1, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(launcher.waitForExit(timeout: 10) == 2, "\(launcher.stderr.text)")
        #expect(launcher.stderr.text.contains("passed by systemd is not a stream socket; use ListenStream="), "\(launcher.stderr.text)")
        #expect(!launcher.stderr.text.contains("\"msg\":\"listening\""))
    }

    /// A connected socket (Accept=yes hands over one per connection) is refused: one line saying Accept=no.
    @Test(.enabled(if: SystemdTools.shouldRun, SystemdTools.skipReason))
    func socketActivation_RefusesConnectedSocket() throws {
        let certificate = try E2ECertificate()
        let port = try Self.freePort()
        let launcher = try SocketActivateLauncher(
            ["--accept", "-l", "127.0.0.1:\(port)", try ServerProcess.binaryPath()] + Self.serveArguments(certificate, []))
        defer { launcher.kill() }
        #expect(launcher.stderr.wait(timeout: 10) { $0.contains("Listening on") })
        let client = try TestSocket(port: UInt16(port))
        #expect(client.readUntilClosed(timeout: 10).closed)
        #expect(launcher.stderr.wait(timeout: 10) { $0.contains("is not listening; the .socket unit needs Accept=no") }, "\(launcher.stderr.text)")
    }

    /// Runs the server from a shell that opens `fd3` (a redirection) as descriptor 3 and exports `LISTEN_*` (`$$` is the
    /// server's pid after `exec`).
    static func runUnderShell(fd3: String, variables: String, _ certificate: E2ECertificate) throws -> SubprocessResult {
        let script = "exec 3\(fd3); export \(variables); exec \"$0\" \"$@\""
        return try Subprocess.run("/bin/sh", ["-c", script, try ServerProcess.binaryPath()] + Self.serveArguments(certificate, []), timeout: 20)
    }

    /// A descriptor that is not a socket, and malformed LISTEN_* values, stop the start with exit 2 and one line naming them.
    @Test func socketActivation_RefusesNonSocketAndMalformedVariables() throws {
        let certificate = try E2ECertificate()
        let cases: [(variables: String, message: String)] = [
            ("LISTEN_PID=$$ LISTEN_FDS=1", "socket \"unknown\" (fd 3) passed by systemd is not a socket; use ListenStream="),
            ("LISTEN_PID=$$ LISTEN_FDS=one", "LISTEN_FDS=one is not a number of sockets"),
            ("LISTEN_PID=x LISTEN_FDS=1", "LISTEN_PID=x is not a process id"),
            ("LISTEN_PID=$$ LISTEN_FDS=2 LISTEN_FDNAMES=https", "LISTEN_FDNAMES names 1 sockets but LISTEN_FDS says 2"),
            ("LISTEN_PID=$$ LISTEN_FDS=4", "systemd passed 4 sockets; oauth-landing takes at most 3"),
        ]
        for (variables, message) in cases {
            let result = try Self.runUnderShell(fd3: "</dev/null", variables: variables, certificate)
            #expect(result.status == 2, "\(variables): \(result)")
            #expect(result.stderrText.contains("oauth-landing: \(message)"), "\(variables): \(result)")
            #expect(!result.stderrText.contains("\"msg\":\"listening\""), "\(variables)")
        }
    }

    /// Sockets meant for another process (LISTEN_PID not the server's) are left alone: the server binds --listen.
    @Test func socketActivation_IgnoresSocketsForAnotherProcess() throws {
        let certificate = try E2ECertificate()
        let script = "exec 3</dev/null; export LISTEN_PID=1 LISTEN_FDS=1; exec \"$0\" \"$@\""
        let child = try Subprocess("/bin/sh", ["-c", script, try ServerProcess.binaryPath()] + Self.serveArguments(certificate, []))
        defer { child.kill() }
        #expect(child.stderr.wait(timeout: 10) { $0.contains("\"msg\":\"listening\"") }, "\(child.stderr.text)")
        #expect(!child.stderr.text.contains("listener from systemd"))
        child.send(signal: SIGTERM)
        #expect(child.waitForExit(timeout: 10) == 0, "\(child.stderr.text)")
    }
}
