import Synchronization
import Testing
@testable import LandingCore

/// The typed writes of `LandingStoreAccess` (`recordCallback` and the others) hand each write's
/// own result to its caller, and turn a result of another kind into a `.corrupt` error.
@Suite struct LandingStoreAccessTests {
    /// An access that answers every write with `answer`, whatever the write was.
    struct FixedAnswerAccess: LandingStoreAccess {
        let answer: Result<StoreWriteResult, StoreError>

        func write(_ write: StoreWrite, completion: @escaping @Sendable (Result<StoreWriteResult, StoreError>) -> Void) {
            completion(answer)
        }

        func perform<T: Sendable>(
            _ work: @escaping @Sendable (LandingStore) throws(StoreError) -> T,
            completion: @escaping @Sendable (Result<T, StoreError>) -> Void
        ) {
            completion(.failure(StoreError(.unavailable, "no reads here")))
        }
    }

    static let event = CallbackEvent(itemId: "it-1", sessionId: nil, error: nil, receivedAt: 1)

    static func recordCallback(through access: some LandingStoreAccess) -> Result<CallbackRecordResult, StoreError>? {
        let seen = Mutex<Result<CallbackRecordResult, StoreError>?>(nil)
        access.recordCallback(event) { result in seen.withLock { $0 = result } }
        return seen.withLock { $0 }
    }

    /// A callback's result reaches the completion as it came from the store.
    @Test func recordCallback_PassesTheCallbackResult() throws {
        let record = LandingRecord(key: .item("it-1"), itemId: "it-1", status: .completed, createdAt: 1, updatedAt: 1, version: 1)
        let access = FixedAnswerAccess(answer: .success(.callback(.recorded(record, firstCompletion: true))))
        let result = try #require(Self.recordCallback(through: access))
        #expect(try result.get() == .recorded(record, firstCompletion: true))
        #expect(try #require(Self.recordCallback(through: FixedAnswerAccess(answer: .success(.callback(.unknownSession))))).get() == .unknownSession)
    }

    /// A store that answers a callback with another kind of result broke an invariant: `.corrupt`, never a crash.
    @Test func recordCallback_MismatchedResult_IsCorrupt() throws {
        let access = FixedAnswerAccess(answer: .success(.sessionDeleted(true)))
        let result = try #require(Self.recordCallback(through: access))
        #expect(throws: StoreError.self) { try result.get() }
        if case .failure(let error) = result { #expect(error.kind == .corrupt) }
    }

    /// A failed commit's error reaches the completion unchanged.
    @Test func recordCallback_PassesTheStoreError() throws {
        let error = StoreError(.unavailable, "disk full")
        let result = try #require(Self.recordCallback(through: FixedAnswerAccess(answer: .failure(error))))
        if case .failure(let got) = result { #expect(got == error) } else { Issue.record("expected a failure, got \(result)") }
    }
}
