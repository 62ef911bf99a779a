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

    /// Whether a line at `level` is written.
    public func isEnabled(_ level: ServerConfig.LogLevel) -> Bool {
        // why: `LogLevel`'s `<` searches `allCases` (an array built per call); a switch is free.
        Self.rank(level) >= Self.rank(self.level)
    }

    public func log(_ level: ServerConfig.LogLevel, _ message: @autoclosure () -> String, _ metadata: LogMetadata = [:]) {
        guard isEnabled(level) else { return }
        let wall = wallClockNow()
        let line = Self.line(
            time: Timestamp.rfc3339(seconds: wall.seconds, nanoseconds: wall.nanoseconds), level: level, message: message(),
            metadata: self.metadata.merging(metadata, uniquingKeysWith: { $1 }))
        // why: through the writer thread, so a slow reader of stderr never stalls an event loop.
        LogWriter.standardError.submit(line)
    }

    /// The same line as `log(level, message, metadata())`, for lines logged per request: when the
    /// logger has no metadata of its own, `addSortedFields` writes the fields straight into the
    /// line — it must add exactly `metadata()`'s keys, in sorted order — and no dictionary is
    /// built or sorted. With metadata of its own the logger merges as `log` does.
    public func log(
        _ level: ServerConfig.LogLevel, _ message: String, addSortedFields: (inout JSONLine) -> Void, metadata: () -> LogMetadata
    ) {
        guard isEnabled(level) else { return }
        guard self.metadata.isEmpty else { return log(level, message, metadata()) }
        let wall = wallClockNow()
        LogWriter.standardError.submit(
            Self.line(seconds: wall.seconds, nanoseconds: wall.nanoseconds, level: level, message: message, addSortedFields: addSortedFields))
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

    /// One line: `time` (formatted in place), `level`, `msg`, then what `addSortedFields` adds.
    static func line(
        seconds: Int, nanoseconds: Int, level: ServerConfig.LogLevel, message: String, addSortedFields: (inout JSONLine) -> Void
    ) -> [UInt8] {
        var line = JSONLine()
        line.add("time", seconds: seconds, nanoseconds: nanoseconds)
        line.add("level", level.rawValue)
        line.add("msg", message)
        addSortedFields(&line)
        return line.finished()
    }

    private static func rank(_ level: ServerConfig.LogLevel) -> Int {
        switch level {
        case .debug: 0
        case .info: 1
        case .notice: 2
        case .warning: 3
        case .error: 4
        }
    }

    public func info(_ message: @autoclosure () -> String, _ metadata: LogMetadata = [:]) { log(.info, message(), metadata) }
    public func error(_ message: @autoclosure () -> String, _ metadata: LogMetadata = [:]) { log(.error, message(), metadata) }
    public func warning(_ message: @autoclosure () -> String, _ metadata: LogMetadata = [:]) { log(.warning, message(), metadata) }
}
