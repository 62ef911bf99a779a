import Foundation
import Glibc
import Testing

@testable import LandingIO

/// Many idle TLS keep-alive connections held open against one server process.
@Suite struct EndToEndScaleTests {
    static let connectionCount = 10_000
    /// Handshakes run on this many client threads.
    static let clientThreads = 4
    /// The test fails rather than run longer than this.
    static let budget: Double = 120

    /// One server holds 10,000 idle TLS keep-alive connections, still serves, and frees them when closed.
    @Test func endToEnd_Holds10000IdleTLSConnections_AndStillServes() throws {
        let available = try Self.raiseDescriptorLimit()
        try #require(available >= UInt(Self.connectionCount + 500), "RLIMIT_NOFILE hard limit \(available) is too low")
        // All clients share 127.0.0.1: the per-address and handshake-rate limits are lifted.
        let server = try ServerProcess([
            "--idle-timeout", "600", "--header-timeout", "120", "--access-log", "off", "--max-connections-per-address", "0",
            "--max-handshakes-per-second", "0",
        ])
        defer { server.stop() }
        let serverLimit = server.listeningLine["open_files_limit"] as? Int ?? 0
        try #require(serverLimit >= Self.connectionCount + 100, "the server's descriptor limit is \(serverLimit)")

        let started = Date()
        let deadline = started.addingTimeInterval(Self.budget)
        let perThread = Self.connectionCount / Self.clientThreads
        let results = E2ELocked<[[RawTLSClient]]>([])
        let failures = E2ELocked<[String]>([])
        let group = DispatchGroup()
        for index in 0..<Self.clientThreads {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                let scratch = TLSEngine.Scratch.allocate()
                defer { scratch.deallocate() }
                var clients: [RawTLSClient] = []
                clients.reserveCapacity(perThread)
                for n in 0..<perThread {
                    if Date() > deadline {
                        failures.withLock { $0.append("thread \(index): budget exhausted after \(n) connections") }
                        break
                    }
                    do {
                        // Keep the TLS state of one connection in 1000 for requests later (with its
                        // own scratch: the shared one dies with this thread); the rest hold just their socket.
                        let sampled = n % 1000 == 0
                        let client = try RawTLSClient(port: server.port, timeout: 30, scratch: sampled ? nil : scratch)
                        // TLS 1.3: the session tickets arrive once the server has processed our Finished,
                        // so the server's handshake is known complete.
                        if n % 100 == 0 { _ = client.pump(timeout: 5) }
                        if !sampled { client.releaseEngine() }
                        clients.append(client)
                    } catch {
                        failures.withLock { $0.append("thread \(index) connection \(n): \(error)") }
                        break
                    }
                }
                results.withLock { $0.append(clients) }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        let clients = results.withLock { $0.flatMap { $0 } }
        let handshakeSeconds = Date().timeIntervalSince(started)
        print("EndToEndScaleTests: \(clients.count) TLS connections established in \(String(format: "%.1f", handshakeSeconds)) s")
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0.prefix(5) })")
        #expect(clients.count == Self.connectionCount)

        // The server really holds them: one descriptor each.
        let held = try #require(server.openDescriptorCount, "cannot read /proc/\(server.pid)/fd")
        #expect(held >= Self.connectionCount, "the server holds only \(held) descriptors")
        // It still serves a new client...
        let curl = try Curl.fetch(server.baseURL + "/healthz")
        #expect(curl.response.status == 200)
        // ...and the sampled held connections, the oldest included, still answer.
        let sampled = clients.filter { $0.engine != nil }
        #expect(sampled.count >= Self.connectionCount / 1000)
        for client in sampled {
            do {
                try client.send(Request.get("/healthz"))
                #expect(try client.readResponse(timeout: 20).status == 200)
            } catch {
                Issue.record("a held connection did not answer: \(error)")
            }
        }
        #expect(Date() < deadline, "the test ran past its \(Self.budget) s budget")

        // Close them all (RST: no TIME_WAIT left behind on the client's ports); the server lets go.
        for client in clients { client.close(reset: true) }
        var open = server.openDescriptorCount ?? 0
        let closeDeadline = Date(timeIntervalSinceNow: 30)
        while open > 100 && Date() < closeDeadline {
            usleep(100_000)
            open = server.openDescriptorCount ?? 0
        }
        #expect(open <= 100, "the server still holds \(open) descriptors after the clients closed")
        #expect(try Curl.fetch(server.baseURL + "/healthz").response.status == 200)
        #expect(server.stop() == 0)
        print("EndToEndScaleTests: whole test took \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    /// Raises this process's soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
    static func raiseDescriptorLimit() throws -> UInt {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { throw E2EError("getrlimit: errno \(errno)") }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { throw E2EError("setrlimit: errno \(errno)") }
        }
        return UInt(limit.rlim_cur)
    }
}
