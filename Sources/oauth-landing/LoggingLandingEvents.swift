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
        // why: one line per callback: the fields go straight into the line, in the key order the
        // logger's sort would give them (`LandingEvent.addLogFields`), with no dictionary.
        logger.log(
            .info, event.kind.rawValue, addSortedFields: { event.addLogFields(instance: instance, to: &$0) },
            metadata: { event.logFields(instance: instance) })
    }
}
