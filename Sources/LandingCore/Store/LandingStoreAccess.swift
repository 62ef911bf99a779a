/// How handlers reach the store without blocking an event loop: every call is queued to the store's
/// own thread and completes later, from that thread. `StoreWorker` (LandingIO) is the real one;
/// tests use `InlineStoreAccess`.
public protocol LandingStoreAccess: Sendable {
    func recordCallback(_ event: CallbackEvent, completion: @escaping @Sendable (Result<CallbackRecordResult, StoreError>) -> Void)
    func perform<T: Sendable>(
        _ work: @escaping @Sendable (LandingStore) throws(StoreError) -> T,
        completion: @escaping @Sendable (Result<T, StoreError>) -> Void)
}

/// Runs store calls synchronously on the caller's thread: for pure handler tests only.
public struct InlineStoreAccess: LandingStoreAccess {
    public let store: LandingStore

    public init(store: LandingStore) {
        self.store = store
    }

    public func recordCallback(_ event: CallbackEvent, completion: @escaping @Sendable (Result<CallbackRecordResult, StoreError>) -> Void) {
        do {
            completion(.success(try store.recordCallback(event)))
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
