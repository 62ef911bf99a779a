/// One access-log line (stdout, JSON): when, which request id, from which client, what was asked,
/// how it was answered and by which user agent. Pure: the server's loop fills it and batches the
/// bytes. Numbers are JSON numbers; every string goes through `JSONLine`'s escaping, so a hostile
/// path or `User-Agent` can neither break the line nor start another.
public struct AccessLogEntry: Sendable, Equatable {
    /// Longest `user_agent` written, in UTF-8 bytes (cut at a character boundary).
    public static let maxUserAgentBytes = 200

    /// `X-Request-Id`: the caller's when honoured (`RequestID`), else the server's.
    public var requestID: String
    /// The client's address as the connection knows it.
    public var client: String
    public var method: String
    /// The path, without the query string (which may carry an OAuth code).
    public var path: String
    public var status: Int
    /// Body bytes sent (0 for HEAD).
    public var bytes: Int
    public var durationSeconds: Double
    /// The request's first `User-Agent`, if any (cut to `maxUserAgentBytes` when written).
    public var userAgent: String?

    public init(
        requestID: String, client: String, method: String, path: String, status: Int, bytes: Int, durationSeconds: Double,
        userAgent: String?
    ) {
        self.requestID = requestID
        self.client = client
        self.method = method
        self.path = path
        self.status = status
        self.bytes = bytes
        self.durationSeconds = durationSeconds
        self.userAgent = userAgent
    }

    /// The line, newline included: `time`, `type` (`access`), `request_id`, `client`, `method`,
    /// `path`, `status`, `bytes`, `duration_ms` (three decimals), and `user_agent` when the request
    /// had one.
    public func line(time: String) -> [UInt8] {
        var line = JSONLine()
        line.add("time", time)
        addFields(to: &line)
        return line.finished()
    }

    /// Appends `line(time:)`'s bytes for the wall-clock time `seconds`.`nanoseconds` to `buffer`
    /// (a loop's batch), formatting the time in place: no `String`, no array of its own.
    public func appendLine(seconds: Int, nanoseconds: Int, to buffer: inout [UInt8]) {
        var line = JSONLine(appendingTo: &buffer)
        line.add("time", seconds: seconds, nanoseconds: nanoseconds)
        addFields(to: &line)
        line.finish(into: &buffer)
    }

    /// Every field after `time`, in the documented order.
    private func addFields(to line: inout JSONLine) {
        line.add("type", "access")
        line.add("request_id", requestID)
        line.add("client", client)
        line.add("method", method)
        line.add("path", path)
        line.add("status", status)
        line.add("bytes", bytes)
        line.add("duration_ms", milliseconds: durationSeconds * 1000)
        if let userAgent { line.add("user_agent", Self.prefix(userAgent, maxUTF8Bytes: Self.maxUserAgentBytes)) }
    }

    /// The longest prefix of `text` that fits in `maxUTF8Bytes` bytes of UTF-8 without splitting a
    /// Unicode scalar.
    public static func prefix(_ text: String, maxUTF8Bytes: Int) -> String {
        guard text.utf8.count > maxUTF8Bytes else { return text }
        var used = 0
        var end = text.unicodeScalars.startIndex
        for index in text.unicodeScalars.indices {
            let width = UTF8.width(text.unicodeScalars[index])
            if used + width > maxUTF8Bytes { break }
            used += width
            end = text.unicodeScalars.index(after: index)
        }
        return String(text.unicodeScalars[..<end])
    }
}
