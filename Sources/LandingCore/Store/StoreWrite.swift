/// One record a committed write changed: its key and the version it has now (for a deleted
/// session, one past its last version). Every write reports these, so the layer that commits is the
/// one that announces (long-poll waiters are woken from `StoreWorker`'s commit hook, not by handlers).
public struct RecordChange: Sendable, Hashable {
    public var key: LandingRecord.Key
    public var version: Int64

    public init(key: LandingRecord.Key, version: Int64) {
        self.key = key
        self.version = version
    }
}

/// One write, as queued and group-committed by the store thread.
public enum StoreWrite: Sendable, Equatable {
    case callback(CallbackEvent)
    case webhook(WebhookEvent)
    case createSession(NewSession)
    case deleteSession(id: String)
    /// What Pluggy's API said about an item (`PluggyConfirmer`).
    case confirmation(PluggyConfirmation)
}

/// An item's state as fetched from Pluggy's API, to record: a terminal state confirms the outcome
/// (`confirmedBy: api`), a pending one only updates the detail; the institution's name and the
/// execution status are kept either way.
public struct PluggyConfirmation: Sendable, Equatable {
    public var itemId: String
    public var state: PluggyItemState
    public var connectorName: String?
    public var executionStatus: String?
    /// When the answer arrived, milliseconds since the Unix epoch.
    public var receivedAt: Int64

    public init(itemId: String, state: PluggyItemState, connectorName: String?, executionStatus: String?, receivedAt: Int64) {
        self.itemId = itemId
        self.state = state
        self.connectorName = connectorName
        self.executionStatus = executionStatus
        self.receivedAt = receivedAt
    }

    /// The webhook effect with the same meaning.
    public var effect: WebhookRules.Effect {
        switch state {
        case .completed: .completed
        case .failed(let error): .failed(error)
        case .pending(let detail): .pending(detail: detail)
        }
    }
}

/// What one `StoreWrite` produced, case for case.
public enum StoreWriteResult: Sendable, Equatable {
    case callback(CallbackRecordResult)
    case webhook(WebhookResult)
    case sessionCreated(LandingRecord)
    /// Whether the session existed.
    case sessionDeleted(Bool)
    /// The item record after a confirmation.
    case confirmed(LandingRecord)
}

extension StoreWriteResult {
    /// The callback's result, when this is one.
    public var callbackResult: CallbackRecordResult? { if case .callback(let value) = self { value } else { nil } }
    /// The webhook's result, when this is one.
    public var webhookResult: WebhookResult? { if case .webhook(let value) = self { value } else { nil } }
    /// The created session, when this is one.
    public var createdSession: LandingRecord? { if case .sessionCreated(let value) = self { value } else { nil } }
    /// The item after a confirmation, when this is one.
    public var confirmedItem: LandingRecord? { if case .confirmed(let value) = self { value } else { nil } }
    /// Whether the deleted session existed, when this is a deletion.
    public var sessionExisted: Bool? { if case .sessionDeleted(let value) = self { value } else { nil } }

    /// The value `extract` finds in this result; a result of another kind (for another write) is a
    /// broken invariant, `.corrupt`.
    public func typed<T>(_ extract: (StoreWriteResult) -> T?) throws(StoreError) -> T {
        guard let value = extract(self) else { throw StoreError(.corrupt, "the store answered a write with \(self)") }
        return value
    }
}

/// What one committed transaction produced: a result per write, in order, and every record the
/// transaction changed (each key once, with its final version).
public struct StoreCommit: Sendable, Equatable {
    public var results: [StoreWriteResult]
    public var changes: [RecordChange]

    public init(results: [StoreWriteResult], changes: [RecordChange]) {
        self.results = results
        self.changes = changes
    }
}
