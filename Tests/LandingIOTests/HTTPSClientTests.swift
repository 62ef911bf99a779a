import Foundation
import Glibc
import LandingCore
import Testing
@testable import LandingIO

/// A client trusting only the shared test CA, with short timeouts.
func testHTTPSClient(trusting ca: PluggyTestCA = .shared, totalTimeout: Double = 5, limits: HTTPResponseParserLimits = .default) throws -> HTTPSClient {
    try HTTPSClient(trust: .caFile(ca.certificatePath), configuration: HTTPSClient.Configuration(connectTimeout: 2, totalTimeout: totalTimeout, limits: limits))
}

/// A GET that the fake server answers with its 404 (or a scripted answer).
private let probeRequest = try! HTTPClientRequest(method: .get, target: "/items/probe", headers: HTTPHeaders([("X-API-KEY", "none")]))

/// A port on 127.0.0.1 that nothing listens on (bound, then closed).
func closedLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

@Suite struct HTTPSClientTests {
    /// A request to a server whose certificate chains to the trusted CA and names the host gets its response.
    @Test func httpsClient_ReadsResponse_WhenCertificateVerifies() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        server.scriptItems(FakePluggyServer.response("200 OK", headers: ["X-Test: yes"], body: "hello"))
        let response = try testHTTPSClient().send(probeRequest, to: server.endpoint).get()
        #expect(response.statusCode == 200)
        #expect(response.headers["X-Test"] == "yes")
        #expect(response.body == Array("hello".utf8))
    }

    /// An IP-literal endpoint is verified against the certificate's iPAddress SAN.
    @Test func httpsClient_VerifiesIPAddressSAN() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        let response = try testHTTPSClient().send(probeRequest, to: HTTPSEndpoint(host: "127.0.0.1", port: server.port)).get()
        #expect(response.statusCode == 401)
    }

    /// A chunked response and one framed by close_notify are read whole.
    @Test func httpsClient_ReadsChunkedAndCloseFramedBodies() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        server.scriptItems(
            .raw(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n".utf8)),
            .raw(Array("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close".utf8)))
        let client = try testHTTPSClient()
        #expect(try client.send(probeRequest, to: server.endpoint).get().body == Array("abcde".utf8))
        let closeFramed = try client.send(probeRequest, to: server.endpoint).get()
        #expect(closeFramed.body == Array("until close".utf8))
        #expect(closeFramed.closesConnection)
    }

    /// A certificate from a CA the client does not trust fails verification, as a value.
    @Test func httpsClient_RefusesUntrustedCertificate() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        let result = try testHTTPSClient(trusting: .other).send(probeRequest, to: server.endpoint)
        guard case .failure(.certificate(let reason, let details)) = result else {
            Issue.record("expected a certificate error, got \(result)")
            return
        }
        #expect(reason.contains("local issuer"))
        #expect(!details.openSSLErrors.isEmpty)
    }

    /// A trusted certificate that names another host fails verification (SSL_set1_host).
    @Test func httpsClient_RefusesWrongHostName() throws {
        let server = try FakePluggyServer(certificate: try PluggyTestCA.shared.issue(name: "elsewhere", subjectAltNames: "DNS:api.pluggy.test,IP:10.9.9.9"))
        defer { server.stop() }
        let client = try testHTTPSClient()
        for endpoint in [server.endpoint, HTTPSEndpoint(host: "127.0.0.1", port: server.port)] {
            let result = client.send(probeRequest, to: endpoint)
            guard case .failure(.certificate(let reason, _)) = result else {
                Issue.record("expected a certificate error for \(endpoint), got \(result)")
                continue
            }
            #expect(reason.contains("mismatch"))
        }
    }

    /// A port nobody listens on gives a connect error quickly.
    @Test func httpsClient_ReportsConnectionRefused_Quickly() throws {
        let start = Date()
        let result = try testHTTPSClient().send(probeRequest, to: HTTPSEndpoint(host: "127.0.0.1", port: closedLoopbackPort()))
        #expect(result == .failure(.connect(SystemError(call: "connect", errno: ECONNREFUSED))))
        #expect(Date().timeIntervalSince(start) < 1)
    }

    /// An unresolvable host name is a resolve error.
    @Test func httpsClient_ReportsResolveFailure() throws {
        let result = try testHTTPSClient().send(probeRequest, to: HTTPSEndpoint(host: "no-such-host.invalid"))
        guard case .failure(.resolve(let host, _)) = result else {
            Issue.record("expected a resolve error, got \(result)")
            return
        }
        #expect(host == "no-such-host.invalid")
    }

    /// A server that accepts but never answers runs into the total timeout.
    @Test func httpsClient_TimesOut_WhenTheServerIsSilent() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        server.scriptItems(.silence(3))
        let start = Date()
        let result = try testHTTPSClient(totalTimeout: 0.5).send(probeRequest, to: server.endpoint)
        #expect(result == .failure(.timeout(.response)))
        #expect(Date().timeIntervalSince(start) < 2)
    }

    /// Oversized, malformed and truncated responses are errors, not crashes.
    @Test func httpsClient_RefusesBadResponses() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        let client = try testHTTPSClient(limits: HTTPResponseParserLimits(maxBodyBytes: 1024))
        server.scriptItems(
            FakePluggyServer.response("200 OK", body: String(repeating: "x", count: 2048)),
            .raw(Array("HTTP/1.1 200 OK\r\n\r\n".utf8) + [UInt8](repeating: 0x78, count: 4096)),
            .raw(Array("HTTP/1.1 2000 OK\r\n\r\n".utf8)),
            .raw(Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".utf8)),
            .raw([]))
        #expect(client.send(probeRequest, to: server.endpoint) == .failure(.response(.bodyTooLarge)))
        #expect(client.send(probeRequest, to: server.endpoint) == .failure(.response(.bodyTooLarge)))
        #expect(client.send(probeRequest, to: server.endpoint) == .failure(.response(.malformedStatusLine)))
        #expect(client.send(probeRequest, to: server.endpoint) == .failure(.response(.truncated)))
        #expect(client.send(probeRequest, to: server.endpoint) == .failure(.response(.closedBeforeResponse)))
    }

    /// With the system trust, SSL_CERT_FILE decides what is trusted (checked in a child test process, where the variable is set before the context is built).
    @Test func httpsClient_SystemTrust_RespectsSSLCertFile() throws {
        let server = try FakePluggyServer()
        defer { server.stop() }
        let trusted = try runTrustProbe(port: server.port, certFile: PluggyTestCA.shared.certificatePath, expect: "trusted")
        #expect(trusted.succeeded, "\(trusted)")
        let untrusted = try runTrustProbe(port: server.port, certFile: PluggyTestCA.other.certificatePath, expect: "untrusted")
        #expect(untrusted.succeeded, "\(untrusted)")
    }

    /// Runs `HTTPSClientTrustProbe` in a child copy of this test binary with SSL_CERT_FILE set.
    private func runTrustProbe(port: Int, certFile: String, expect: String) throws -> (succeeded: Bool, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["--testing-library", "swift-testing", "--filter", "HTTPSClientTrustProbe"]
        var environment = E2EProcessSetup.childEnvironment
        environment["SSL_CERT_FILE"] = certFile
        environment["SSL_CERT_DIR"] = "/nonexistent"
        environment["LANDING_TRUST_PROBE_PORT"] = String(port)
        environment["LANDING_TRUST_PROBE_EXPECT"] = expect
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // The probe must have run (a skipped suite also exits 0).
        return (process.terminationStatus == 0 && output.contains("Test probe() passed"), output)
    }
}

/// Runs only in the child process `httpsClient_SystemTrust_RespectsSSLCertFile` starts.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["LANDING_TRUST_PROBE_PORT"] != nil))
struct HTTPSClientTrustProbe {
    /// With `.system` trust, the server is trusted exactly when SSL_CERT_FILE names its CA.
    @Test func probe() throws {
        let environment = ProcessInfo.processInfo.environment
        let port = Int(environment["LANDING_TRUST_PROBE_PORT"] ?? "") ?? 0
        let client = try HTTPSClient(trust: .system, configuration: HTTPSClient.Configuration(connectTimeout: 2, totalTimeout: 5))
        let result = client.send(probeRequest, to: HTTPSEndpoint(host: "localhost", port: port))
        if environment["LANDING_TRUST_PROBE_EXPECT"] == "trusted" {
            #expect(throws: Never.self) { try result.get() }
        } else {
            guard case .failure(.certificate) = result else {
                Issue.record("expected a certificate error, got \(result)")
                return
            }
        }
    }
}
