import LandingCore
import Synchronization

/// The application log: JSON lines on stderr at or above a level. A value with fixed metadata;
/// messages never carry secrets (callers pass only what is safe to log). Metadata values keep
/// their JSON type (`LogValue`): numbers and booleans are written unquoted.
public struct Logger: Sendable {
    public var level: ServerConfig.LogLevel
    public var metadata: LogMetadata

    public init(level: ServerConfig.LogLevel, metadata: LogMetadata = [:]) {
        self.level = level
        self.metadata = metadata
    }

    public func log(_ level: ServerConfig.LogLevel, _ message: @autoclosure () -> String, _ metadata: LogMetadata = [:]) {
        guard level >= self.level else { return }
        let wall = wallClockNow()
        let line = Self.line(
            time: Timestamp.rfc3339(seconds: wall.seconds, nanoseconds: wall.nanoseconds), level: level, message: message(),
            metadata: self.metadata.merging(metadata, uniquingKeysWith: { $1 }))
        // why: through the writer thread, so a slow reader of stderr never stalls an event loop.
        LogWriter.standardError.submit(line)
    }

    /// One line: `time`, `level`, `msg`, then the metadata sorted by key, each value with its JSON
    /// type (a number or boolean unquoted).
    static func line(time: String, level: ServerConfig.LogLevel, message: String, metadata: LogMetadata) -> [UInt8] {
        var line = JSONLine()
        line.add("time", time)
        line.add("level", level.rawValue)
        line.add("msg", message)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line.add(key, value: value.logValue)
        }
        return line.finished()
    }

    public func info(_ message: @autoclosure () -> String, _ metadata: LogMetadata = [:]) { log(.info, message(), metadata) }
    public func error(_ message: @autoclosure () -> String, _ metadata: LogMetadata = [:]) { log(.error, message(), metadata) }
    public func warning(_ message: @autoclosure () -> String, _ metadata: LogMetadata = [:]) { log(.warning, message(), metadata) }
}
