/// One status read of `/v1/items/{id}` or `/v1/sessions/{id}` that may wait for a change
/// (long-poll): what the read needs, held once. The closures that carry it through the store and
/// the waiters capture this one reference, so a waiting long-poll holds one small object instead
/// of a copy of every captured value per closure (ten thousand waiters are the bound to design for).
final class StatusRead: Sendable {
    let key: LandingRecord.Key
    let lookup: @Sendable (LandingStore) throws(StoreError) -> LandingRecord?
    /// The long-poll's place among the waiters; nil for a plain read.
    let ticket: RecordWaiters.Ticket?
    let ifNoneMatch: String?
    /// The `Prefer: wait` asked for, echoed as `Preference-Applied`.
    let wait: Int?
    let waiters: RecordWaiters
    let store: any LandingStoreAccess
    let clock: @Sendable () -> Int64
    let cache: RecordReadCache?
    let complete: @Sendable (@escaping ResponseBuilder) -> Void

    init(
        key: LandingRecord.Key, lookup: @escaping @Sendable (LandingStore) throws(StoreError) -> LandingRecord?,
        ticket: RecordWaiters.Ticket?, ifNoneMatch: String?, wait: Int?, waiters: RecordWaiters,
        store: any LandingStoreAccess, clock: @escaping @Sendable () -> Int64, cache: RecordReadCache?,
        complete: @escaping @Sendable (@escaping ResponseBuilder) -> Void
    ) {
        self.key = key
        self.lookup = lookup
        self.ticket = ticket
        self.ifNoneMatch = ifNoneMatch
        self.wait = wait
        self.waiters = waiters
        self.store = store
        self.clock = clock
        self.cache = cache
        self.complete = complete
    }

    /// Reads the record and answers, or waits. `final`: answer now (deadline or shutdown);
    /// `fullBody`: with the state even if unchanged; `rereading`: a waiter woken by a change reads again.
    func attempt(final: Bool, fullBody: Bool = false, rereading: Bool = false) {
        // Watch before reading: a change announced after this point (from any store thread or
        // another instance) makes the wait below resume at once.
        if !final, let ticket { waiters.watch(ticket, for: key) }
        // why: taken before the read, so an eviction committed meanwhile refuses the fill below.
        let generation = cache?.generation ?? 0
        store.perform(lookup) { [self] result in
            let now = clock()
            let record: LandingRecord?
            switch result {
            case .failure(let error):
                // why: a waiter woken to re-read (a change, or every waiter after the listener
                // reconnected) may reach a store connection that is still reconnecting; it keeps
                // waiting until the next change or its deadline rather than turning into a 503.
                // A first read or a final one answers the failure.
                if !final, rereading, error.kind == .unavailable, let ticket {
                    waitForChange(ticket)
                    return
                }
                if let ticket { waiters.release(ticket) }
                complete { APIResponse.storeFailure(error) }
                return
            case .success(let r):
                record = r
                // why: only reads that answer now fill the cache; a long-poll's read would hold a
                // record per waiter (about 2 KiB each at 10,000 waiters) for reads that never
                // come: the change that wakes the waiter evicts it anyway.
                if ticket == nil, let r, let cache { cache.fill(r, generation: generation) }
            }
            // The ETag comes from the record's version and its time-derived status, so a match
            // (304, or another wait) costs no encoding of the document.
            let tag = record.map { StatusDocument.etag(of: $0, now: now) }
            let unchanged = SessionAPI.ifNoneMatchMatches(ifNoneMatch, etag: tag)
            // Wait while the client already has this state (or the record does not exist yet).
            if !final, let ticket, unchanged || record == nil {
                // why: the ticket has watched `key` since before the read, so a change committed
                // after the read (on another store thread, or announced by another instance)
                // resumes this wait at once instead of being missed.
                waitForChange(ticket)
                return
            }
            if let ticket { waiters.release(ticket) }
            var response: HTTPResponse
            if let record, let tag {
                response = SessionAPI.statusResponse(record, tag: tag, unchanged: unchanged && !fullBody, now: now)
            } else {
                response = APIResponse.error(.notFound, "not_found", "No such record.")
            }
            if let wait { response.headers.add(name: "Preference-Applied", value: "wait=\(wait)") }
            let finished = response
            complete { finished }
        }
    }

    private func waitForChange(_ ticket: RecordWaiters.Ticket) {
        waiters.wait(ticket, for: key) { [self] wake in
            switch wake {
            case .changed: attempt(final: false, rereading: true)
            case .timedOut: attempt(final: true)
            // On SIGTERM, waiting requests get the current state.
            case .shutdown: attempt(final: true, fullBody: true)
            }
        }
    }
}
