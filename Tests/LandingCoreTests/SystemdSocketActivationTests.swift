import LandingCore
import Testing

/// `$LISTEN_PID` / `$LISTEN_FDS` / `$LISTEN_FDNAMES` as `sd_listen_fds_with_names(3)` reads them,
/// and which listener each passed socket replaces.
@Suite struct SystemdSocketActivationTests {
    private func parse(pid: String? = "42", fds: String?, names: String? = nil) throws(SystemdEnvironmentError) -> SocketActivation? {
        try SocketActivation.parse(pid: pid, fds: fds, names: names, ownPID: 42)
    }

    /// Descriptors start at 3, in order, with their names; unnamed ones are "unknown".
    @Test func parse_NumbersFromThree_WithNames() throws {
        let named = try #require(try parse(fds: "2", names: "https:metrics"))
        #expect(named.descriptors == [.init(fd: 3, name: "https"), .init(fd: 4, name: "metrics")])
        let unnamed = try #require(try parse(fds: "1"))
        #expect(unnamed.descriptors == [.init(fd: 3, name: "unknown")])
    }

    /// Sockets meant for another process (LISTEN_PID not ours), or none at all, are not ours to take.
    @Test func parse_IsNil_WhenNotForThisProcess() throws {
        #expect(try parse(pid: "43", fds: "1") == nil)
        #expect(try parse(pid: nil, fds: "1") == nil)
        #expect(try parse(fds: nil) == nil)
        #expect(try parse(fds: "0") == nil)
    }

    /// Malformed numbers, a name count that differs from LISTEN_FDS, and more sockets than listeners are refused.
    @Test func parse_RefusesMalformedValues() {
        for (pid, fds, names) in [
            ("x", "1", nil), ("", "1", nil), ("-42", "1", nil), ("42", "one", nil), ("42", "-1", nil), ("42", " 1", nil),
            ("42", "2", "https"), ("42", "1", "https:http"), ("42", "4", nil), ("42", "99999999999", nil),
        ] as [(String, String, String?)] {
            #expect(throws: SystemdEnvironmentError.self, "\(pid) \(fds) \(names ?? "-")") {
                try SocketActivation.parse(pid: pid, fds: fds, names: names, ownPID: 42)
            }
        }
        do {
            _ = try parse(fds: "2", names: "https")
        } catch {
            #expect(error.message.contains("LISTEN_FDNAMES names 1 sockets but LISTEN_FDS says 2"))
        }
    }

    /// An empty name in LISTEN_FDNAMES still counts as one socket (systemd does not coalesce colons).
    @Test func parse_KeepsEmptyNames() throws {
        let activation = try #require(try parse(fds: "2", names: "https:"))
        #expect(activation.descriptors.map(\.name) == ["https", ""])
    }

    /// A lone socket is the HTTPS listener unless it is named http or metrics.
    @Test func roles_LoneSocketIsHTTPS_UnlessNamedOtherwise() throws {
        for name in ["unknown", "https", "oauth-landing.socket", ""] {
            let roles = try SocketActivation(descriptors: [.init(fd: 3, name: name)]).roles()
            #expect(roles == [.https: .init(fd: 3, name: name)], "\(name)")
        }
        #expect(try SocketActivation(descriptors: [.init(fd: 3, name: "metrics")]).roles() == [.metrics: .init(fd: 3, name: "metrics")])
        #expect(try SocketActivation(descriptors: [.init(fd: 3, name: "http")]).roles() == [.http: .init(fd: 3, name: "http")])
    }

    /// Several sockets go by name: https, http and metrics each once.
    @Test func roles_SeveralSocketsGoByName() throws {
        let roles = try SocketActivation(descriptors: [.init(fd: 3, name: "metrics"), .init(fd: 4, name: "https"), .init(fd: 5, name: "http")]).roles()
        #expect(roles[.https]?.fd == 4)
        #expect(roles[.http]?.fd == 5)
        #expect(roles[.metrics]?.fd == 3)
    }

    /// Among several sockets an unknown name or a repeated one is refused, saying how to name them.
    @Test func roles_RefusesUnnamedOrRepeatedSockets() {
        do {
            _ = try SocketActivation(descriptors: [.init(fd: 3, name: "https"), .init(fd: 4, name: "unknown")]).roles()
            Issue.record("an unnamed second socket was accepted")
        } catch {
            #expect(error.message.contains("fd 4 is named \"unknown\""))
            #expect(error.message.contains("FileDescriptorName="))
        }
        do {
            _ = try SocketActivation(descriptors: [.init(fd: 3, name: "https"), .init(fd: 4, name: "https")]).roles()
            Issue.record("two https sockets were accepted")
        } catch {
            #expect(error.message.contains("two sockets named https (fds 3 and 4)"))
        }
    }
}
