import Testing
@testable import LandingCore

/// The connection state machine, driven by hand with an injected clock: no socket, no sleep.
@Suite struct ConnectionStateMachineTests {
    typealias Machine = ConnectionStateMachine
    static let timeouts = ConnectionTimeouts(header: 10, body: 5, idle: 60, handler: 90, linger: 5)
    static let limits = Machine.Limits(maxUnsentOutput: 1000, maxRequestsPerWake: 3, lingerMaxBytes: 4096)

    func machine(tls: Bool = false, now: Double = 0) -> Machine {
        Machine(timeouts: Self.timeouts, limits: Self.limits, usesTLS: tls, now: now)
    }

    /// A TLS connection reads during the handshake, times out at the header deadline, and opens when done.
    @Test func handshake_ReadsTimesOutAndOpens() {
        var m = machine(tls: true)
        #expect(m.state == .handshaking)
        #expect(m.inputArrived() == .read)
        #expect(m.deadline == 10)
        var late = m
        #expect(late.timerFired(now: 10) == .close)
        m.handshakeCompleted(now: 3)
        #expect(m.state == .open)
        #expect(m.deadline == 63)
    }

    /// A balancer's connection reads its PROXY header first, within the header timeout from the
    /// accept, then handshakes with the same deadline (TLS) or opens with the idle clock (plain).
    @Test func proxyHeader_ReadsThenHandshakesOrOpens() {
        var tls = Machine(timeouts: Self.timeouts, limits: Self.limits, usesTLS: true, expectsProxyHeader: true, now: 0)
        #expect(tls.state == .awaitingProxyHeader)
        #expect(tls.mayRead)
        #expect(tls.inputArrived() == .read)
        #expect(tls.mayTakeRequest(batchBytes: 0) == .stop)
        #expect(tls.deadline == 10)
        tls.proxyHeaderReceived(now: 4)
        #expect(tls.state == .handshaking)
        #expect(tls.deadline == 10)
        tls.handshakeCompleted(now: 6)
        #expect(tls.state == .open)

        var plain = Machine(timeouts: Self.timeouts, limits: Self.limits, usesTLS: false, expectsProxyHeader: true, now: 0)
        #expect(plain.state == .awaitingProxyHeader)
        plain.proxyHeaderReceived(now: 4)
        #expect(plain.state == .open)
        #expect(plain.deadline == 64)
        #expect(plain.mayTakeRequest(batchBytes: 0) == .take)
    }

    /// A balancer that sends no header in time, hangs up or meets a drain is closed without a response.
    @Test func proxyHeader_ClosesOnTimeoutEndOfInputAndDrain() {
        func waiting() -> Machine {
            Machine(timeouts: Self.timeouts, limits: Self.limits, usesTLS: true, expectsProxyHeader: true, now: 0)
        }
        var late = waiting()
        #expect(late.timerFired(now: 9.9) == .none)
        #expect(late.timerFired(now: 10) == .close)
        var gone = waiting()
        #expect(gone.peerHungUp(fatal: false) == .read)
        #expect(gone.readStopped(.endOfInput) == .close)
        var drained = waiting()
        #expect(drained.drain() == .close)
        var broken = waiting()
        #expect(broken.peerHungUp(fatal: true) == .close)
        // A header received twice (or after the handshake began) changes nothing.
        var twice = waiting()
        twice.proxyHeaderReceived(now: 1)
        twice.proxyHeaderReceived(now: 2)
        #expect(twice.state == .handshaking)
    }

    /// The header clock runs from the first byte and is not extended by more bytes of the same request (slowloris).
    @Test func headClock_NotExtendedByTrickle() {
        var m = machine()
        m.parserPhaseChanged(.head, requestCompleted: false, now: 100)
        m.parserPhaseChanged(.head, requestCompleted: false, now: 105)
        m.parserPhaseChanged(.head, requestCompleted: false, now: 109)
        #expect(m.deadline == 110)
        #expect(m.timerFired(now: 109.9) == .none)
        #expect(m.timerFired(now: 110) == .requestTimedOut)
    }

    /// A client that completes a request every 200 ms while the next one is in progress is never timed out.
    @Test func headClock_RestartsOnEachCompletedRequest() {
        var m = machine()
        var now = 0.0
        m.parserPhaseChanged(.head, requestCompleted: false, now: now)
        for _ in 0..<200 {
            now += 0.2
            m.turnStarted()
            #expect(m.timerFired(now: now) == .none)
            #expect(m.mayTakeRequest(batchBytes: 0) == .take)
            m.requestTaken()
            #expect(m.responseQueued(keepAlive: true) == .none)
            #expect(m.outputChanged(unsent: 0, progressed: true, now: now) == .none)
            m.parserPhaseChanged(.head, requestCompleted: true, now: now)
        }
        #expect(now > Self.timeouts.header * 3)
        #expect(m.deadline == now + 10)
    }

    /// Each phase has its own timeout: body, idle, a stalled write.
    @Test func deadline_PerPhase() {
        var m = machine()
        m.parserPhaseChanged(.body, requestCompleted: false, now: 20)
        #expect(m.deadline == 25)
        #expect(m.timerFired(now: 25) == .requestTimedOut)
        var idle = machine()
        idle.parserPhaseChanged(.idle, requestCompleted: true, now: 30)
        #expect(idle.deadline == 90)
        #expect(idle.timerFired(now: 90) == .finishOutput)
        #expect(idle.state == .closing(linger: false))
        var writing = machine()
        _ = writing.outputChanged(unsent: 500, progressed: false, now: 200)
        _ = writing.outputChanged(unsent: 400, progressed: true, now: 250)
        #expect(writing.deadline == 310)
        #expect(writing.timerFired(now: 310) == .close)
    }

    /// No request is taken while unsent output (queued plus this turn's batch) is at the limit, no
    /// input is read, and both resume once the output drains.
    @Test func backPressure_StopsTakingAndReading_UntilDrained() {
        var m = machine()
        m.turnStarted()
        #expect(m.mayTakeRequest(batchBytes: 999) == .take)
        #expect(m.mayTakeRequest(batchBytes: 1000) == .stop)
        #expect(m.outputChanged(unsent: 1500, progressed: true, now: 1) == .none)
        #expect(!m.mayRead)
        #expect(m.inputArrived() == .none)
        #expect(m.readStopped(.paused) == .none)
        #expect(m.outputChanged(unsent: 200, progressed: true, now: 2) == .none)
        #expect(m.outputChanged(unsent: 0, progressed: true, now: 3) == .scheduleResume)
        #expect(m.mayRead)
        #expect(m.outputChanged(unsent: 0, progressed: false, now: 3) == .none)
    }

    /// At most maxRequestsPerWake requests per turn; then the connection yields and the next turn continues.
    @Test func fairness_YieldsAfterBudgetPerTurn() {
        var m = machine()
        m.turnStarted()
        for _ in 0..<3 {
            #expect(m.mayTakeRequest(batchBytes: 0) == .take)
            m.requestTaken()
        }
        #expect(m.mayTakeRequest(batchBytes: 0) == .yield)
        m.turnStarted()
        #expect(m.mayTakeRequest(batchBytes: 0) == .take)
    }

    /// An exhausted read budget resumes from the task queue; a drained socket waits for the next edge.
    @Test func readBudget_ResumesFromQueue() {
        var m = machine()
        #expect(m.readStopped(.budgetExhausted) == .scheduleResume)
        #expect(m.readStopped(.drained) == .none)
    }

    /// While a response is owed nothing is read or parsed; the owed response reopens the connection once.
    @Test func deferred_PausesUntilTheOwedResponse() {
        var m = machine()
        m.responseDeferred(request: 7, timerAfter: nil, now: 0)
        #expect(m.state == .awaitingResponse(request: 7))
        #expect(!m.mayRead)
        #expect(m.mayTakeRequest(batchBytes: 0) == .stop)
        #expect(m.inputArrived() == .none)
        #expect(m.deferredResponseArrived(request: 6) == false)
        #expect(m.deferredResponseArrived(request: 7) == true)
        #expect(m.state == .open)
        #expect(m.deferredResponseArrived(request: 7) == false)
    }

    /// A client that hangs up (FIN, RST or EOF on read) while its response is owed is cancelled and closed at once.
    @Test func deferred_PeerLeaving_CancelsAndCloses() {
        for leave in [0, 1, 2, 3] {
            var m = machine()
            m.responseDeferred(request: 1, timerAfter: 60, now: 0)
            let action: Machine.Action
            switch leave {
            case 0: action = m.peerHungUp(fatal: false)
            case 1: action = m.peerHungUp(fatal: true)
            case 2: action = m.readStopped(.endOfInput)
            default: action = m.readStopped(.failed)
            }
            #expect(action == .cancelAndClose, "case \(leave)")
            #expect(m.state == .closed)
            #expect(m.deferredResponseArrived(request: 1) == false)
        }
    }

    /// A long-poll's own timer fires first; the handler deadline stays as defence in depth.
    @Test func deferred_RequestTimerThenHandlerDeadline() {
        var m = machine()
        m.responseDeferred(request: 1, timerAfter: 30, now: 100)
        #expect(m.deadline == 130)
        #expect(m.timerFired(now: 129) == .none)
        #expect(m.timerFired(now: 130) == .fireRequestTimer)
        #expect(m.deadline == 190)
        #expect(m.timerFired(now: 190) == .handlerTimedOut)
        #expect(m.responseQueued(keepAlive: false) == .finishOutput)
        #expect(m.state == .closing(linger: true))
        #expect(m.deferredResponseArrived(request: 1) == false)
    }

    /// A response that ends the connection while the peer may still send lingers: write side shut,
    /// input discarded until EOF, the byte cap or the linger deadline.
    @Test func linger_AfterErrorWithUnreadInput() {
        var m = machine()
        #expect(m.responseQueued(keepAlive: false) == .finishOutput)
        #expect(m.outputChanged(unsent: 300, progressed: true, now: 1) == .none)
        #expect(m.outputChanged(unsent: 0, progressed: true, now: 2) == .startLingering)
        #expect(m.state == .lingering(until: 7, discarded: 0))
        #expect(m.mayRead)
        #expect(m.discarded(4000) == .none)
        #expect(m.discarded(100) == .close)
        var byTime = machine()
        _ = byTime.responseQueued(keepAlive: false)
        _ = byTime.outputChanged(unsent: 0, progressed: false, now: 2)
        #expect(byTime.timerFired(now: 7) == .close)
        var byEOF = machine()
        _ = byEOF.responseQueued(keepAlive: false)
        _ = byEOF.outputChanged(unsent: 0, progressed: false, now: 2)
        #expect(byEOF.readStopped(.endOfInput) == .close)
    }

    /// After the peer's EOF the last responses are sent and the connection closes without lingering.
    @Test func endOfInput_FinishesWithoutLinger() {
        var m = machine()
        #expect(m.readStopped(.endOfInput) == .finishOutput)
        #expect(m.outputChanged(unsent: 10, progressed: true, now: 1) == .none)
        #expect(m.outputChanged(unsent: 0, progressed: true, now: 1) == .close)
    }

    /// A hang-up with nothing owed reads what came before the FIN; a fatal one closes at once.
    @Test func hangUp_ReadsFirstUnlessFatal() {
        var m = machine()
        #expect(m.peerHungUp(fatal: false) == .read)
        #expect(m.peerHungUp(fatal: true) == .close)
        #expect(m.peerHungUp(fatal: true) == .none)
    }

    /// Drain closes an idle connection now, and a busy one after its response (no keep-alive).
    @Test func drain_IdleNowBusyLater() {
        var idle = machine()
        #expect(idle.drain() == .finishOutput)
        var busy = machine()
        busy.parserPhaseChanged(.head, requestCompleted: false, now: 1)
        #expect(busy.drain() == .none)
        #expect(busy.responseQueued(keepAlive: true) == .finishOutput)
        var handshaking = machine(tls: true)
        #expect(handshaking.drain() == .close)
    }

    /// A write failure or a TLS failure ends the connection; nothing is resumed afterwards.
    @Test func failures_Close() {
        var m = machine()
        #expect(m.writeFailed() == .close)
        #expect(m.inputArrived() == .none)
        var t = machine(tls: true)
        #expect(t.tlsFailed() == .none)
        #expect(t.outputChanged(unsent: 0, progressed: false, now: 0) == .close)
    }
}

/// The loop's timer heap.
@Suite struct DeadlineHeapTests {
    /// Entries pop in deadline order, only once due.
    @Test func heap_PopsInOrderWhenDue() {
        var heap = DeadlineHeap<Int>()
        var rng = SystemRandomNumberGenerator()
        var deadlines: [Double] = []
        for i in 0..<500 {
            let d = Double(Int.random(in: 0..<10_000, using: &rng))
            deadlines.append(d)
            heap.push(d, id: i)
        }
        #expect(heap.popExpired(now: -1) == nil)
        var popped: [Double] = []
        while let e = heap.popExpired(now: 20_000) { popped.append(e.deadline) }
        #expect(popped == deadlines.sorted())
        #expect(heap.isEmpty)
    }
}
