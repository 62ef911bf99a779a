import Foundation
import LandingCore
import Testing

@testable import LandingIO

/// The application log's lines: the fixed-order fast path writes what the metadata path writes.
@Suite struct LoggerTests {
    /// A support line built field by field equals the line built from its metadata dictionary, for each kind of event.
    @Test func line_WithSortedFields_EqualsLineWithMetadata() {
        let events = [
            LandingEvent(kind: .callback, requestID: "r-1", itemId: "i-1", sessionId: "s-1", outcome: "completed", errorCode: "E", isTest: true),
            LandingEvent(kind: .callback, requestID: nil, outcome: "unidentified"),
            LandingEvent(kind: .webhook, requestID: "r-2", itemId: "i\u{85}\"2", outcome: "applied", detail: "item/updated"),
            LandingEvent(kind: .authenticationFailure, requestID: "r-3", outcome: "missing", detail: "api"),
        ]
        for event in events {
            let time = Timestamp.rfc3339(seconds: 1_800_000_123, nanoseconds: 7_000_000)
            let expected = Logger.line(time: time, level: .info, message: event.kind.rawValue, metadata: event.logFields(instance: "h:9"))
            let fast = Logger.line(seconds: 1_800_000_123, nanoseconds: 7_000_000, level: .info, message: event.kind.rawValue) {
                event.addLogFields(instance: "h:9", to: &$0)
            }
            #expect(String(decoding: fast, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        }
    }

    /// A logger writes a level exactly when the level is at or above its own (the order of `LogLevel`).
    @Test func isEnabled_FollowsTheLevelOrder() {
        for own in ServerConfig.LogLevel.allCases {
            for level in ServerConfig.LogLevel.allCases {
                #expect(Logger(level: own).isEnabled(level) == (level >= own), "\(own) \(level)")
            }
        }
    }
}
