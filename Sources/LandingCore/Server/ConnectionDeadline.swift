/// The timeouts a connection is subject to, in seconds.
public struct ConnectionTimeouts: Sendable, Equatable {
    /// From the TLS handshake's start or a request's first byte to its complete header section.
    public var header: Double
    /// From a complete header section to the complete body.
    public var body: Double
    /// How long a keep-alive connection may sit with no request, and how long a stalled write may last.
    public var idle: Double

    public init(header: Double, body: Double, idle: Double) {
        self.header = header
        self.body = body
        self.idle = idle
    }
}

/// Which deadline applies to a connection, as a value: the shell reports each stage change with the
/// current time, and asks what to do when time passes. The clock is injected, so timeouts are
/// tested without sleeping.
public struct ConnectionDeadline: Sendable, Equatable {
    /// What the connection is doing.
    public enum Stage: Sendable, Equatable {
        /// TLS handshake in progress (counts as reading the head).
        case handshake
        /// Waiting for the next request on a kept-alive connection.
        case idle
        /// Reading a request line and header section.
        case head
        /// Reading a body.
        case body
        /// A handler is working; the server owes a response, so no client timeout applies.
        case handling
        /// Output is waiting for the peer to read it.
        case writing
    }

    /// What the shell does when the deadline passes.
    public enum Expiry: Sendable, Equatable {
        /// Nothing has expired.
        case none
        /// Close without a response (idle keep-alive, handshake, stalled write).
        case close
        /// Answer 408 Request Timeout with `Connection: close`, then close (a request was in progress).
        case requestTimeout
    }

    public let timeouts: ConnectionTimeouts
    public private(set) var stage: Stage
    public private(set) var stageStartedAt: Double

    public init(timeouts: ConnectionTimeouts, stage: Stage = .handshake, now: Double) {
        self.timeouts = timeouts
        self.stage = stage
        self.stageStartedAt = now
    }

    /// Records the current stage; the clock restarts only when the stage changes, so a client that
    /// trickles header bytes does not extend its header deadline (slowloris).
    public mutating func enter(_ newStage: Stage, now: Double) {
        if newStage != stage {
            stage = newStage
            stageStartedAt = now
        }
    }

    /// Restarts the clock of the current stage (a write made progress).
    public mutating func touch(now: Double) {
        stageStartedAt = now
    }

    /// The time after which `expiry` stops being `.none`, if any.
    public var deadline: Double? {
        switch stage {
        case .handshake, .head: stageStartedAt + timeouts.header
        case .body: stageStartedAt + timeouts.body
        case .idle, .writing: stageStartedAt + timeouts.idle
        case .handling: nil
        }
    }

    public func expiry(now: Double) -> Expiry {
        guard let deadline, now >= deadline else { return .none }
        switch stage {
        case .head, .body: return .requestTimeout
        case .handshake, .idle, .writing: return .close
        case .handling: return .none
        }
    }
}
