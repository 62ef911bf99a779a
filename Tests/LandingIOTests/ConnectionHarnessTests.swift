import CLinux
import Foundation
import Glibc
import LandingCore
import Synchronization
import Testing

@testable import LandingIO

/// The connection layer under attack, in process: real `EventLoop`, `Connection` and `TLSEngine` over
/// socketpairs, turned by hand with a manual clock.
@Suite struct ConnectionHarnessTests {
    static func pipelined(_ count: Int, path: (Int) -> String) -> String {
        (0..<count).map { "GET \(path($0)) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined()
    }

    // MARK: - No byte crosses between users

    /// An attacker that pipelines a full read's worth of requests and then resets leaves nothing
    /// behind: the next client on the loop gets exactly its own response (plain and TLS).
    @Test(arguments: [false, true]) func leak_ResetAfterFullRead_VictimGetsOnlyItsOwn(tls: Bool) throws {
        let app = HarnessApplication()
        let h = try LoopHarness(tls: tls, application: app.application)
        let attacker = try h.connect(peer: "10.0.0.66")
        // Something the attacker never reads, so its close becomes a reset for the server.
        attacker.send("GET /big/200000 HTTP/1.1\r\nHost: x\r\n\r\n")
        h.turn()
        attacker.send(Self.pipelined(1200) { "/echo/attacker-\($0)" })
        attacker.reset()
        let victim = try h.connect(peer: "10.0.0.7")
        victim.send("GET /echo/victim HTTP/1.1\r\nHost: x\r\n\r\n")
        let responses = victim.responses(1)
        #expect(responses.map(\.body) == ["victim"])
        h.settle(turns: 20)
        victim.pump()
        #expect(HarnessResponse.parseAll(victim.received).map(\.body) == ["victim"])
        #expect(!victim.tlsFailed)
        #expect(h.loop.plaintextOut.isEmpty && h.loop.cipherOut.isEmpty)
    }

    /// A forged TLS record after a full read makes only the attacker's connection fail, never another's.
    @Test func leak_ForgedRecord_OnlyAttackerFails() throws {
        let app = HarnessApplication()
        let h = try LoopHarness(tls: true, application: app.application)
        let attacker = try h.connect(peer: "10.0.0.66")
        attacker.send(Self.pipelined(600) { "/echo/a-\($0)" })
        attacker.sendRaw([0x17, 0x03, 0x03, 0x00, 0x20] + [UInt8](repeating: 0x41, count: 32))
        let victim = try h.connect(peer: "10.0.0.7")
        victim.send("GET /echo/v HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(victim.responses(1).map(\.body) == ["v"])
        #expect(!victim.tlsFailed)
        h.settle(turns: 50)
        attacker.pump()
        #expect(attacker.tlsFailed || attacker.sawEOF || attacker.sawReset)
    }

    /// Property: many clients on one loop, random pipelined batches, random resets, closes, garbage
    /// and partial reads; every surviving client receives exactly its own responses, in order.
    @Test(arguments: [1, 2, 3, 4]) func property_EachSurvivorGetsExactlyItsOwn(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let app = HarnessApplication()
        let h = try LoopHarness(tls: seed % 2 == 0, application: app.application)
        struct Client {
            var client: HarnessClient
            var name: String
            var sent: [String] = []
            var alive = true
        }
        var clients: [Client] = []
        for i in 0..<24 {
            clients.append(Client(client: try h.connect(peer: "10.0.1.\(i)", bufferSize: Int.random(in: 4096...65536, using: &rng)), name: "c\(i)"))
        }
        for round in 0..<30 {
            for i in clients.indices where clients[i].alive {
                switch Int.random(in: 0..<100, using: &rng) {
                case 0..<3:
                    clients[i].client.reset()
                    clients[i].alive = false
                case 3..<5:
                    clients[i].client.sendRaw([UInt8](repeating: 0x16, count: Int.random(in: 1...40, using: &rng)))
                    clients[i].alive = false
                case 5..<50:
                    let n = Int.random(in: 1...40, using: &rng)
                    var batch = ""
                    for _ in 0..<n {
                        let tag = "\(clients[i].name)-\(round)-\(clients[i].sent.count)"
                        clients[i].sent.append(tag)
                        batch += Bool.random(using: &rng)
                            ? "GET /echo/\(tag) HTTP/1.1\r\nHost: x\r\n\r\n" : "GET /echo/\(tag)?pad=\(String(repeating: "p", count: Int.random(in: 0...3000, using: &rng))) HTTP/1.1\r\nHost: x\r\n\r\n"
                    }
                    clients[i].client.send(batch)
                case 50..<80:
                    clients[i].client.pump()
                default:
                    break
                }
            }
            for _ in 0..<Int.random(in: 1...4, using: &rng) { h.turn() }
        }
        for i in clients.indices where clients[i].alive {
            let got = clients[i].client.responses(clients[i].sent.count, turns: 3000)
            #expect(got.map(\.body) == clients[i].sent, "client \(clients[i].name)")
        }
    }

    // MARK: - Bounded work and memory

    /// A client that pipelines 61 KB of requests and reads nothing makes the server hold at most
    /// about one batch of output and one read of input; everything is answered in order once it reads.
    @Test(arguments: [false, true]) func amplification_BoundedUntilTheClientReads(tls: Bool) throws {
        let app = HarnessApplication()
        let h = try LoopHarness(tls: tls, application: app.application)
        let flooder = try h.connect(peer: "10.0.0.66", bufferSize: 16 * 1024)
        let count = 61_000 / 40
        flooder.send(Self.pipelined(count) { "/big/\(2000 + $0 % 10)" })
        h.settle(turns: 100)
        let connection = try #require(flooder.connection)
        #expect(connection.unsentBytes <= 64 * 1024 + 16 * 1024 + 4096, "unsent \(connection.unsentBytes)")
        #expect(connection.bufferedInputBytes <= 64 * 1024, "buffered \(connection.bufferedInputBytes)")
        let handledWhileBlocked = app.handled.withLock { $0 }
        #expect(handledWhileBlocked < 60, "rendered \(handledWhileBlocked) responses for a client that reads nothing")
        // A well-behaved client on the same loop is answered at once.
        let other = try h.connect(peer: "10.0.0.8")
        other.send("GET /echo/ok HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(other.responses(1, turns: 5).map(\.body) == ["ok"])
        // Once the flooder reads, it gets all its responses, in order.
        let all = flooder.responses(count, turns: 20_000)
        #expect(all.count == count)
        #expect(all.allSatisfy { $0.status == 200 })
    }

    /// One connection's pipelined burst is answered at most maxRequestsPerWake (4) per turn:
    /// another connection's request is answered in the same turn as the burst's first ones.
    @Test func fairness_BurstYieldsToOthers() throws {
        let app = HarnessApplication()
        let h = try LoopHarness(application: app.application)
        let burst = try h.connect(peer: "10.0.0.1")
        let other = try h.connect(peer: "10.0.0.2")
        burst.send(Self.pipelined(200) { "/echo/b\($0)" })
        other.send("GET /echo/o HTTP/1.1\r\nHost: x\r\n\r\n")
        h.turn()
        other.pump()
        burst.pump()
        #expect(HarnessResponse.parseAll(other.received).map(\.body) == ["o"])
        #expect(HarnessResponse.parseAll(burst.received).count <= 4)
        h.turn()
        burst.pump()
        #expect(HarnessResponse.parseAll(burst.received).count <= 8)
        #expect(burst.responses(200).count == 200)
    }

    /// However many connections pipeline at once, one turn answers at most the loop's budget
    /// (128 requests), and a newcomer's request is answered within a turn or two.
    @Test func fairness_LoopBudgetBoundsATurn() throws {
        let app = HarnessApplication()
        let h = try LoopHarness(application: app.application)
        var flooders: [HarnessClient] = []
        for i in 0..<100 {
            let c = try h.connect(peer: "10.3.0.\(i)")
            c.send(Self.pipelined(50) { "/echo/f\(i)-\($0)" })
            flooders.append(c)
        }
        h.turn()
        let first = app.handled.withLock { $0 }
        #expect(first <= ServerLoop.requestsPerTurn)
        let probe = try h.connect(peer: "10.3.1.1")
        probe.send("GET /echo/probe HTTP/1.1\r\nHost: x\r\n\r\n")
        let before = app.handled.withLock { $0 }
        #expect(probe.responses(1, turns: 2).map(\.body) == ["probe"])
        #expect(app.handled.withLock { $0 } - before <= 2 * ServerLoop.requestsPerTurn + 1)
        for c in flooders { #expect(c.responses(50, turns: 2000).count == 50) }
    }

    /// A task that re-queues itself runs once per turn and cannot keep the loop from epoll.
    @Test func eventLoop_SelfRequeueingTaskDoesNotStarveTheLoop() throws {
        let h = try LoopHarness(application: HarnessApplication().application)
        let runs = Mutex(0)
        let loop = h.eventLoop
        @Sendable func again() {
            runs.withLock { $0 += 1 }
            loop.execute { again() }
        }
        loop.execute { again() }
        for _ in 0..<5 { h.turn() }
        #expect(runs.withLock { $0 } <= 6)
        #expect(runs.withLock { $0 } >= 4)
    }

    /// Steady pipelining that completes a request every 200 ms with the next one in progress is never
    /// timed out by the header deadline.
    @Test func timeout_SteadyPipelinerNeverGets408() throws {
        let h = try LoopHarness(config: LoopHarness.config { $0.headerTimeout = 1 }, application: HarnessApplication().application)
        let c = try h.connect()
        c.send("GET /echo/0 HTTP/1.1\r\nHost:")
        h.turn()
        for i in 1...50 {
            h.advance(0.2)
            c.send(" x\r\n\r\nGET /echo/\(i) HTTP/1.1\r\nHost:")
            h.turn()
        }
        let got = c.responses(50)
        #expect(got.count == 50)
        #expect(got.allSatisfy { $0.status == 200 })
    }

    /// A slow body gets 408 at the body deadline; an idle keep-alive connection is closed at the
    /// idle deadline without a response; a TLS connection that never starts its handshake is closed
    /// at the header deadline with nothing sent.
    @Test func timeout_BodyIdleAndSilentHandshake() throws {
        let config = LoopHarness.config {
            $0.bodyTimeout = 2
            $0.idleTimeout = 5
            $0.headerTimeout = 3
        }
        let h = try LoopHarness(config: config, application: HarnessApplication().application)
        let slow = try h.connect()
        slow.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234")
        h.turn()
        h.advance(1.9)
        #expect(slow.responses(1, turns: 2).isEmpty)
        h.advance(0.2)
        #expect(slow.responses(1).first?.status == 408)
        let idle = try h.connect()
        idle.send("GET /echo/i HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(idle.responses(1).first?.status == 200)
        let idleConnection = try #require(idle.connection)
        h.advance(4.9)
        #expect(!idleConnection.isClosed)
        h.advance(0.2)
        h.settle(turns: 3)
        #expect(idleConnection.isClosed)
        idle.pump()
        #expect(HarnessResponse.parseAll(idle.received).count == 1)
        let tls = try LoopHarness(config: config, tls: true, application: HarnessApplication().application)
        let silent = try tls.connect(handshake: false)
        tls.advance(2.9)
        #expect(tls.connectionCount == 1)
        tls.advance(0.2)
        #expect(tls.connectionCount == 0)
        silent.pump()
        #expect(silent.received.isEmpty)
        #expect(silent.sawEOF)
    }

    /// A trickled head still gets 408 at the header deadline (slowloris).
    @Test func timeout_TrickleGets408() throws {
        let h = try LoopHarness(config: LoopHarness.config { $0.headerTimeout = 1 }, application: HarnessApplication().application)
        let c = try h.connect()
        for byte in "GET /echo/x HTTP/1.1\r\nHo".utf8 {
            c.sendRaw([byte])
            h.advance(0.05)
        }
        let got = c.responses(1)
        #expect(got.first?.status == 408)
    }

    // MARK: - Disconnects while a response is owed

    /// A client that sends a long-poll and closes (or resets, or half-closes) is cancelled at once:
    /// its connection is closed and its work's cancel handler ran.
    @Test(arguments: ["close", "reset", "shutdown", "close-tls"]) func zombie_ClientLeavesWhileOwed(how: String) throws {
        let app = HarnessApplication()
        let h = try LoopHarness(tls: how.hasSuffix("tls"), application: app.application)
        let c = try h.connect()
        c.send("GET /wait/z HTTP/1.1\r\nHost: x\r\n\r\n")
        h.turn()
        #expect(h.connectionCount == 1)
        #expect(app.owed.withLock { $0["z"] } != nil)
        switch how {
        case "reset": c.reset()
        case "shutdown": c.shutdownWrite()
        default: c.close()
        }
        h.turn()
        #expect(h.connectionCount == 0)
        #expect(app.cancelled.withLock { $0 } == ["z"])
        // The late completion is dropped, not sent anywhere.
        app.complete("z", body: "late")
        h.settle(turns: 5)
        #expect(h.loop.plaintextOut.isEmpty && h.loop.cipherOut.isEmpty)
    }

    /// Send-and-FIN in one go (as TCP clients do): the request is read with the FIN and the owed
    /// response is cancelled; a full close before the first read (EPOLLHUP) never runs the handler.
    @Test func zombie_SendAndFinInOneGo() throws {
        let app = HarnessApplication()
        let h = try LoopHarness(application: app.application)
        let c = try h.connect()
        c.send("GET /wait/q HTTP/1.1\r\nHost: x\r\n\r\n")
        c.shutdownWrite()
        h.settle(turns: 3)
        #expect(h.connectionCount == 0)
        #expect(app.cancelled.withLock { $0 } == ["q"])
        let gone = try h.connect()
        gone.send("GET /wait/never-read HTTP/1.1\r\nHost: x\r\n\r\n")
        gone.close()
        h.settle(turns: 3)
        #expect(h.connectionCount == 0)
        #expect(app.owed.withLock { $0["never-read"] } == nil || app.cancelled.withLock { $0 }.contains("never-read"))
    }

    /// 3,000 send-and-FIN long-polls leave no descriptor, waiter or timer behind.
    @Test func zombie_ThousandsReleased() throws {
        let app = HarnessApplication()
        let h = try LoopHarness(application: app.application)
        var clients: [HarnessClient] = []
        for i in 0..<3000 {
            let c = try h.connect(peer: "10.1.\(i / 250).\(i % 250)")
            c.send("GET /wait/w\(i) HTTP/1.1\r\nHost: x\r\n\r\n")
            c.shutdownWrite()
            clients.append(c)
            if i % 100 == 99 {
                h.turn()
                for c in clients { c.close() }
                clients = []
            }
        }
        h.settle(turns: 5)
        for c in clients { c.close() }
        h.settle(turns: 2)
        #expect(h.connectionCount == 0)
        #expect(app.cancelled.withLock { $0.count } == 3000)
        #expect(h.loop.timerCount < 100)
    }

    /// A long-poll's timer runs on the loop clock: at 30 s the handler's 304 is sent; the handler
    /// deadline answers 503 when a handler never answers.
    @Test func deferred_TimerAndHandlerDeadline() throws {
        let app = HarnessApplication()
        let h = try LoopHarness(config: LoopHarness.config { $0.handlerTimeout = 90 }, application: app.application)
        let c = try h.connect()
        c.send("GET /wait/t HTTP/1.1\r\nHost: x\r\n\r\n")
        h.turn()
        h.advance(29)
        #expect(c.responses(1, turns: 2).isEmpty)
        h.advance(1.5)
        #expect(c.responses(1).first?.status == 304)
        // A handler that never answers (its timer does nothing) meets the handler deadline.
        app.owed.withLock { $0 = [:] }
        c.send("GET /wait/never HTTP/1.1\r\nHost: x\r\n\r\n")
        h.turn()
        app.owed.withLock { $0 = [:] }  // the 30 s timer finds nothing to answer
        h.advance(31)
        h.advance(60)
        let got = c.responses(2)
        #expect(got.count == 2)
        #expect(got.last?.status == 503)
        #expect(got.last?.header("Retry-After") == "5")
        #expect(app.cancelled.withLock { $0 }.contains("never"))
    }

    /// Pipelined requests behind a deferred one wait, then are answered in order.
    @Test func deferred_PipelinedBehindItInOrder() throws {
        let app = HarnessApplication()
        let h = try LoopHarness(application: app.application)
        let c = try h.connect()
        c.send("GET /wait/p HTTP/1.1\r\nHost: x\r\n\r\nGET /echo/after HTTP/1.1\r\nHost: x\r\n\r\n")
        h.settle(turns: 5)
        #expect(c.responses(1, turns: 3).isEmpty)
        app.complete("p", body: "first")
        #expect(c.responses(2).map(\.body) == ["first", "after"])
    }

    /// A request sent on its own while the response before it is owed (after the server drained the
    /// socket) is read once that response is written, and answered after it.
    @Test func deferred_NextRequestArrivingWhileOwedIsRead() throws {
        let app = HarnessApplication()
        let h = try LoopHarness(application: app.application)
        let c = try h.connect()
        c.send("GET /wait/q HTTP/1.1\r\nHost: x\r\n\r\n")
        h.settle(turns: 5)
        c.send("GET /echo/later HTTP/1.1\r\nHost: x\r\n\r\n")
        h.settle(turns: 5)
        #expect(c.responses(1, turns: 3).isEmpty)
        app.complete("q", body: "first")
        // why: the server must read the waiting request on its own. A socketpair re-reports input
        // when the client reads (its write-space wake-up), which would hide a missed read.
        h.settle(turns: 5)
        c.pump()
        #expect(HarnessResponse.parseAll(c.received).map(\.body) == ["first", "later"])
    }

    /// After a deferred response, the next request of a keep-alive client (sent once that response
    /// is read) is answered: skipping the read that would find the socket empty loses nothing.
    @Test func deferred_NextRequestAfterTheResponseIsAnswered() throws {
        let app = HarnessApplication()
        let h = try LoopHarness(application: app.application)
        let c = try h.connect()
        for round in 0..<3 {
            c.send("GET /wait/r\(round) HTTP/1.1\r\nHost: x\r\n\r\n")
            h.settle(turns: 5)
            app.complete("r\(round)", body: "owed \(round)")
            #expect(c.responses(2 * round + 1).last?.body == "owed \(round)")
            c.send("GET /echo/next\(round) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(c.responses(2 * round + 2).last?.body == "next\(round)")
        }
    }

    // MARK: - Graceful close

    /// A body over --max-body-bytes gets its 413 and the connection lingers: the client can finish
    /// sending, reads the whole 413, and the server closes at the client's EOF.
    @Test func linger_413IsReadable_ThenClosesAtEOF() throws {
        let h = try LoopHarness(config: LoopHarness.config { $0.limits.maxBodyBytes = 1000 }, application: HarnessApplication().application)
        let c = try h.connect(bufferSize: 8192)
        c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n")
        for _ in 0..<25 {
            c.send([UInt8](repeating: 0x62, count: 8000))
            h.turn()
            c.pump()
        }
        for _ in 0..<50 where c.pendingWire > 0 {
            h.turn()
            c.pump()
        }
        #expect(c.pendingWire == 0)
        let got = HarnessResponse.parseAll(c.received)
        #expect(got.map(\.status) == [413])
        #expect(!c.sawReset)
        #expect(h.connectionCount == 1)  // lingering, draining the body
        c.close()
        h.settle(turns: 3)
        #expect(h.connectionCount == 0)
    }

    /// Lingering ends at the linger deadline, and after --linger-max-bytes, whichever comes first.
    @Test func linger_BoundedByTimeAndBytes() throws {
        let h = try LoopHarness(
            config: LoopHarness.config {
                $0.limits.maxBodyBytes = 10
                $0.lingerTimeout = 5
                $0.lingerMaxBytes = 50_000
            }, application: HarnessApplication().application)
        let slow = try h.connect()
        slow.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 99\r\n\r\n")
        h.settle(turns: 3)
        #expect(slow.responses(1).first?.status == 413)
        #expect(h.connectionCount == 1)
        h.advance(5.1)
        #expect(h.connectionCount == 0)
        let flood = try h.connect()
        flood.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 99\r\n\r\n")
        for _ in 0..<20 {
            flood.send([UInt8](repeating: 0x62, count: 8000))
            h.turn()
            flood.pump()
        }
        #expect(h.connectionCount == 0)
    }

    // MARK: - Event-loop hygiene

    /// An event carrying an old generation for a reused descriptor number is dropped.
    @Test func eventLoop_StaleGenerationIgnored() throws {
        let h = try LoopHarness(application: HarnessApplication().application)
        final class Counter: EventHandler {
            var events = 0
            func handle(events: UInt32) { self.events += 1 }
        }
        var fds: [Int32] = [0, 0]
        _ = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds)
        defer { close(fds[1]) }
        let first = Counter()
        try h.eventLoop.register(fd: fds[0], events: EPOLLIN.rawValue, handler: first)
        let stale = h.eventLoop.userData(fd: fds[0])
        h.eventLoop.deregister(fd: fds[0])
        let second = Counter()
        try h.eventLoop.register(fd: fds[0], events: EPOLLIN.rawValue, handler: second)
        h.eventLoop.deliver(data: stale, events: EPOLLIN.rawValue)
        #expect(first.events == 0 && second.events == 0)
        h.eventLoop.deliver(data: h.eventLoop.userData(fd: fds[0]), events: EPOLLIN.rawValue)
        #expect(second.events == 1)
        h.eventLoop.deregister(fd: fds[0])
        close(fds[0])
    }

    /// An acceptor paused for lack of descriptors whose re-arm fails stays paused and retries; one
    /// whose re-arm succeeds accepts again.
    @Test func acceptor_FailedRearmIsRetried() throws {
        let h = try LoopHarness(application: HarnessApplication().application)
        let broken = try ListeningSocket(address: SocketAddress.resolve(host: "127.0.0.1", port: 0))
        let acceptor = Acceptor(listener: broken, loop: h.loop, usesTLS: false, application: HarnessApplication().application)
        try acceptor.start()
        acceptor.pause(until: h.loop.now)
        // Something else holds the descriptor's registration, so the re-arm fails (EEXIST), like a
        // re-arm that cannot succeed.
        final class Squatter: EventHandler { func handle(events: UInt32) {} }
        try h.eventLoop.register(fd: broken.fd, events: EPOLLIN.rawValue, handler: Squatter())
        acceptor.tick(now: h.loop.now)
        #expect(acceptor.isPaused)
        h.eventLoop.deregister(fd: broken.fd)
        acceptor.tick(now: h.loop.now + 1)
        #expect(!acceptor.isPaused)
        acceptor.stop()
        let good = try ListeningSocket(address: SocketAddress.resolve(host: "127.0.0.1", port: 0))
        let working = Acceptor(listener: good, loop: h.loop, usesTLS: false, application: HarnessApplication().application)
        try working.start()
        working.pause(until: h.loop.now)
        working.tick(now: h.loop.now)
        #expect(!working.isPaused)
        working.stop()
    }

    /// Timers: one heap entry per connection, not one per request.
    @Test func timers_OneEntryPerConnection() throws {
        let h = try LoopHarness(application: HarnessApplication().application)
        var clients: [HarnessClient] = []
        for i in 0..<50 { clients.append(try h.connect(peer: "10.2.0.\(i)")) }
        for round in 0..<20 {
            for c in clients { c.send("GET /echo/\(round) HTTP/1.1\r\nHost: x\r\n\r\n") }
            h.turn()
            h.advance(0.01)
        }
        #expect(h.loop.timerCount <= 50 * 3)
        h.advance(61)
        #expect(h.connectionCount == 0)
    }
}

/// A small deterministic generator (SplitMix64) for reproducible property tests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
