/// The callback rules of `LandingStore.recordCallback`, as one pure function both stores call:
/// they read the session and item records the event names, apply this, and write what it returns.
public enum CallbackRules {
    /// What a callback does to the records it names.
    public struct Outcome: Sendable, Equatable {
        public var result: CallbackRecordResult
        /// Records to write (nil: unchanged / nothing to write).
        public var session: LandingRecord?
        public var item: LandingRecord?
    }

    /// - Parameters:
    ///   - session: the stored session named by `event.sessionId` (nil if unknown or none named).
    ///   - item: the stored item named by `event.itemId` (nil if new or none named).
    public static func apply(_ event: CallbackEvent, session storedSession: LandingRecord?, item storedItem: LandingRecord?) -> Outcome {
        let now = event.receivedAt
        var sessionResult: (LandingRecord, Bool)?
        if event.sessionId != nil {
            guard var session = storedSession, session.effectiveStatus(now: now) != .expired else {
                return Outcome(result: .unknownSession, session: nil, item: nil)
            }
            let first = session.status == .pending
            session.hits += 1
            session.updatedAt = now
            if first { complete(&session, with: event) }
            // A session binds the first item id a callback names (its first callback may have had none).
            if session.itemId == nil { session.itemId = event.itemId }
            sessionResult = (session, first)
        }
        var itemResult: (LandingRecord, Bool)?
        if let itemID = event.itemId {
            if var item = storedItem {
                let first = item.status == .pending
                item.hits += 1
                item.updatedAt = now
                if first { complete(&item, with: event) }
                if item.sessionId == nil { item.sessionId = event.sessionId }
                itemResult = (item, first)
            } else {
                var item = LandingRecord(
                    key: .item(itemID), itemId: itemID, sessionId: event.sessionId, status: .pending, hits: 1,
                    createdAt: now, updatedAt: now, isTest: event.isTest)
                complete(&item, with: event)
                itemResult = (item, true)
            }
        }
        // A webhook may have confirmed the item before the browser came back: the session's first
        // callback takes that confirmed outcome.
        if case var (session, true)? = sessionResult, let item = itemResult?.0, item.confirmed {
            WebhookRules.adoptConfirmedOutcome(of: item, into: &session)
            sessionResult = (session, true)
        }
        guard let (record, first) = sessionResult ?? itemResult else {
            return Outcome(result: .unknownSession, session: nil, item: nil)
        }
        return Outcome(result: .recorded(record, firstCompletion: first), session: sessionResult?.0, item: itemResult?.0)
    }

    static func complete(_ record: inout LandingRecord, with event: CallbackEvent) {
        record.status = event.error == nil ? .completed : .failed
        record.error = event.error
        record.completedAt = event.receivedAt
        record.rawParameters = event.rawParameters
        record.droppedParameters = event.droppedParameters
        record.isTest = record.isTest || event.isTest
    }
}
