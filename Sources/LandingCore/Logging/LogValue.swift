/// A value in a log line's metadata, written as what it is: a JSON string, number or boolean
/// (`"threads":2`, `"test":false`), never a number or a boolean quoted as a string, so a log
/// pipeline can compare and sum them without parsing.
public enum LogValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case unsigned(UInt)
    /// Written as a JSON number; NaN and the infinities (no JSON number) as `null`.
    case double(Double)
    case bool(Bool)
}

/// A type that goes into log metadata as itself, so call sites write
/// `["threads": config.threads, "error": error.description]` rather than quoting numbers.
public protocol LogValueConvertible: Sendable {
    var logValue: LogValue { get }
}

/// A log line's metadata: key → string, number or boolean.
public typealias LogMetadata = [String: any LogValueConvertible]

extension LogValue: LogValueConvertible {
    public var logValue: LogValue { self }
}

extension String: LogValueConvertible {
    public var logValue: LogValue { .string(self) }
}

extension Int: LogValueConvertible {
    public var logValue: LogValue { .int(self) }
}

extension UInt: LogValueConvertible {
    public var logValue: LogValue { .unsigned(self) }
}

extension Double: LogValueConvertible {
    public var logValue: LogValue { .double(self) }
}

extension Bool: LogValueConvertible {
    public var logValue: LogValue { .bool(self) }
}
