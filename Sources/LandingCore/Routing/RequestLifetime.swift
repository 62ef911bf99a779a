import Synchronization

/// Ties a deferred response's work to the connection that waits for it. The connection cancels it
/// when the client leaves or the handler misses its deadline (`cancel`), and runs the one timer a
/// handler may ask for (`setTimer`) on its own event loop's clock, so a long-poll's deadline needs no
/// thread and no scan. Thread-safe: the handler's work runs on other threads.
public final class RequestLifetime: Sendable {
    private struct State {
        var cancelled = false
        var onCancel: [@Sendable () -> Void] = []
        var timerDelay: Double?
        var onTimer: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    public init() {}

    /// Whether the connection gave up on the response.
    public var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Runs `body` once when the response is no longer wanted (at once if it already is not).
    public func onCancel(_ body: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { s -> Bool in
            if s.cancelled { return true }
            s.onCancel.append(body)
            return false
        }
        if runNow { body() }
    }

    /// The connection no longer wants the response: runs the cancel handlers once.
    public func cancel() {
        let handlers = state.withLock { s -> [@Sendable () -> Void] in
            guard !s.cancelled else { return [] }
            s.cancelled = true
            s.onTimer = nil
            let out = s.onCancel
            s.onCancel = []
            return out
        }
        for handler in handlers { handler() }
    }

    /// Asks the connection to call `body` after `seconds` on its loop (one timer per request; set it
    /// before returning `.deferred`). The handler still owes its response after the timer fires.
    public func setTimer(after seconds: Double, _ body: @escaping @Sendable () -> Void) {
        state.withLock { s in
            s.timerDelay = seconds
            s.onTimer = body
        }
    }

    /// The delay the handler asked for, read by the connection when the handler defers.
    public var timerDelay: Double? { state.withLock { $0.timerDelay } }

    /// The timer is due (called by the connection, or by a test).
    public func fireTimer() {
        let body = state.withLock { s -> (@Sendable () -> Void)? in
            let b = s.onTimer
            s.onTimer = nil
            return b
        }
        body?()
    }
}
