/// How handlers reach the store without blocking an event loop: every call is queued to the store's
/// own thread and completes later, from that thread. `StoreWorker` (LandingIO) is the real one;
/// tests use `InlineStoreAccess`.
///
/// Writes go through `write` (and its typed forms below): the access commits them, announces the
/// records they changed through its commit hook (which the server wires to `RecordWaiters.notify`),
/// then completes them; a handler never announces a change itself.
public protocol LandingStoreAccess: Sendable {
    /// Queues `write` for the next group commit; `completion` runs once it is durable (after its
    /// changes were announced) or with the error that rolled its batch back.
    func write(_ write: StoreWrite, completion: @escaping @Sendable (Result<StoreWriteResult, StoreError>) -> Void)

    /// Runs `work` (reads; never a write, which would go unannounced) on the store, then `completion`.
    func perform<T: Sendable>(
        _ work: @escaping @Sendable (LandingStore) throws(StoreError) -> T,
        completion: @escaping @Sendable (Result<T, StoreError>) -> Void)
}

extension LandingStoreAccess {
    /// Records a callback (`LandingStore.recordCallback`).
    // why: spelled out rather than through the generic `write(_:as:)`, whose closure runs
    // unspecialized (`Result.flatMap`, a key path, metadata look-ups): ~4k instructions per callback.
    public func recordCallback(_ event: CallbackEvent, completion: @escaping @Sendable (Result<CallbackRecordResult, StoreError>) -> Void) {
        write(.callback(event)) { result in
            switch result {
            case .success(.callback(let value)): completion(.success(value))
            case .success(let other): completion(.failure(StoreError(.corrupt, "the store answered a write with \(other)")))
            case .failure(let error): completion(.failure(error))
            }
        }
    }

    /// Applies a webhook (`LandingStore.applyWebhook`).
    public func applyWebhook(_ event: WebhookEvent, completion: @escaping @Sendable (Result<WebhookResult, StoreError>) -> Void) {
        write(.webhook(event), as: \.webhookResult, completion: completion)
    }

    /// Creates a session (`LandingStore.createSession`).
    public func createSession(_ session: NewSession, completion: @escaping @Sendable (Result<LandingRecord, StoreError>) -> Void) {
        write(.createSession(session), as: \.createdSession, completion: completion)
    }

    /// Deletes a session; true when it existed (`LandingStore.deleteSession`).
    public func deleteSession(id: String, completion: @escaping @Sendable (Result<Bool, StoreError>) -> Void) {
        write(.deleteSession(id: id), as: \.sessionExisted, completion: completion)
    }

    /// `write`, with its result as `T`.
    private func write<T>(
        _ write: StoreWrite, as extract: @escaping @Sendable (StoreWriteResult) -> T?,
        completion: @escaping @Sendable (Result<T, StoreError>) -> Void
    ) {
        self.write(write) { result in
            completion(result.flatMap { (value) -> Result<T, StoreError> in
                do throws(StoreError) { return .success(try value.typed(extract)) } catch { return .failure(error) }
            })
        }
    }
}

/// Runs store calls synchronously on the caller's thread: for pure handler tests only. Like the
/// worker, it announces each commit's changes (`onCommit`) before completing the write.
public struct InlineStoreAccess: LandingStoreAccess {
    public let store: LandingStore
    let onCommit: @Sendable ([RecordChange]) -> Void

    public init(store: LandingStore, onCommit: @escaping @Sendable ([RecordChange]) -> Void = { _ in }) {
        self.store = store
        self.onCommit = onCommit
    }

    public func write(_ write: StoreWrite, completion: @escaping @Sendable (Result<StoreWriteResult, StoreError>) -> Void) {
        do throws(StoreError) {
            let commit = try store.commit([write])
            if !commit.changes.isEmpty { onCommit(commit.changes) }
            guard let result = commit.results.first else { throw StoreError(.corrupt, "the store returned no result for a write") }
            completion(.success(result))
        } catch {
            completion(.failure(error))
        }
    }

    public func perform<T: Sendable>(
        _ work: @escaping @Sendable (LandingStore) throws(StoreError) -> T,
        completion: @escaping @Sendable (Result<T, StoreError>) -> Void
    ) {
        do {
            completion(.success(try work(store)))
        } catch {
            completion(.failure(error))
        }
    }
}
