import Foundation
import LandingCore
import Synchronization

/// Confirms outcomes against Pluggy's API: told that an item was seen (a callback or a webhook named
/// it), it fetches `GET /items/{id}` and records what Pluggy says (`StoreWrite.confirmation`:
/// completed or failed confirmed by the API, or still pending with the detail), then re-checks on
/// `PluggyRecheckSchedule` (about 2 s growing to 30 s, `Retry-After` honoured) while the item is
/// pending, until a terminal state or `horizon` seconds after it was first seen.
///
/// Bounded and never in the way: at most `maxTracked` items are followed at once (more are not
/// checked: counted as `skipped`), an item already followed is not checked twice, an item Pluggy
/// does not know (404 — an id a browser made up) is dropped at once, an item whose following ended
/// (terminal, unknown, deadline) is not asked about again for `quietPeriod` seconds (a refreshed page
/// or a replayed made-up id cannot spend the Pluggy quota), and every failure (Pluggy down, a
/// timeout, a full client queue) only delays the next check: pages and the API never wait for it.
/// What happened is counted by `result` (`landing_pluggy_checks_total`); failures are logged at
/// most once a minute (never the secret: `PluggyClientError` does not carry it).
public final class PluggyConfirmer: Sendable {
    /// How one check ended, for metrics.
    public enum CheckResult: String, CaseIterable, Sendable {
        case completed, failed, pending, rateLimited = "rate_limited", unavailable, notFound = "not_found", skipped
    }

    private let client: PluggyClient
    private let store: any LandingStoreAccess
    private let horizon: Double
    private let maxTracked: Int
    private let policy: PluggyRecheckSchedule.Policy
    private let clock: @Sendable () -> Double
    private let wallClock: @Sendable () -> Int64
    private let log: @Sendable (String) -> Void
    private let tracked = Mutex<[String: PluggyRecheckSchedule]>([:])
    /// Items whose following ended, with when (monotonic seconds); at most `maxTracked`.
    private let recentlyDone = Mutex<[String: Double]>([:])
    private let lastFailureLog = Mutex<Double>(-.infinity)
    /// Seconds an item whose following ended is not checked again.
    private let quietPeriod: Double
    private let timers = DispatchQueue(label: "landing-pluggy-recheck")
    private let counts = Mutex<[CheckResult: Int]>([:])

    public init(
        client: PluggyClient, store: any LandingStoreAccess, horizon: Double = 1_800, maxTracked: Int = 10_000, quietPeriod: Double = 600,
        policy: PluggyRecheckSchedule.Policy = PluggyRecheckSchedule.Policy(), clock: (@Sendable () -> Double)? = nil,
        wallClock: @escaping @Sendable () -> Int64 = SystemRandom.nowMillis, log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.client = client
        self.store = store
        self.horizon = horizon
        self.maxTracked = maxTracked
        self.quietPeriod = quietPeriod
        self.policy = policy
        self.clock = clock ?? { monotonicNow() }
        self.wallClock = wallClock
        self.log = log
    }

    /// Checks ended with `result` so far.
    public func count(_ result: CheckResult) -> Int {
        counts.withLock { $0[result] ?? 0 }
    }

    /// Items followed now.
    public var trackedCount: Int { tracked.withLock { $0.count } }

    /// An item was seen: check it now (unless it is followed already), then follow it while pending.
    public func itemSeen(_ itemId: String) {
        let now = clock()
        let quiet = recentlyDone.withLock { done -> Bool in
            guard let ended = done[itemId] else { return false }
            if now - ended < quietPeriod { return true }
            done.removeValue(forKey: itemId)
            return false
        }
        if quiet { return }
        let start = tracked.withLock { items -> Bool in
            guard items[itemId] == nil else { return false }
            guard items.count < maxTracked else { return false }
            items[itemId] = PluggyRecheckSchedule(deadline: clock() + horizon, policy: policy)
            return true
        }
        guard start else {
            if tracked.withLock({ $0[itemId] == nil }) { note(.skipped) }
            return
        }
        check(itemId)
    }

    private func note(_ result: CheckResult) {
        counts.withLock { $0[result, default: 0] += 1 }
    }

    private func check(_ itemId: String) {
        client.item(id: itemId) { [self] result in
            let observation: PluggyRecheckSchedule.Observation
            switch result {
            case .success(let item):
                let state = item.state
                let confirmation = PluggyConfirmation(
                    itemId: itemId, state: state, connectorName: item.connectorName, executionStatus: item.executionStatus,
                    receivedAt: wallClock())
                store.write(.confirmation(confirmation)) { [log] written in
                    if case .failure(let error) = written { log("pluggy confirmation of an item not recorded: \(error.message)") }
                }
                switch state {
                case .completed:
                    note(.completed)
                    observation = .terminal
                case .failed:
                    note(.failed)
                    observation = .terminal
                case .pending:
                    note(.pending)
                    observation = .pending
                }
            case .failure(.itemNotFound), .failure(.invalidItemId):
                // why: an id Pluggy does not know is most likely one a browser made up; asking again
                // would let anyone spend our Pluggy quota.
                note(.notFound)
                finish(itemId)
                return
            case .failure(.shutDown):
                tracked.withLock { _ = $0.removeValue(forKey: itemId) }
                return
            case .failure(.rateLimited(let retryAfter)):
                note(.rateLimited)
                observation = .rateLimited(retryAfter: retryAfter)
            case .failure(let error):
                // A full client queue, Pluggy down, a timeout, a refused key or certificate: later.
                note(.unavailable)
                logFailure(error)
                observation = .unavailable
            }
            schedule(itemId, after: observation)
        }
    }

    /// Decides the next check of `itemId` after `observation`, and arms it or stops following.
    private func schedule(_ itemId: String, after observation: PluggyRecheckSchedule.Observation) {
        let now = clock()
        let decision = tracked.withLock { items -> PluggyRecheckSchedule.Decision? in
            guard var schedule = items[itemId] else { return nil }
            var random = SystemRandomNumberGenerator()
            let decision = schedule.next(after: observation, now: now, random: &random)
            if case .stop = decision {
                items.removeValue(forKey: itemId)
                remember(itemId, at: now)
            } else {
                items[itemId] = schedule
            }
            return decision
        }
        guard case .recheck(_, let delay)? = decision else { return }
        timers.asyncAfter(deadline: .now() + delay) { [self] in check(itemId) }
    }

    /// Stops following `itemId` and keeps it quiet for `quietPeriod`.
    private func finish(_ itemId: String) {
        tracked.withLock { _ = $0.removeValue(forKey: itemId) }
        remember(itemId, at: clock())
    }

    /// Notes that `itemId`'s following ended at `time`; the oldest half is forgotten at the bound.
    private func remember(_ itemId: String, at time: Double) {
        recentlyDone.withLock { done in
            if done.count >= maxTracked {
                let cutoff = done.values.sorted()[done.count / 2]
                done = done.filter { $0.value > cutoff }
            }
            done[itemId] = time
        }
    }

    /// Logs a failed check, at most once a minute.
    private func logFailure(_ error: PluggyClientError) {
        let now = clock()
        let due = lastFailureLog.withLock { last -> Bool in
            guard now - last >= 60 else { return false }
            last = now
            return true
        }
        if due { log("pluggy item check failed (later checks retry; logged at most once a minute): \(error)") }
    }
}
