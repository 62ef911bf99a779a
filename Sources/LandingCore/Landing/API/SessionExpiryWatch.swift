import Synchronization

/// Counts sessions that end expired (`landing_sessions_expired_total`). A session's expiry is a
/// matter of time, not a write, so nothing in the store marks the moment; instead, each session
/// this process creates is read once, just after its `expiresAt`: still pending then means it
/// expired (completed, failed or deleted sessions are not counted). Each session is counted once,
/// by the instance that created it, so the sum over instances sharing a database is right.
///
/// The cost is one store read per session, at its expiry. Bounded: at most `maxWatched` sessions
/// are followed at once (beyond, a session is not counted). Sessions created before a restart are
/// not followed by the new process. A read that fails (the database is down) is retried after
/// `retryDelay`, up to `maxAttempts` reads, then given up.
public final class SessionExpiryWatch: Sendable {
    /// Most sessions followed at once.
    public static let maxWatched = 100_000
    /// Seconds after `expiresAt` the session is read (so the read's clock is past it).
    public static let margin = 1.0
    /// Seconds between reads that failed.
    public static let retryDelay = 60.0
    /// Most reads per session.
    public static let maxAttempts = 5

    private let watched = Atomic<Int>(0)

    public init() {}

    /// Sessions followed now (tests).
    public var watchedCount: Int { watched.load(ordering: .relaxed) }

    /// Follows the session `id`, expiring at `expiresAt` (milliseconds since the epoch), and counts
    /// it in `service.metrics` if it is still pending then.
    func watch(sessionId id: String, expiresAt: Int64, service: LandingService) {
        guard watched.wrappingAdd(1, ordering: .relaxed).newValue <= Self.maxWatched else {
            watched.wrappingSubtract(1, ordering: .relaxed)
            return
        }
        let delay = Double(expiresAt - service.environment.now()) / 1000 + Self.margin
        service.environment.schedule(delay) { self.check(id, service: service, attempt: 1) }
    }

    private func check(_ id: String, service: LandingService, attempt: Int) {
        service.store.perform({ (store) throws(StoreError) in try store.session(id: id) }) { result in
            switch result {
            case .success(let record?) where record.status == .pending:
                let now = service.environment.now()
                if record.effectiveStatus(now: now) == .expired {
                    service.metrics.sessionExpired()
                    self.finished()
                } else if let expiresAt = record.expiresAt {
                    // This clock is not past the expiry yet (the timer fired early, or the clock moved back).
                    let delay = max(Double(expiresAt - now) / 1000, 0) + Self.margin
                    service.environment.schedule(delay) { self.check(id, service: service, attempt: attempt) }
                } else {
                    self.finished()
                }
            case .success:
                self.finished()
            case .failure:
                guard attempt < Self.maxAttempts else { return self.finished() }
                service.environment.schedule(Self.retryDelay) { self.check(id, service: service, attempt: attempt + 1) }
            }
        }
    }

    private func finished() {
        watched.wrappingSubtract(1, ordering: .relaxed)
    }
}
