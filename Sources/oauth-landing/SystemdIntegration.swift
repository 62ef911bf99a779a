import Foundation
import Glibc
import LandingCore
import LandingIO

/// What `serve` does for systemd, kept out of `ServeCommand`'s way: takes the listening sockets of
/// socket activation, tells the manager about start-up, reloads and shutdown (`Type=notify`), and
/// pings its watchdog while the event loops turn. Without the variables (not under systemd) every
/// method does nothing.
struct SystemdIntegration {
    /// The variables read, all removed from the environment once read (as `sd_notify(3)`,
    /// `sd_listen_fds(3)` and `sd_watchdog_enabled(3)` do when asked to), so no child inherits them.
    static let variables = ["NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID"]

    let logger: Logger
    let notifier: SystemdNotifier?
    let watchdogSettings: WatchdogSettings?
    /// The listeners systemd passed, by the role their name gives them.
    private(set) var listeners: [SocketActivation.Role: ListeningSocket] = [:]
    private var watchdog: SystemdWatchdog?
    private var reloadProblems: [String] = []

    /// Reads and unsets the variables, adopts the passed sockets and opens the notification socket.
    /// Call before any other thread starts (`unsetenv` is not thread-safe). A malformed
    /// `NOTIFY_SOCKET` or `WATCHDOG_*` is logged and that part stays off; malformed `LISTEN_*`
    /// variables or an unusable socket end the process with status 2, since binding the configured
    /// addresses instead would not be what the unit asked for.
    static func take(logger: Logger) -> SystemdIntegration {
        var values: [String: String] = [:]
        for name in variables {
            if let value = getenv(name) { values[name] = String(cString: value) }
            unsetenv(name)
        }
        return SystemdIntegration(values: values, logger: logger)
    }

    private init(values: [String: String], logger: Logger) {
        self.logger = logger
        let pid = getpid()
        var notifier: SystemdNotifier?
        if let value = values["NOTIFY_SOCKET"] {
            do {
                notifier = try SystemdNotifier(address: NotifySocketAddress(parsing: value))
            } catch {
                logger.warning("no notifications to systemd", ["error": "\(error)"])
            }
        }
        self.notifier = notifier
        var watchdogSettings: WatchdogSettings?
        do {
            watchdogSettings = try WatchdogSettings.parse(usec: values["WATCHDOG_USEC"], pid: values["WATCHDOG_PID"], ownPID: pid)
        } catch {
            logger.warning("no watchdog pings to systemd", ["error": error.message])
        }
        if watchdogSettings != nil && notifier == nil {
            logger.warning("WATCHDOG_USEC is set but NOTIFY_SOCKET is not: no watchdog pings can be sent")
        }
        self.watchdogSettings = watchdogSettings
        do {
            guard let activation = try SocketActivation.parse(
                pid: values["LISTEN_PID"], fds: values["LISTEN_FDS"], names: values["LISTEN_FDNAMES"], ownPID: pid)
            else { return }
            for (role, descriptor) in try activation.roles() {
                listeners[role] = try ListeningSocket.adopting(descriptor)
            }
        } catch {
            fail(error.message)
        }
    }

    /// The listener systemd passed for `role`, if any.
    func listener(_ role: SocketActivation.Role) -> ListeningSocket? { listeners[role] }

    /// Points the configuration at the passed sockets (their addresses replace `--listen`,
    /// `--http-listen`, `--metrics-listen`, so a passed `http` or `metrics` socket turns that
    /// listener on) and logs each one.
    func adopt(into config: inout ServerConfig) {
        for role in SocketActivation.Role.allCases {
            guard let socket = listeners[role] else { continue }
            let address = ServerConfig.ListenAddress(host: socket.address.host, port: socket.address.port)
            var replaced = ""
            switch role {
            case .https:
                replaced = config.listen.description
                config.listen = address
            case .http:
                replaced = config.httpListen?.description ?? ""
                config.httpListen = address
            case .metrics:
                replaced = config.metricsListen?.description ?? ""
                config.metricsListen = address
            }
            var metadata = ["listener": role.rawValue, "address": socket.address.description, "fd": "\(socket.fd)"]
            if !replaced.isEmpty { metadata["ignored_\(role.option.dropFirst(2).replacingOccurrences(of: "-", with: "_"))"] = replaced }
            logger.info("listener from systemd", metadata)
        }
    }

    // MARK: - Notifications

    /// Start-up done: `READY=1` with where the server listens.
    func ready(server: Server) {
        send(.ready(status: Self.status(server, problems: [])))
    }

    /// SIGHUP received: `RELOADING=1` with the monotonic time, before anything is reloaded.
    mutating func reloading() {
        reloadProblems = []
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        send(.reloading(monotonicMicroseconds: microseconds, status: "reloading the certificate and templates"))
    }

    /// Part of a reload failed (the previous one stays in use); said in the next status line.
    mutating func reloadFailed(_ what: String) {
        reloadProblems.append(what)
    }

    /// The reload is over: `READY=1` again, the status saying what failed, if anything.
    func reloaded(server: Server) {
        send(.ready(status: Self.status(server, problems: reloadProblems)))
    }

    /// SIGTERM or SIGINT received: `STOPPING=1` before the drain begins.
    func stopping(signal: String) {
        send(.stopping(status: "draining after \(signal)"))
    }

    /// Starts pinging the watchdog, if systemd asked for one.
    mutating func startWatchdog(server: Server) {
        guard let settings = watchdogSettings, let notifier, watchdog == nil else { return }
        let logger = self.logger
        let watchdog = SystemdWatchdog(
            settings: settings, loopIdleSeconds: { server.loopIdleSeconds },
            ping: { _ = notifier.send(.watchdog) },
            log: { line in logger.warning(line) })
        watchdog.start()
        self.watchdog = watchdog
        logger.info("watchdog", ["timeout_seconds": "\(Double(settings.timeoutMicroseconds) / 1_000_000)", "ping_seconds": "\(settings.pingInterval)"])
    }

    private func send(_ notification: SystemdNotification) {
        guard let notifier else { return }
        if case .failure(let error) = notifier.send(notification) {
            logger.warning("cannot notify systemd", ["socket": notifier.address.display, "error": error.description])
        }
    }

    /// The `STATUS=` line: the listeners, and what the last reload could not reload.
    private static func status(_ server: Server, problems: [String]) -> String {
        var parts = ["https on \(server.httpsAddress?.description ?? "?")"]
        if let http = server.httpAddress { parts.append("http on \(http)") }
        if let metrics = server.metricsAddress { parts.append("metrics on \(metrics)") }
        var line = "serving " + parts.joined(separator: ", ")
        if !problems.isEmpty {
            line += "; last reload failed for the \(problems.joined(separator: " and ")), the previous one is in use (see the log)"
        }
        return line
    }
}
