import Synchronization

/// Long-poll waiters by record key: a request waiting on `/v1/items/{id}` or `/v1/sessions/{id}`
/// holds a `Ticket` and no thread; a write to that record (`notify`) wakes it at once, its
/// connection's timer (`timeOut`) answers it at its deadline, and a client that leaves `cancel`s it.
///
/// Every waiter has an owner (the API key that asked) and a bound: `reserve` refuses beyond
/// `Limits.maxTotal` tickets in all or `Limits.maxPerOwner` for one owner, and a ticket counts from
/// `reserve` until `release` or `cancel`, so the bound holds however the waits interleave.
/// Pure: no clock, no thread. Thread-safe.
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

    /// How many long-polls may wait; 0 means no limit.
    public struct Limits: Sendable, Equatable {
        public var maxTotal: Int
        public var maxPerOwner: Int
        public init(maxTotal: Int = 0, maxPerOwner: Int = 0) {
            self.maxTotal = maxTotal
            self.maxPerOwner = maxPerOwner
        }
    }

    /// Why `reserve` refused.
    public enum Refusal: Error, Sendable, Equatable {
        case tooManyInTotal
        case tooManyForOwner
    }

    /// One long-poll's place, from `reserve` to `release`/`cancel`.
    public struct Ticket: Sendable, Hashable {
        let id: UInt64
    }

    struct Entry {
        var owner: String
        /// The key it waits on now, with the resume to call; nil between waits.
        var key: LandingRecord.Key?
        var resume: (@Sendable (Wake) -> Void)?
        /// The deadline passed while it was not registered: the next `wait` resumes at once.
        var timedOut = false
        /// A change was announced while it was watching (between `watch` and `wait`): the next
        /// `wait` resumes at once with `.changed`.
        var changed = false
    }

    /// The tickets waiting on one key: one held inline (the usual case, no allocation), a set
    /// beyond (many long-polls on one record).
    enum TicketIDs {
        case one(UInt64)
        case many(Set<UInt64>)

        mutating func insert(_ id: UInt64) {
            switch self {
            case .one(let held):
                if held != id { self = .many([held, id]) }
            case .many(var set):
                // why: drop our reference first, so the set is unique and grows in place.
                self = .one(0)
                set.insert(id)
                self = .many(set)
            }
        }

        /// Removes `id`; true when none is left.
        mutating func remove(_ id: UInt64) -> Bool {
            switch self {
            case .one(let held):
                return held == id
            case .many(var set):
                self = .one(0)
                set.remove(id)
                if set.count == 1, let last = set.first { self = .one(last) } else { self = .many(set) }
                return set.isEmpty
            }
        }

        func forEach(_ body: (UInt64) -> Void) {
            switch self {
            case .one(let id): body(id)
            case .many(let set): for id in set { body(id) }
            }
        }
    }

    struct State {
        var nextID: UInt64 = 0
        var entries: [UInt64: Entry] = [:]
        var byKey: [LandingRecord.Key: TicketIDs] = [:]
        var perOwner: [String: Int] = [:]
        var closed = false
    }

    public let limits: Limits
    private let state = Mutex(State())

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// How many long-polls hold a ticket (for metrics).
    public var count: Int { state.withLock { $0.entries.count } }

    /// How many tickets `owner` holds.
    public func count(owner: String) -> Int { state.withLock { $0.perOwner[owner] ?? 0 } }

    /// Takes a ticket for a long-poll by `owner`, or refuses when a limit is reached.
    public func reserve(owner: String) -> Result<Ticket, Refusal> {
        state.withLock { s in
            if limits.maxTotal > 0 && s.entries.count >= limits.maxTotal { return .failure(.tooManyInTotal) }
            let held = s.perOwner[owner] ?? 0
            if limits.maxPerOwner > 0 && held >= limits.maxPerOwner { return .failure(.tooManyForOwner) }
            s.nextID &+= 1
            s.entries[s.nextID] = Entry(owner: owner)
            s.perOwner[owner] = held + 1
            return .success(Ticket(id: s.nextID))
        }
    }

    /// Starts watching `key` before the read that decides whether to wait: a change announced
    /// from now on (by this instance's commits or another's notifications, on any thread) makes the
    /// following `wait` resume at once, so no change can slip between the read and the wait however
    /// the threads interleave. Nothing happens for a cancelled ticket.
    public func watch(_ ticket: Ticket, for key: LandingRecord.Key) {
        state.withLock { s in
            guard var entry = s.entries[ticket.id] else { return }
            if let old = entry.key { Self.unlink(ticket.id, from: old, in: &s) }
            entry.key = key
            entry.resume = nil
            entry.changed = false
            s.entries[ticket.id] = entry
            Self.link(ticket.id, to: key, in: &s)
        }
    }

    /// Waits on `key` until it changes, the ticket times out, or shutdown; `resume` is called once
    /// (from the notifying, timing-out or shutting-down thread). Resumes at once when the ticket
    /// timed out already, the registry is shut down, or a change was announced since `watch`;
    /// never when the ticket was cancelled.
    public func wait(_ ticket: Ticket, for key: LandingRecord.Key, resume: @escaping @Sendable (Wake) -> Void) {
        let now = state.withLock { s -> Wake?? in
            guard var entry = s.entries[ticket.id] else { return .some(nil) }  // cancelled: never resume
            if s.closed { return .shutdown }
            if entry.timedOut { return .timedOut }
            if entry.changed {
                entry.changed = false
                s.entries[ticket.id] = entry
                return .changed
            }
            if let old = entry.key { Self.unlink(ticket.id, from: old, in: &s) }
            entry.key = key
            entry.resume = resume
            s.entries[ticket.id] = entry
            Self.link(ticket.id, to: key, in: &s)
            return .none
        }
        if case .some(.some(let wake)) = now { resume(wake) }
    }

    /// A record was written: wake everyone waiting on these keys (their tickets stay held).
    public func notify(_ keys: [LandingRecord.Key]) {
        let woken = state.withLock { s -> [@Sendable (Wake) -> Void] in
            var out: [@Sendable (Wake) -> Void] = []
            for key in keys {
                guard let ids = s.byKey.removeValue(forKey: key) else { continue }
                ids.forEach { Self.wake($0, in: &s, into: &out) }
            }
            return out
        }
        for resume in woken { resume(.changed) }
    }

    /// Every record may have changed (the notification listener reconnected and cannot know what it
    /// missed): every waiter re-reads its record.
    public func notifyAll() {
        let woken = state.withLock { s -> [@Sendable (Wake) -> Void] in
            var out: [@Sendable (Wake) -> Void] = []
            for ids in s.byKey.values {
                ids.forEach { Self.wake($0, in: &s, into: &out) }
            }
            s.byKey = [:]
            return out
        }
        for resume in woken { resume(.changed) }
    }

    /// Unregisters waiter `id` (already unlinked from its key) and collects its resume, or marks a
    /// watching one changed.
    private static func wake(_ id: UInt64, in s: inout State, into out: inout [@Sendable (Wake) -> Void]) {
        guard var entry = s.entries[id] else { return }
        if let resume = entry.resume { out.append(resume) } else { entry.changed = true }
        entry.key = nil
        entry.resume = nil
        s.entries[id] = entry
    }

    /// A commit changed these records (`StoreWorker`'s `onCommit`): wake everyone waiting on them.
    public func notify(_ changes: [RecordChange]) {
        notify(changes.map(\.key))
    }

    /// The ticket's deadline passed: resume it with `.timedOut` now, or at its next `wait`.
    public func timeOut(_ ticket: Ticket) {
        let resume = state.withLock { s -> (@Sendable (Wake) -> Void)? in
            guard var entry = s.entries[ticket.id] else { return nil }
            entry.timedOut = true
            let resume = entry.resume
            if let key = entry.key { Self.unlink(ticket.id, from: key, in: &s) }
            entry.key = nil
            entry.resume = nil
            s.entries[ticket.id] = entry
            return resume
        }
        resume?(.timedOut)
    }

    /// The response was sent: the ticket's place is free again. Idempotent.
    public func release(_ ticket: Ticket) {
        state.withLock { s in Self.remove(ticket.id, in: &s) }
    }

    /// The client left: forget the ticket without resuming it. Idempotent.
    public func cancel(_ ticket: Ticket) {
        release(ticket)
    }

    /// Shutdown: every waiter is answered now with the current state; later waits resume at once.
    public func shutdownAll() {
        let all = state.withLock { s -> [@Sendable (Wake) -> Void] in
            s.closed = true
            var out: [@Sendable (Wake) -> Void] = []
            for (id, var entry) in s.entries {
                if let resume = entry.resume { out.append(resume) }
                entry.key = nil
                entry.resume = nil
                s.entries[id] = entry
            }
            s.byKey = [:]
            return out
        }
        for resume in all { resume(.shutdown) }
    }

    private static func link(_ id: UInt64, to key: LandingRecord.Key, in s: inout State) {
        if s.byKey[key]?.insert(id) == nil { s.byKey[key] = .one(id) }
    }

    private static func unlink(_ id: UInt64, from key: LandingRecord.Key, in s: inout State) {
        if s.byKey[key]?.remove(id) == true { s.byKey[key] = nil }
    }

    private static func remove(_ id: UInt64, in s: inout State) {
        guard let entry = s.entries.removeValue(forKey: id) else { return }
        if let key = entry.key { unlink(id, from: key, in: &s) }
        let held = (s.perOwner[entry.owner] ?? 1) - 1
        s.perOwner[entry.owner] = held > 0 ? held : nil
    }
}
