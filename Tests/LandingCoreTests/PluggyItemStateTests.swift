import Testing
@testable import LandingCore

/// One row of the item-state table in `PluggyItemState`.
struct PluggyStateRow: Sendable, CustomTestStringConvertible {
    var status: String
    var executionStatus: String?
    var errorCode: String?
    var expected: PluggyItemState

    var testDescription: String { "\(status) / \(executionStatus ?? "nil") / \(errorCode ?? "no error") → \(expected)" }

    var error: LandingError? { errorCode.map { LandingError(code: $0, description: "bank says") } }
}

private func failed(_ code: String, description: String? = "bank says") -> PluggyItemState {
    .failed(LandingError(code: code, description: description))
}
private let pendingAuthorization = PluggyItemState.pending(detail: LandingError(code: "USER_AUTHORIZATION_PENDING", description: nil))

@Suite struct PluggyItemStateTests {
    static let rows: [PluggyStateRow] = [
        // UPDATED → completed, whatever else the item carries.
        PluggyStateRow(status: "UPDATED", executionStatus: "SUCCESS", errorCode: nil, expected: .completed),
        PluggyStateRow(status: "UPDATED", executionStatus: "PARTIAL_SUCCESS", errorCode: nil, expected: .completed),
        PluggyStateRow(status: "UPDATED", executionStatus: nil, errorCode: nil, expected: .completed),
        // LOGIN_ERROR → failed, with the item's error, else its execution status, else LOGIN_ERROR.
        PluggyStateRow(status: "LOGIN_ERROR", executionStatus: "INVALID_CREDENTIALS", errorCode: "INVALID_CREDENTIALS", expected: failed("INVALID_CREDENTIALS")),
        PluggyStateRow(status: "LOGIN_ERROR", executionStatus: "USER_AUTHORIZATION_NOT_GRANTED", errorCode: nil, expected: failed("USER_AUTHORIZATION_NOT_GRANTED", description: nil)),
        PluggyStateRow(status: "LOGIN_ERROR", executionStatus: nil, errorCode: nil, expected: failed("LOGIN_ERROR", description: nil)),
        PluggyStateRow(status: "LOGIN_ERROR", executionStatus: "ACCOUNT_LOCKED", errorCode: "ACCOUNT_LOCKED", expected: failed("ACCOUNT_LOCKED")),
        // A running execution → pending, even with a stale error from the previous one.
        PluggyStateRow(status: "UPDATING", executionStatus: "LOGIN_IN_PROGRESS", errorCode: nil, expected: .pending(detail: nil)),
        PluggyStateRow(status: "UPDATING", executionStatus: "CREATING", errorCode: nil, expected: .pending(detail: nil)),
        PluggyStateRow(status: "UPDATING", executionStatus: "USER_AUTHORIZATION_PENDING", errorCode: nil, expected: pendingAuthorization),
        PluggyStateRow(status: "UPDATING", executionStatus: "LOGIN_IN_PROGRESS", errorCode: "INVALID_CREDENTIALS", expected: .pending(detail: nil)),
        PluggyStateRow(status: "MERGING", executionStatus: "MERGING", errorCode: nil, expected: .pending(detail: nil)),
        PluggyStateRow(status: "WAITING_USER_INPUT", executionStatus: "WAITING_USER_INPUT", errorCode: nil, expected: .pending(detail: nil)),
        PluggyStateRow(status: "WAITING_USER_ACTION", executionStatus: "USER_AUTHORIZATION_PENDING", errorCode: "USER_AUTHORIZATION_PENDING",
            expected: .pending(detail: LandingError(code: "USER_AUTHORIZATION_PENDING", description: "bank says"))),
        // OUTDATED: success codes complete, terminal codes fail, the rest waits.
        PluggyStateRow(status: "OUTDATED", executionStatus: "PARTIAL_SUCCESS", errorCode: nil, expected: .completed),
        PluggyStateRow(status: "OUTDATED", executionStatus: "SUCCESS", errorCode: nil, expected: .completed),
        PluggyStateRow(status: "OUTDATED", executionStatus: "USER_AUTHORIZATION_NOT_GRANTED", errorCode: "USER_AUTHORIZATION_NOT_GRANTED", expected: failed("USER_AUTHORIZATION_NOT_GRANTED")),
        PluggyStateRow(status: "OUTDATED", executionStatus: "SITE_NOT_AVAILABLE", errorCode: nil, expected: failed("SITE_NOT_AVAILABLE", description: nil)),
        PluggyStateRow(status: "OUTDATED", executionStatus: "USER_INPUT_TIMEOUT", errorCode: "USER_INPUT_TIMEOUT", expected: failed("USER_INPUT_TIMEOUT")),
        PluggyStateRow(status: "OUTDATED", executionStatus: "ACCOUNT_LOCKED", errorCode: nil, expected: failed("ACCOUNT_LOCKED", description: nil)),
        PluggyStateRow(status: "OUTDATED", executionStatus: "USER_NOT_SUPPORTED", errorCode: nil, expected: failed("USER_NOT_SUPPORTED", description: nil)),
        PluggyStateRow(status: "OUTDATED", executionStatus: nil, errorCode: "INVALID_CREDENTIALS", expected: failed("INVALID_CREDENTIALS")),
        PluggyStateRow(status: "OUTDATED", executionStatus: "USER_AUTHORIZATION_PENDING", errorCode: nil, expected: pendingAuthorization),
        PluggyStateRow(status: "OUTDATED", executionStatus: "ERROR", errorCode: "ERROR", expected: .pending(detail: nil)),
        PluggyStateRow(status: "OUTDATED", executionStatus: "CONNECTION_ERROR", errorCode: nil, expected: .pending(detail: nil)),
        PluggyStateRow(status: "OUTDATED", executionStatus: "SOMETHING_NEW", errorCode: nil, expected: .pending(detail: nil)),
        PluggyStateRow(status: "OUTDATED", executionStatus: nil, errorCode: nil, expected: .pending(detail: nil)),
        // Unknown statuses → pending, whatever the execution status says.
        PluggyStateRow(status: "SOMETHING_NEW", executionStatus: "SUCCESS", errorCode: nil, expected: .pending(detail: nil)),
        PluggyStateRow(status: "SOMETHING_NEW", executionStatus: "INVALID_CREDENTIALS", errorCode: "INVALID_CREDENTIALS", expected: .pending(detail: nil)),
        PluggyStateRow(status: "SOMETHING_NEW", executionStatus: "USER_AUTHORIZATION_PENDING", errorCode: nil, expected: pendingAuthorization),
    ]

    /// Each row of the item-state table maps status, executionStatus and error to its documented state.
    @Test(arguments: rows)
    func state_MapsTableRow(_ row: PluggyStateRow) {
        #expect(PluggyItemState(status: row.status, executionStatus: row.executionStatus, error: row.error) == row.expected)
    }

    /// Every terminal code fails an OUTDATED item, through executionStatus or through error.code alone.
    @Test(arguments: PluggyItemState.terminalErrorCodes.sorted())
    func state_FailsOutdated_ForEveryTerminalCode(_ code: String) {
        #expect(PluggyItemState(status: "OUTDATED", executionStatus: code, error: nil) == failed(code, description: nil))
        #expect(PluggyItemState(status: "OUTDATED", executionStatus: "ERROR", error: LandingError(code: code, description: nil)) == failed(code, description: nil))
    }

    /// Only completed and failed are terminal: pending asks for a re-check.
    @Test func state_IsTerminal_OnlyForCompletedAndFailed() {
        #expect(PluggyItemState.completed.isTerminal)
        #expect(failed("X").isTerminal)
        #expect(!PluggyItemState.pending(detail: nil).isTerminal)
    }

    /// A decoded item maps through the same table, keeping its connector name and execution status beside the state.
    @Test func item_State_UsesTheTable() {
        let item = PluggyItem(id: "abc", status: "UPDATING", executionStatus: "USER_AUTHORIZATION_PENDING", connectorName: "Banco Inter")
        #expect(item.state == pendingAuthorization)
        #expect(item.connectorName == "Banco Inter")
        #expect(item.executionStatus == "USER_AUTHORIZATION_PENDING")
    }
}
