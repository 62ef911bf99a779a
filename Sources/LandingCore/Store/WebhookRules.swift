/// The webhook rules both stores apply, as pure functions, so `MemoryStore`, `SQLiteStore` and
/// `PostgresStore` cannot drift apart (the conformance tests hold them to the same results as well).
///
/// Mapping (`effect(of:)`, the table in docs/api.md; Pluggy's webhook and item docs):
/// - `item/created`, `item/login_succeeded`, `item/updated` → completed, confirmed: the item exists
///   and the connection is authorized.
/// - `item/error` whose `error.code` means "still waiting" (`stillWaitingErrorCodes`:
///   `USER_AUTHORIZATION_PENDING`, which Pluggy says also fires this event while it waits for the
///   OAuth authorization) → pending, with the code kept as the record's detail: never a failure.
/// - any other `item/error` (`USER_AUTHORIZATION_NOT_GRANTED`, `INVALID_CREDENTIALS`, the
///   login-error class, …) → failed, confirmed, with the error.
/// - `item/waiting_user_input`, `item/waiting_user_action` → pending.
/// - `item/deleted` → expired; anything else is ignored.
///
/// Pluggy's payloads carry no timestamp and deliveries are retried, so a webhook may arrive after
/// a later one. The rules are therefore chosen to be safe under reordering (a test enumerates the
/// interleavings with the browser's callback):
/// - a confirmed outcome (completed or failed) replaces any earlier outcome, confirmed or not: the
///   latest word from the aggregator wins (a user who fixes a failed item gets `item/updated`);
/// - a waiting event never undoes an outcome: it creates the record of an unseen item as pending
///   and otherwise changes at most a pending record's detail (a late `waiting_user_action` or
///   `USER_AUTHORIZATION_PENDING` must not reopen a completion);
/// - `item/deleted` is final: the record turns expired (and confirmed), and no later webhook
///   changes it (Pluggy never reuses an item id).
/// A webhook that changes nothing leaves `updatedAt` alone too, so the daily `item/updated` of a
/// synced item does not disturb ETags or wake long-polls needlessly.
public enum WebhookRules {
    /// What a mapped event does to a record.
    public enum Effect: Sendable, Equatable {
        /// Completed and confirmed.
        case completed
        /// Failed and confirmed, with the item's error.
        case failed(LandingError)
        /// In progress: creates an unseen item as pending; on a pending record it only sets the
        /// detail (Pluggy's still-waiting error code, nil for the waiting events), never an outcome.
        case pending(detail: LandingError?)
        /// The item was deleted: expired, confirmed, final.
        case deleted
    }

    /// The error code recorded when an `item/error` arrives without an `error` object.
    public static let missingErrorCode = "ITEM_ERROR"

    /// `item/error` codes that mean Pluggy is still waiting, not that the connection failed.
    public static let stillWaitingErrorCodes: Set<String> = ["USER_AUTHORIZATION_PENDING"]

    /// The effect of `event`, or nil when the event is ignored.
    public static func effect(of event: WebhookEvent) -> Effect? {
        switch event.event {
        case "item/created", "item/updated", "item/login_succeeded": return .completed
        case "item/error":
            let error = event.error ?? LandingError(code: missingErrorCode, description: nil)
            return stillWaitingErrorCodes.contains(error.code) ? .pending(detail: error) : .failed(error)
        case "item/waiting_user_input", "item/waiting_user_action": return .pending(detail: nil)
        case "item/deleted": return .deleted
        default: return nil
        }
    }

    /// Applies `effect`, received at `time`, to an existing item or session record; returns whether
    /// the record changed (`updatedAt` moves only then).
    @discardableResult
    public static func apply(_ effect: Effect, at time: Int64, to record: inout LandingRecord, source: ConfirmationSource = .webhook) -> Bool {
        guard record.status != .expired else { return false }  // deleted: final
        let before = record
        switch effect {
        case .completed:
            record.status = .completed
            record.confirmed = true
            record.confirmedBy = source
            record.error = nil
            record.completedAt = record.completedAt ?? time
        case .failed(let error):
            record.status = .failed
            record.confirmed = true
            record.confirmedBy = source
            record.error = error
            record.completedAt = record.completedAt ?? time
        case .pending(let detail):
            // Never undoes an outcome; a pending record keeps the latest waiting detail.
            if record.status == .pending && !record.confirmed { record.error = detail }
        case .deleted:
            record.status = .expired
            record.confirmed = true
            record.confirmedBy = source
        }
        guard record != before else { return false }
        record.updatedAt = time
        return true
    }

    /// The record a webhook creates for an item never seen before.
    public static func newItem(for event: WebhookEvent, effect: Effect) -> LandingRecord {
        var item = LandingRecord(
            key: .item(event.itemId), itemId: event.itemId, status: .pending, createdAt: event.receivedAt,
            updatedAt: event.receivedAt)
        apply(effect, at: event.receivedAt, to: &item)
        return item
    }

    /// What one webhook does: the item record after it and the bound session's record after it.
    public struct Outcome: Sendable, Equatable {
        public var item: LandingRecord
        /// The item is new or changed: it must be written.
        public var itemChanged: Bool
        /// The session the item arrived through, when it still exists and is bound to the item.
        public var session: LandingRecord?
        /// The session changed: it must be written.
        public var sessionChanged: Bool
    }

    /// Decides what `event` (with its `effect`) does, given the item's current record (nil: never
    /// seen) and a way to read a session. The session the item arrived through (`item.sessionId`)
    /// mirrors the item's confirmed outcome when it is bound to this item (`session.itemId`).
    public static func outcome<Failure: Error>(
        of event: WebhookEvent, effect: Effect, item current: LandingRecord?,
        session readSession: (String) throws(Failure) -> LandingRecord?
    ) throws(Failure) -> Outcome {
        var item: LandingRecord
        let itemChanged: Bool
        if var existing = current {
            itemChanged = apply(effect, at: event.receivedAt, to: &existing)
            item = existing
        } else {
            item = newItem(for: event, effect: effect)
            itemChanged = true
        }
        var session: LandingRecord?
        var sessionChanged = false
        if let sessionId = item.sessionId, var bound = try readSession(sessionId), bound.itemId == event.itemId {
            sessionChanged = apply(effect, at: event.receivedAt, to: &bound)
            session = bound
        }
        return Outcome(item: item, itemChanged: itemChanged, session: session, sessionChanged: sessionChanged)
    }

    /// Callback rule: when a session's first callback binds an item whose outcome a webhook has
    /// already confirmed (the webhook came first), the session takes that confirmed outcome, so it
    /// never shows an unconfirmed browser claim that no later webhook will correct.
    public static func adoptConfirmedOutcome(of item: LandingRecord, into session: inout LandingRecord) {
        guard item.confirmed else { return }
        session.status = item.status
        session.confirmed = true
        session.confirmedBy = item.confirmedBy
        session.error = item.error
        session.connectorName = session.connectorName ?? item.connectorName
        session.executionStatus = item.executionStatus ?? session.executionStatus
    }
}
