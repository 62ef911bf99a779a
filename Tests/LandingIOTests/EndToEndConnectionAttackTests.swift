import Foundation
import Glibc
import Synchronization
import Testing

/// The connection-layer attacks against the real server over TLS on loopback (two loops): each
/// failed on the layer before the connection state machine.
@Suite struct EndToEndConnectionAttackTests {
    static func curlGet(_ server: ServerProcess, _ path: String) throws -> String {
        try Curl.run(["https://127.0.0.1:\(server.port)\(path)"]).stdoutText
    }

    /// A sample's value from the server's metrics listener (started with `ServerProcess.metricsListen`).
    static func metric(_ server: ServerProcess, _ name: String) throws -> Double? {
        let response = try Curl.run([try server.metricsURL]).stdoutText
        for line in response.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ").last ?? "")
        }
        return nil
    }

    /// An attacker that sends exactly one full read (64 KiB of TLS records holding pipelined
    /// requests) and resets, repeatedly, never makes another client on either loop receive a byte
    /// that is not its own.
    @Test func leak_ResetAfterExactlyOneFullRead_VictimsGetOnlyTheirOwn() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        // 65,448 bytes of plaintext become four TLS 1.3 records of 22 bytes' overhead each: 65,536
        // bytes on the wire, exactly the server's read buffer, so its next read meets the reset.
        let request = Array("GET /oauth/callback HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        var plaintext: [UInt8] = []
        while plaintext.count < 65_448 { plaintext += request }
        plaintext = Array(plaintext.prefix(65_448))
        for round in 0..<8 {
            var attackers: [RawTLSClient] = []
            for _ in 0..<2 { attackers.append(try RawTLSClient(port: server.port)) }
            for attacker in attackers {
                try attacker.send(plaintext)
                attacker.close(reset: true)
            }
            for v in 0..<4 {
                let victim = try RawTLSClient(port: server.port)
                try victim.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                let response = try victim.readResponse()
                #expect(response.status == 200, "round \(round) victim \(v)")
                #expect(response.bodyText.hasPrefix("ok") || response.bodyText.count < 40, "round \(round) victim \(v): \(response.bodyText.prefix(80))")
                _ = victim.waitForClose(timeout: 5)
                #expect(victim.takeBufferedResponse() == nil, "round \(round) victim \(v): extra bytes after its own response")
            }
        }
    }

    /// 10 clients posting 200 KB to the callback over --max-body-bytes all read their 413 (the
    /// server lingers instead of resetting them).
    @Test func linger_EveryClientReadsIts413() throws {
        let server = try ServerProcess(["--max-body-bytes", "65536"])
        defer { server.stop() }
        let body = [UInt8](repeating: 0x61, count: 200_000)
        let results = Mutex<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 10) { _ in
            var status = -1
            if let client = try? RawTLSClient(port: server.port) {
                try? client.send("POST /oauth/callback HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.count)\r\n\r\n")
                for chunk in stride(from: 0, to: body.count, by: 16_384) {
                    try? client.send(Array(body[chunk..<min(chunk + 16_384, body.count)]))
                }
                status = (try? client.readResponse(timeout: 10).status) ?? -2
                client.close()
            }
            results.withLock { $0.append(status) }
        }
        #expect(results.withLock { $0 } == Array(repeating: 413, count: 10))
    }

    /// 300 long-polls whose clients send and close at once hold no waiter and no descriptor: the
    /// server notices each disconnect while the response is owed.
    @Test func zombie_SendAndCloseLongPollsReleasedAtOnce() throws {
        let server = try ServerProcess(ServerProcess.metricsListen)
        defer { server.stop() }
        for i in 0..<300 {
            let client = try RawTLSClient(port: server.port)
            try client.send("GET /v1/items/zombie-\(i) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(ServerProcess.apiKey)\r\nPrefer: wait=60\r\n\r\n")
            client.close()
        }
        var waiting: Double? = nil
        var open: Double? = nil
        for _ in 0..<50 {
            waiting = try Self.metric(server, "landing_longpolls_waiting")
            open = try Self.metric(server, "landing_open_connections")
            if waiting == 0 && (open ?? 99) <= 2 { break }
            usleep(100_000)
        }
        #expect(waiting == 0)
        #expect((open ?? 99) <= 2)
    }

    /// Beyond --max-connections-per-address, new connections from that address are refused at
    /// accept, and counted; the ones already open still work.
    @Test func limits_ConnectionsPerAddress() throws {
        let server = try ServerProcess(["--max-connections-per-address", "5"] + ServerProcess.metricsListen)
        defer { server.stop() }
        var held: [RawTLSClient] = []
        for _ in 0..<5 { held.append(try RawTLSClient(port: server.port)) }
        // A sixth is refused (reset before its handshake).
        #expect(throws: (any Error).self) { _ = try RawTLSClient(port: server.port, timeout: 3) }
        try held[0].send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try held[0].readResponse().status == 200)
        held.removeAll()
        usleep(200_000)
        let refused = try Curl.run([try server.metricsURL]).stdoutText
        #expect(refused.contains("landing_connections_refused_total{limit=\"max_connections_per_address\"} 1"))
    }
}
