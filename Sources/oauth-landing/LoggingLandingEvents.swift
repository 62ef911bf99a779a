import Foundation
import LandingCore
import LandingIO

/// Logs each `LandingEvent` as one info line: `callback`, `webhook` or `authentication failed`,
/// with the request id, item and session ids, outcome, error code, test flag and this instance
/// (host name and process id), so a support engineer can follow one user across instances.
struct LoggingLandingEvents: LandingEventSink {
    let logger: Logger
    /// `host:pid`.
    let instance: String

    init(logger: Logger) {
        self.logger = logger
        self.instance = "\(ProcessInfo.processInfo.hostName):\(getpid())"
    }

    func record(_ event: LandingEvent) {
        var fields = ["outcome": event.outcome, "instance": instance]
        if let id = event.requestID { fields["request_id"] = id }
        if let id = event.itemId { fields["item_id"] = id }
        if let id = event.sessionId { fields["session_id"] = id }
        if let code = event.errorCode { fields["error_code"] = code }
        if let detail = event.detail { fields[event.kind == .webhook ? "event" : "what"] = detail }
        if event.kind != .authenticationFailure { fields["test"] = event.isTest ? "true" : "false" }
        logger.info(event.kind.rawValue, fields)
    }
}
