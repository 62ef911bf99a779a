/// One state change told to the service manager, as the datagram `sd_notify(3)` documents: lines of
/// `VARIABLE=value` separated by newlines. Only the message is built here; `SystemdNotifier`
/// (LandingIO) sends it to `$NOTIFY_SOCKET`.
public enum SystemdNotification: Sendable, Equatable {
    /// Start-up finished, or a reload did: `READY=1` (with `Type=notify`, systemd waits for it).
    case ready(status: String)
    /// A reload began: `RELOADING=1` with the `CLOCK_MONOTONIC` time in microseconds
    /// (`MONOTONIC_USEC`), which `Type=notify-reload` requires and `Type=notify` accepts; `READY=1`
    /// ends it.
    case reloading(monotonicMicroseconds: UInt64, status: String)
    /// Shutdown began: `STOPPING=1`.
    case stopping(status: String)
    /// Alive: `WATCHDOG=1` (systemd kills the service when these stop for `WatchdogSec=`).
    case watchdog
    /// Only a status line, as `systemctl status` shows it.
    case status(String)

    /// The datagram's text.
    public var message: String {
        switch self {
        case .ready(let status):
            return "READY=1\nSTATUS=\(Self.statusLine(status))"
        case .reloading(let microseconds, let status):
            return "RELOADING=1\nMONOTONIC_USEC=\(microseconds)\nSTATUS=\(Self.statusLine(status))"
        case .stopping(let status):
            return "STOPPING=1\nSTATUS=\(Self.statusLine(status))"
        case .watchdog:
            return "WATCHDOG=1"
        case .status(let status):
            return "STATUS=\(Self.statusLine(status))"
        }
    }

    /// `status` as one `STATUS=` value: a newline would start another assignment, so control
    /// characters become spaces; at most 512 bytes (a status line, not a log).
    static func statusLine(_ status: String) -> String {
        var line = String(String.UnicodeScalarView(status.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
        if line.utf8.count > 512 {
            var cut = ""
            for character in line {
                if cut.utf8.count + character.utf8.count > 509 { break }
                cut.append(character)
            }
            line = cut + "..."
        }
        return line
    }
}
