import Synchronization

/// Long-poll waiters by record key: a request waiting on `/v1/items/{id}` or `/v1/sessions/{id}`
/// registers here and holds no thread; a write to that record (`notify`) wakes it at once, and the
/// shell's timer calls `expire(now:)` to answer those whose deadline passed. Pure: time is passed in.
public final class RecordWaiters: Sendable {
    /// Why a waiter was resumed.
    public enum Wake: Sendable, Equatable {
        /// The record changed (or may have: the caller reads it again and compares its ETag).
        case changed
        /// The deadline passed without a change.
        case timedOut
        /// The server is shutting down: answer with the current state now.
        case shutdown
    }

    struct Waiter {
        var key: LandingRecord.Key
        var deadline: Int64
        var resume: @Sendable (Wake) -> Void
    }

    struct State {
        var nextID: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        var byKey: [LandingRecord.Key: Set<UInt64>] = [:]
        var closed = false
        /// No deadline is earlier than this, so `expire` is O(1) until then.
        var earliest = Int64.max
    }

    private let state = Mutex(State())

    public init() {}

    /// How many requests are waiting (for metrics).
    public var count: Int { state.withLock { $0.waiters.count } }

    /// Registers a waiter; `resume` is called exactly once (from the notifying, expiring or
    /// shutting-down thread). After `shutdownAll`, resumes at once with `.shutdown`.
    public func wait(for key: LandingRecord.Key, deadline: Int64, resume: @escaping @Sendable (Wake) -> Void) {
        let accepted = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.nextID &+= 1
            let id = state.nextID
            state.waiters[id] = Waiter(key: key, deadline: deadline, resume: resume)
            state.byKey[key, default: []].insert(id)
            state.earliest = min(state.earliest, deadline)
            return true
        }
        if !accepted { resume(.shutdown) }
    }

    /// A record was written: wake everyone waiting on these keys.
    public func notify(_ keys: [LandingRecord.Key]) {
        let woken = state.withLock { state -> [@Sendable (Wake) -> Void] in
            var out: [@Sendable (Wake) -> Void] = []
            for key in keys {
                guard let ids = state.byKey.removeValue(forKey: key) else { continue }
                for id in ids {
                    if let waiter = state.waiters.removeValue(forKey: id) { out.append(waiter.resume) }
                }
            }
            return out
        }
        for resume in woken { resume(.changed) }
    }

    /// Answers every waiter whose deadline is at or before `now`; returns the earliest remaining
    /// deadline (for the timer), or nil.
    @discardableResult
    public func expire(now: Int64) -> Int64? {
        let (expired, next) = state.withLock { state -> ([@Sendable (Wake) -> Void], Int64?) in
            if now < state.earliest { return ([], state.earliest == .max ? nil : state.earliest) }
            var out: [@Sendable (Wake) -> Void] = []
            var next: Int64?
            for (id, waiter) in state.waiters {
                if waiter.deadline <= now {
                    out.append(waiter.resume)
                    state.waiters[id] = nil
                    state.byKey[waiter.key]?.remove(id)
                    if state.byKey[waiter.key]?.isEmpty == true { state.byKey[waiter.key] = nil }
                } else {
                    next = min(next ?? waiter.deadline, waiter.deadline)
                }
            }
            state.earliest = next ?? .max
            return (out, next)
        }
        for resume in expired { resume(.timedOut) }
        return next
    }

    /// Shutdown: every waiter is answered now with the current state; later waits resume at once.
    public func shutdownAll() {
        let all = state.withLock { state -> [@Sendable (Wake) -> Void] in
            state.closed = true
            let out = state.waiters.values.map(\.resume)
            state.waiters = [:]
            state.byKey = [:]
            return out
        }
        for resume in all { resume(.shutdown) }
    }
}
