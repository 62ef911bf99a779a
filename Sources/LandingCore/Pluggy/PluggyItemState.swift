/// What an item fetched from Pluggy's API (`GET /items/{id}`) says about the OAuth connection, the
/// API's counterpart of `WebhookRules.effect(of:)`.
///
/// The mapping (`init(status:executionStatus:error:)`; one test per row in `PluggyItemStateTests`):
///
/// | `status` | `executionStatus` / `error.code` | → |
/// |---|---|---|
/// | `UPDATED` | any | completed |
/// | `LOGIN_ERROR` | any | failed (the item's error, else the execution status, else `LOGIN_ERROR`) |
/// | `UPDATING`, `MERGING`, `WAITING_USER_INPUT`, `WAITING_USER_ACTION` | any | pending |
/// | `OUTDATED` | `SUCCESS`, `PARTIAL_SUCCESS` | completed |
/// | `OUTDATED` | a terminal code (`terminalErrorCodes`) in either | failed |
/// | `OUTDATED` | anything else (`USER_AUTHORIZATION_PENDING`, `ERROR`, `CONNECTION_ERROR`, none…) | pending |
/// | any other value | any | pending |
///
/// Why this order:
/// - A status saying an execution is running (`UPDATING`, `MERGING`, `WAITING_USER_*`) wins over
///   `executionStatus` and `error`, which may be left from the previous execution (a user retrying
///   after `INVALID_CREDENTIALS`): the re-check sees how the running execution ends.
/// - `OUTDATED` means Pluggy validated the credentials but the last execution had an error, which
///   Pluggy may retry; only the codes that say the user or the institution refused
///   (`terminalErrorCodes`) make it a failure. Generic errors (`ERROR`, `CONNECTION_ERROR`,
///   `UNEXPECTED_ERROR`, `MERGE_ERROR`) stay pending, re-checked until the session expires.
/// - Unknown values (Pluggy adds some over time) are pending: a wrong "failed" is what users see
///   (the bug this type exists to prevent); a wrong "pending" only delays the answer.
///
/// A pending state carries a detail only for the "still waiting for the user" codes
/// (`WebhookRules.stillWaitingErrorCodes`, i.e. `USER_AUTHORIZATION_PENDING`), as the webhook
/// mapping does.
public enum PluggyItemState: Sendable, Equatable {
    /// The connection is authorized.
    case completed
    /// The connection failed for good (until the user tries again), with Pluggy's error.
    case failed(LandingError)
    /// Not decided yet: re-check later.
    case pending(detail: LandingError?)

    /// Statuses that mean an execution is running.
    public static let inProgressStatuses: Set<String> = ["UPDATING", "MERGING", "WAITING_USER_INPUT", "WAITING_USER_ACTION"]

    /// Execution statuses of a successful execution.
    public static let successExecutionStatuses: Set<String> = ["SUCCESS", "PARTIAL_SUCCESS"]

    /// Execution statuses and error codes that end an OAuth connection attempt as a failure: the
    /// user refused or let the authorization lapse, or the login-error class (Pluggy's item
    /// lifecycle and pluggy-node's `ExecutionErrorCode`).
    public static let terminalErrorCodes: Set<String> = [
        "USER_AUTHORIZATION_NOT_GRANTED", "USER_AUTHORIZATION_REVOKED", "INVALID_CREDENTIALS", "INVALID_CREDENTIALS_MFA",
        "ALREADY_LOGGED_IN", "ACCOUNT_LOCKED", "ACCOUNT_NEEDS_ACTION", "ACCOUNT_CREDENTIALS_RESET", "SITE_NOT_AVAILABLE",
        "USER_INPUT_TIMEOUT", "USER_NOT_SUPPORTED", "CREATE_ERROR",
    ]

    /// Maps an item's `status`, `executionStatus` and `error` (see the table above).
    public init(status: String, executionStatus: String?, error: LandingError?) {
        if status == "UPDATED" {
            self = .completed
        } else if status == "LOGIN_ERROR" {
            self = .failed(error ?? LandingError(code: executionStatus ?? "LOGIN_ERROR", description: nil))
        } else if Self.inProgressStatuses.contains(status) {
            self = .pending(detail: Self.waitingDetail(executionStatus: executionStatus, error: error))
        } else if status == "OUTDATED" {
            if let executionStatus, Self.successExecutionStatuses.contains(executionStatus) {
                self = .completed
            } else if let executionStatus, Self.terminalErrorCodes.contains(executionStatus) {
                self = .failed(error ?? LandingError(code: executionStatus, description: nil))
            } else if let error, Self.terminalErrorCodes.contains(error.code) {
                self = .failed(error)
            } else {
                self = .pending(detail: Self.waitingDetail(executionStatus: executionStatus, error: error))
            }
        } else {
            self = .pending(detail: Self.waitingDetail(executionStatus: executionStatus, error: error))
        }
    }

    /// Whether re-checking can stop: completed or failed.
    public var isTerminal: Bool {
        if case .pending = self { return false }
        return true
    }

    /// The still-waiting code the item shows, if any: its error when that carries the code (keeping
    /// Pluggy's message), else the execution status.
    static func waitingDetail(executionStatus: String?, error: LandingError?) -> LandingError? {
        if let error, WebhookRules.stillWaitingErrorCodes.contains(error.code) { return error }
        if let executionStatus, WebhookRules.stillWaitingErrorCodes.contains(executionStatus) {
            return LandingError(code: executionStatus, description: nil)
        }
        return nil
    }
}
