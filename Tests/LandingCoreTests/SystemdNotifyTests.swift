import LandingCore
import Testing

/// The `sd_notify(3)` messages and the `$NOTIFY_SOCKET` address, without a socket.
@Suite struct SystemdNotifyTests {
    /// Each notification is the documented assignments, one per line, READY/RELOADING/STOPPING first.
    @Test func notification_IsTheDocumentedAssignments() {
        #expect(SystemdNotification.ready(status: "serving https on 127.0.0.1:8443").message == "READY=1\nSTATUS=serving https on 127.0.0.1:8443")
        #expect(
            SystemdNotification.reloading(monotonicMicroseconds: 123_456_789, status: "reloading").message
                == "RELOADING=1\nMONOTONIC_USEC=123456789\nSTATUS=reloading")
        #expect(SystemdNotification.stopping(status: "draining after SIGTERM").message == "STOPPING=1\nSTATUS=draining after SIGTERM")
        #expect(SystemdNotification.watchdog.message == "WATCHDOG=1")
        #expect(SystemdNotification.status("x").message == "STATUS=x")
    }

    /// A newline or other control character in a status cannot start another assignment (no READY=1 smuggled in).
    @Test func notification_StatusStaysOneLine_WhenTextHasControlCharacters() {
        let message = SystemdNotification.stopping(status: "a\nREADY=1\r\u{0}\u{7F}b").message
        #expect(message == "STOPPING=1\nSTATUS=a READY=1   b")
        #expect(message.split(separator: "\n").count == 2)
    }

    /// A very long status is cut to at most 512 bytes, on a character boundary.
    @Test func notification_StatusIsCut_WhenLong() {
        let message = SystemdNotification.status(String(repeating: "é", count: 1000)).message
        let status = message.dropFirst("STATUS=".count)
        #expect(status.utf8.count <= 512)
        #expect(status.hasSuffix("..."))
        #expect(status.hasPrefix("éé"))
    }

    /// A path and an @name are the two forms; the abstract name's sun_path starts with NUL, the path's does not end with one.
    @Test func notifySocket_ParsesPathAndAbstractName() throws {
        #expect(try NotifySocketAddress(parsing: "/run/systemd/notify") == .path("/run/systemd/notify"))
        #expect(try NotifySocketAddress(parsing: "/run/systemd/notify").sunPathBytes == Array("/run/systemd/notify".utf8))
        #expect(try NotifySocketAddress(parsing: "@landing/notify") == .abstract("landing/notify"))
        #expect(try NotifySocketAddress(parsing: "@landing").sunPathBytes == [0] + Array("landing".utf8))
        #expect(try NotifySocketAddress(parsing: "@landing").display == "@landing")
    }

    /// Relative paths, an empty name, vsock addresses and names longer than sun_path are refused with the variable named.
    @Test func notifySocket_IsRefused_WhenNotAUsableAddress() {
        for value in ["", "run/notify", "@", "vsock:2:1234", "/" + String(repeating: "a", count: 107), "@" + String(repeating: "a", count: 108)] {
            #expect(throws: SystemdEnvironmentError.self, "\(value)") { try NotifySocketAddress(parsing: value) }
        }
        #expect(throws: Never.self) { try NotifySocketAddress(parsing: "/" + String(repeating: "a", count: 106)) }
        #expect(throws: Never.self) { try NotifySocketAddress(parsing: "@" + String(repeating: "a", count: 107)) }
        do {
            _ = try NotifySocketAddress(parsing: "relative")
        } catch {
            #expect(error.message.contains("NOTIFY_SOCKET=relative"))
        }
    }
}
