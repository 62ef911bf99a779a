import LandingCore
import Synchronization

/// The application log: JSON lines on stderr at or above a level. A value with fixed metadata;
/// messages never carry secrets (callers pass only what is safe to log).
public struct Logger: Sendable {
    public var level: ServerConfig.LogLevel
    public var metadata: [String: String]

    public init(level: ServerConfig.LogLevel, metadata: [String: String] = [:]) {
        self.level = level
        self.metadata = metadata
    }

    public func log(_ level: ServerConfig.LogLevel, _ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) {
        guard level >= self.level else { return }
        let wall = wallClockNow()
        var line = JSONLine()
        line.add("time", Timestamp.rfc3339(seconds: wall.seconds, nanoseconds: wall.nanoseconds))
        line.add("level", level.rawValue)
        line.add("msg", message())
        for (key, value) in self.metadata.merging(metadata, uniquingKeysWith: { $1 }).sorted(by: { $0.key < $1.key }) {
            line.add(key, string: value)
        }
        // why: through the writer thread, so a slow reader of stderr never stalls an event loop.
        LogWriter.standardError.submit(line.finished())
    }

    public func info(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) { log(.info, message(), metadata) }
    public func error(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) { log(.error, message(), metadata) }
    public func warning(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) { log(.warning, message(), metadata) }
}
