import Foundation
import Glibc
import LandingCore

/// Pluggy's API, as this server uses it: `authenticate()` (`POST /auth`, the key cached by
/// `PluggyAPIKeyCache`) and `item(id:)` (`GET /items/{id}` decoded into a `PluggyItem`).
///
/// - Key: one `/auth` serves every request for 1 h 50 min; then one caller refreshes while the
///   others use the current key; a 401 on an item forgets the key, refreshes it and retries the
///   request once.
/// - Rate limits: a 429 is returned as `.rateLimited(retryAfter:)` (seconds, from `Retry-After`
///   as delay-seconds or HTTP-date); the caller's `PluggyRecheckSchedule` honours it.
/// - Concurrency: at most `maxConcurrentRequests` exchanges at once, on the client's own threads;
///   at most `maxQueuedRequests` waiting, beyond which calls fail fast with `.overloaded`.
/// - Threads: the completion-handler methods run on the client's threads and call back there
///   (never on an event loop; post the result back to yours). The blocking methods are for those
///   threads and for tests: never call them on an event loop.
public final class PluggyClient: Sendable {
    /// Where and how to reach Pluggy.
    public struct Configuration: Sendable {
        public var endpoint: HTTPSEndpoint
        public var credentials: PluggyCredentials
        /// Most exchanges in flight at once (threads). Default 4.
        public var maxConcurrentRequests: Int
        /// Most requests waiting for a thread; more fail with `.overloaded`. Default 256.
        public var maxQueuedRequests: Int
        public var keyPolicy: PluggyAPIKeyCache.Policy

        public init(
            endpoint: HTTPSEndpoint, credentials: PluggyCredentials, maxConcurrentRequests: Int = 4, maxQueuedRequests: Int = 256,
            keyPolicy: PluggyAPIKeyCache.Policy = PluggyAPIKeyCache.Policy()
        ) {
            precondition(maxConcurrentRequests >= 1 && maxQueuedRequests >= 0, "bad Pluggy client limits")
            self.endpoint = endpoint
            self.credentials = credentials
            self.maxConcurrentRequests = maxConcurrentRequests
            self.maxQueuedRequests = maxQueuedRequests
            self.keyPolicy = keyPolicy
        }
    }

    public let configuration: Configuration
    private let http: HTTPSClient
    private let keys: KeyStore
    private let queue: PluggyWorkQueue
    /// Monotonic seconds (key ages).
    private let now: @Sendable () -> Double
    /// Wall-clock seconds since the epoch (Retry-After dates).
    private let wallClock: @Sendable () -> Int

    /// Starts the client's threads. `now` (monotonic seconds; default the system's monotonic
    /// clock) and `wallClock` (epoch seconds; default the real time) are injected for tests.
    public init(
        configuration: Configuration, http: HTTPSClient, now: (@Sendable () -> Double)? = nil,
        wallClock: (@Sendable () -> Int)? = nil
    ) {
        self.configuration = configuration
        self.http = http
        self.keys = KeyStore(cache: PluggyAPIKeyCache(policy: configuration.keyPolicy))
        self.queue = PluggyWorkQueue(threads: configuration.maxConcurrentRequests, maxQueued: configuration.maxQueuedRequests)
        self.now = now ?? { monotonicNow() }
        self.wallClock = wallClock ?? { wallClockNow().seconds }
    }

    deinit { queue.shutdown() }

    /// Stops the threads after the exchanges in flight; queued calls complete with `.shutDown`.
    public func shutdown() { queue.shutdown() }

    // MARK: - Completion-handler API

    /// Makes sure an API key is cached (fetching one if needed), on a client thread.
    public func authenticate(completion: @escaping @Sendable (Result<Void, PluggyClientError>) -> Void) {
        submit({ completion(.failure($0)) }) { [self] in completion(authenticate()) }
    }

    /// Fetches the item `id`, on a client thread.
    public func item(id: String, completion: @escaping @Sendable (Result<PluggyItem, PluggyClientError>) -> Void) {
        submit({ completion(.failure($0)) }) { [self] in completion(item(id: id)) }
    }

    /// Queues `job`, or calls `refuse` at once (on the calling thread) when the queue is full or
    /// shut down.
    private func submit(_ refuse: @Sendable (PluggyClientError) -> Void, _ job: @escaping @Sendable () -> Void) {
        if let error = queue.submit(job) { refuse(error) }
    }

    // MARK: - Blocking API (client threads and tests only)

    /// Makes sure an API key is cached, fetching one if needed. Blocking.
    public func authenticate() -> Result<Void, PluggyClientError> {
        apiKey().map { _ in () }
    }

    /// `GET /items/{id}`; after a 401, the key is refreshed and the request retried once. Blocking.
    public func item(id: String) -> Result<PluggyItem, PluggyClientError> {
        let endpoint = configuration.endpoint
        guard PluggyAPI.itemRequest(itemId: id, apiKey: "x", basePath: endpoint.basePath) != nil else { return .failure(.invalidItemId) }
        var attempt = 0
        while true {
            attempt += 1
            let key: String
            switch apiKey() {
            case .failure(let error): return .failure(error)
            case .success(let value): key = value
            }
            guard let request = PluggyAPI.itemRequest(itemId: id, apiKey: key, basePath: endpoint.basePath) else {
                return .failure(.invalidItemId)
            }
            let response: HTTPClientResponse
            switch http.send(request, to: endpoint) {
            case .failure(let error): return .failure(.transport(error))
            case .success(let value): response = value
            }
            switch response.statusCode {
            case 200:
                switch PluggyItem.decode(response.body) {
                case .failure(let error): return .failure(.invalidResponse(error))
                case .success(let item): return item.id == id ? .success(item) : .failure(.itemMismatch)
                }
            case 401:
                // Pluggy no longer accepts this key (revoked, or older than we thought): forget it
                // and try once more with a fresh one.
                keys.rejected(key)
                if attempt >= 2 { return .failure(.unauthorized) }
            case 404:
                return .failure(.itemNotFound)
            case 429:
                return .failure(.rateLimited(retryAfter: retryAfter(response)))
            default:
                return .failure(.unexpectedStatus(response.statusCode))
            }
        }
    }

    /// A usable API key: the cached one, a fresh one from `/auth`, or one another thread is
    /// fetching (waited for up to the HTTP client's total timeout).
    private func apiKey() -> Result<String, PluggyClientError> {
        let waitLimit = Date(timeIntervalSinceNow: http.configuration.totalTimeout + 1)
        return keys.key(now: now, waitUntil: waitLimit) { [self] in fetchKey() }
    }

    /// `POST /auth`.
    private func fetchKey() -> Result<String, PluggyClientError> {
        let endpoint = configuration.endpoint
        let request = PluggyAPI.authRequest(
            clientId: configuration.credentials.clientId, clientSecret: configuration.credentials.clientSecret,
            basePath: endpoint.basePath)
        switch http.send(request, to: endpoint) {
        case .failure(let error):
            return .failure(.transport(error))
        case .success(let response):
            switch response.statusCode {
            case 200, 201:
                return PluggyAuthResponse.decode(response.body).mapError { .invalidResponse($0) }
            case 401, 403:
                return .failure(.authenticationRejected(status: response.statusCode))
            case 429:
                return .failure(.rateLimited(retryAfter: retryAfter(response)))
            default:
                return .failure(.unexpectedStatus(response.statusCode))
            }
        }
    }

    /// The response's `Retry-After`, in seconds from now.
    private func retryAfter(_ response: HTTPClientResponse) -> Double? {
        guard let value = response.headers["Retry-After"] else { return nil }
        return HTTPRetryAfter.delaySeconds(value, nowEpochSeconds: wallClock()).map(Double.init)
    }
}

/// `PluggyAPIKeyCache` behind a condition variable: the shell that performs its actions.
private final class KeyStore: @unchecked Sendable {  // why: all state behind `condition`.
    private let condition = NSCondition()
    private var cache: PluggyAPIKeyCache

    init(cache: PluggyAPIKeyCache) {
        self.cache = cache
    }

    /// Runs the cache's decisions until there is a key or an error; `fetch` performs `/auth`
    /// (outside the lock).
    func key(
        now: () -> Double, waitUntil: Date, fetch: () -> Result<String, PluggyClientError>
    ) -> Result<String, PluggyClientError> {
        condition.lock()
        defer { condition.unlock() }
        while true {
            switch cache.acquire(now: now()) {
            case .use(let key):
                return .success(key)
            case .unavailable(let until):
                return .failure(.authenticationUnavailable(retryAfter: max(0, until - now())))
            case .wait:
                guard condition.wait(until: waitUntil) else { return .failure(.authenticationUnavailable(retryAfter: nil)) }
            case .refresh(let ticket, let current):
                let requestedAt = now()
                condition.unlock()
                let result = fetch()
                condition.lock()
                condition.broadcast()
                switch result {
                case .success(let key):
                    cache.refreshed(ticket: ticket, key: key, requestedAt: requestedAt)
                    return .success(key)
                case .failure(let error):
                    cache.refreshFailed(ticket: ticket, now: now(), retryAfter: error.retryAfter)
                    // The current key (past its refresh time) is still usable for this request.
                    if let current { return .success(current) }
                    return .failure(error)
                }
            }
        }
    }

    func rejected(_ key: String) {
        condition.lock()
        cache.rejected(key: key)
        condition.unlock()
    }
}

/// A fixed set of threads taking jobs from one bounded queue.
final class PluggyWorkQueue: @unchecked Sendable {  // why: all state behind `condition`.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private var isShutDown = false
    private let maxQueued: Int

    init(threads: Int, maxQueued: Int) {
        self.maxQueued = maxQueued
        for index in 0..<threads {
            let thread = Thread { [self] in
                StoreWorker.nameCurrentThread("landing-pluggy-\(index)")
                run()
            }
            thread.start()
        }
    }

    /// Queues `job`; returns the error when it cannot be queued.
    func submit(_ job: @escaping @Sendable () -> Void) -> PluggyClientError? {
        condition.lock()
        defer { condition.unlock() }
        if isShutDown { return .shutDown }
        if jobs.count - head >= maxQueued { return .overloaded }
        jobs.append(job)
        condition.signal()
        return nil
    }

    func shutdown() {
        condition.lock()
        isShutDown = true
        condition.broadcast()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while head == jobs.count && !isShutDown { condition.wait() }
            if head == jobs.count {
                condition.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            job()
        }
    }
}
