/// The fields of a Pluggy item (`GET /items/{id}`) that confirm an OAuth connection, decoded
/// strictly and bounded (`PluggyItem+Decoding.swift`).
public struct PluggyItem: Sendable, Equatable {
    /// The item id, as `CallbackParameters.isValidItemId` accepts it.
    public var id: String
    /// `UPDATED`, `UPDATING`, `WAITING_USER_INPUT`, `WAITING_USER_ACTION`, `MERGING`,
    /// `LOGIN_ERROR`, `OUTDATED`, or a value Pluggy added later.
    public var status: String
    /// `SUCCESS`, `USER_AUTHORIZATION_PENDING`, …; nil when the item has none.
    public var executionStatus: String?
    /// The last execution's error (code sanitized like a callback's, message kept for display).
    public var error: LandingError?
    /// The institution's name (`connector.name`), cleaned for display.
    public var connectorName: String?

    public init(id: String, status: String, executionStatus: String? = nil, error: LandingError? = nil, connectorName: String? = nil) {
        self.id = id
        self.status = status
        self.executionStatus = executionStatus
        self.error = error
        self.connectorName = connectorName
    }

    /// What the item says about the connection.
    public var state: PluggyItemState {
        PluggyItemState(status: status, executionStatus: executionStatus, error: error)
    }
}
