import Synchronization

/// The records status reads found, by key with their version, so `GET /v1/items/{id}` and
/// `GET /v1/sessions/{id}` answer on the event loop without a round trip to the store thread.
///
/// Kept true by the layer that changes records: every commit's changes evict their keys
/// (`StoreWorker`'s `onCommit`, before the writes complete, so a client that saw its write
/// acknowledged never reads the older state here), and so do change notices from elsewhere;
/// `dropAll` forgets everything (after a lost change feed). A fill never replaces a newer version.
/// A fill races no eviction: it carries the `generation` taken before its store read, and any
/// eviction since then refuses it (the read may predate the change).
///
/// The cached record is what the store read returned; time-derived state is not cached: the
/// caller computes the effective status with its own `now` (`LandingRecord.effectiveStatus`),
/// exactly as after a store read. A record old enough for the retention purge to remove is not
/// served (`retentionMillis`): the store may no longer have it. Bounded: at most `capacity`
/// entries, the oldest filled evicted first.
public final class RecordReadCache: Sendable {
    /// What a status read answers for one cached record while its effective status is `status`:
    /// built once (`rendered(_:now:render:)`), then shared by every read until the record changes.
    public struct Rendered: Sendable {
        public var status: LandingStatus
        /// The ETag, for `If-None-Match`.
        public var etag: String
        /// The full answer (200 with the document) and the one for a matching `If-None-Match` (304).
        public var full: HTTPResponse
        public var notModified: HTTPResponse

        public init(status: LandingStatus, etag: String, full: HTTPResponse, notModified: HTTPResponse) {
            self.status = status
            self.etag = etag
            self.full = full
            self.notModified = notModified
        }
    }

    /// One cached record, its last rendering and the ring slot that records its fill order.
    // why: a class, so a read looks the entry up without copying the record and its rendering
    // (every string and array in them retained and released per read); only touched under the lock.
    final class Entry {
        let record: LandingRecord
        let slot: Int
        var rendered: Rendered?
        /// The record's fields a cached read checks, kept apart so a read does not copy the record.
        let updatedAt: Int64
        let status: LandingStatus
        let expiresAt: Int64?

        init(record: LandingRecord, slot: Int) {
            self.record = record
            self.slot = slot
            updatedAt = record.updatedAt
            status = record.status
            expiresAt = record.expiresAt
        }
    }

    /// The entries, the fill order (`ring[slot]` is the key filled into that slot; stale once its
    /// entry was evicted or refilled elsewhere) and the eviction count.
    struct State {
        var entries: [LandingRecord.Key: Entry] = [:]
        var ring: [LandingRecord.Key?]
        var next = 0
        var generation: UInt64 = 0
    }

    /// The server's bound: about 10,000 records of a few hundred bytes each.
    public static let defaultCapacity = 10_000

    /// Most records kept.
    public let capacity: Int
    /// Records last updated more than this many milliseconds ago are not served (nil: no purge).
    public let retentionMillis: Int64?
    private let state: Mutex<State>

    /// A cache of at most `capacity` records (at least 1); `retention` is the store's purge
    /// retention in seconds (`--retention`), nil when nothing is purged.
    public init(capacity: Int, retention: Double?) {
        precondition(capacity > 0, "a read cache needs room for at least one record")
        self.capacity = capacity
        // why: clamped like the purge's cutoff (`StoreWorker.PurgeRun`), so an absurd retention cannot trap.
        self.retentionMillis = retention.map { Int64(min(max($0 * 1_000, 0), 1e15).rounded()) }
        self.state = Mutex(State(ring: Array(repeating: nil, count: capacity)))
    }

    /// Entries held now (for tests and metrics).
    public var count: Int { state.withLock { $0.entries.count } }

    /// Take before a store read whose result will be `fill`ed.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// The cached record under `key`, or nil (not cached, or possibly purged as of `now`,
    /// milliseconds since the epoch).
    public func record(_ key: LandingRecord.Key, now: Int64) -> LandingRecord? {
        guard let record = state.withLock({ $0.entries[key]?.record }) else { return nil }
        if let retentionMillis, record.updatedAt < now &- retentionMillis { return nil }
        return record
    }

    /// The rendering of the record cached under `key` as of `now`, or nil (as `record`): the one
    /// kept if it was made for the same effective status, else `render(record, effectiveStatus)`,
    /// kept for the next read. `render` runs under the cache's lock: it must not call the cache.
    public func rendered(
        _ key: LandingRecord.Key, now: Int64, render: (LandingRecord, LandingStatus) -> Rendered
    ) -> Rendered? {
        state.withLock { state -> Rendered? in
            guard let entry = state.entries[key] else { return nil }
            if let retentionMillis, entry.updatedAt < now &- retentionMillis { return nil }
            let status = LandingRecord.effectiveStatus(entry.status, expiresAt: entry.expiresAt, now: now)
            if let rendered = entry.rendered, rendered.status == status { return rendered }
            let rendered = render(entry.record, status)
            entry.rendered = rendered
            return rendered
        }
    }

    /// Keeps `record` (as a store read returned it) unless something was evicted since
    /// `generation` was taken, or a newer version is already cached.
    public func fill(_ record: LandingRecord, generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if let existing = state.entries[record.key] {
                guard existing.record.version <= record.version else { return }
                if existing.record != record { state.entries[record.key] = Entry(record: record, slot: existing.slot) }
                return
            }
            let slot = state.next
            if let old = state.ring[slot], state.entries[old]?.slot == slot {
                state.entries[old] = nil
            }
            state.ring[slot] = record.key
            state.entries[record.key] = Entry(record: record, slot: slot)
            state.next = slot + 1 == capacity ? 0 : slot + 1
        }
    }

    /// A commit here, or a notice from elsewhere, says these records changed: evicts each one
    /// cached, whatever its version.
    // why: not only older versions: a record deleted (or purged) and written again restarts at
    // version 1, so a change may name a lower version than the stale entry holds.
    public func apply(_ changes: [RecordChange]) {
        guard !changes.isEmpty else { return }
        state.withLock { state in
            state.generation &+= 1
            for change in changes { state.entries[change.key] = nil }
        }
    }

    /// Forgets every record (changes may have gone unannounced, e.g. while a change feed reconnected).
    public func dropAll() {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll(keepingCapacity: true)
            for i in state.ring.indices { state.ring[i] = nil }
            state.next = 0
        }
    }
}
