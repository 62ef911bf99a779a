/// The status document of a record (`GET /v1/items/{id}`, `/v1/sessions/{id}`), encoded by hand
/// with its keys in sorted order: one pass, no Foundation; the ETag comes from the record's version
/// (`etag(of:now:)`), so a long-poll that finds its record unchanged encodes nothing. Why by
/// hand: `JSONSerialization` with sorted keys cost ~85% of the store thread's time per status read.
public enum StatusDocument {
    /// The JSON bytes (keys sorted: callbacks, clientUserId, confirmed, confirmedBy, connector,
    /// createdAt, error, executionStatus, expiresAt, itemId, sessionId, status, test, updatedAt).
    /// `clientUserId` is there only for a session created with one (returned as given, escaped per
    /// RFC 8259 §7); `confirmedBy` is `"webhook"` or `"api"` (where the truth came from) or null;
    /// `connector` the institution's name when Pluggy gave it; `executionStatus` Pluggy's, when its
    /// API gave it.
    public static func encode(_ record: LandingRecord, now: Int64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(320)
        func key(_ k: StaticString, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            k.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(contentsOf: "\":".utf8)
        }
        func string(_ s: String?) {
            if let s { JSONLine.appendQuoted(s, to: &out) } else { out.append(contentsOf: "null".utf8) }
        }
        out.append(UInt8(ascii: "{"))
        key("callbacks", first: true)
        out.append(contentsOf: String(record.hits).utf8)
        if let clientUserId = record.clientUserId {
            key("clientUserId")
            string(clientUserId)
        }
        key("confirmed")
        out.append(contentsOf: (record.confirmed ? "true" : "false").utf8)
        key("confirmedBy")
        string(record.confirmed ? record.confirmedBy?.rawValue : nil)
        key("connector")
        string(record.connectorName)
        key("createdAt")
        appendRFC3339(record.createdAt, to: &out)
        key("error")
        if let error = record.error {
            out.append(contentsOf: "{\"code\":".utf8)
            string(error.code)
            out.append(contentsOf: ",\"description\":".utf8)
            string(error.description)
            out.append(UInt8(ascii: "}"))
        } else {
            out.append(contentsOf: "null".utf8)
        }
        key("executionStatus")
        string(record.executionStatus)
        key("expiresAt")
        if let expiresAt = record.expiresAt { appendRFC3339(expiresAt, to: &out) } else { out.append(contentsOf: "null".utf8) }
        key("itemId")
        string(record.itemId)
        key("sessionId")
        string(record.sessionId)
        key("status")
        string(record.effectiveStatus(now: now).rawValue)
        key("test")
        out.append(contentsOf: (record.isTest ? "true" : "false").utf8)
        key("updatedAt")
        appendRFC3339(record.updatedAt, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The strong ETag of `record`'s document as of `now`: `"v<version>-<effective status>-<createdAt>"`.
    ///
    /// It changes exactly when the document does. Every write changes a field the document shows
    /// (a callback its hit count, a webhook its status, confirmation or error, a session's creation
    /// its existence) and increments the version; the only field that changes without a write is
    /// the time-derived status (a pending session turning `expired`), which the tag carries.
    /// A record deleted and created again restarts at version 1; `createdAt` (milliseconds, base 36)
    /// tells the two lives apart, so an old tag never matches the new record.
    public static func etag(of record: LandingRecord, now: Int64) -> String {
        "\"v\(record.version)-\(record.effectiveStatus(now: now).rawValue)-\(String(record.createdAt, radix: 36))\""
    }

    /// Appends `rfc3339(millis)` as a JSON string, digit by digit (no String is built: formatting
    /// through `Timestamp` was most of the encoding's cost).
    static func appendRFC3339(_ millis: Int64, to out: inout [UInt8]) {
        let seconds = Int(millis / 1000)
        let day = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - day * 86400
        let (y, m, d) = HTTPDate.civil(fromDays: day)
        guard (0...9999).contains(y) else {
            // why: outside four-digit years the padding rules of `Timestamp` apply; never on real data.
            JSONLine.appendQuoted(rfc3339(millis), to: &out)
            return
        }
        @inline(__always) func two(_ n: Int) {
            out.append(UInt8(truncatingIfNeeded: 0x30 + n / 10))
            out.append(UInt8(truncatingIfNeeded: 0x30 + n % 10))
        }
        out.append(UInt8(ascii: "\""))
        two(y / 100)
        two(y % 100)
        out.append(UInt8(ascii: "-"))
        two(m)
        out.append(UInt8(ascii: "-"))
        two(d)
        out.append(UInt8(ascii: "T"))
        two(secondOfDay / 3600)
        out.append(UInt8(ascii: ":"))
        two(secondOfDay % 3600 / 60)
        out.append(UInt8(ascii: ":"))
        two(secondOfDay % 60)
        out.append(contentsOf: "Z\"".utf8)
    }

    /// RFC 3339 UTC, whole seconds, from milliseconds since the epoch.
    static func rfc3339(_ millis: Int64) -> String {
        Timestamp.rfc3339(seconds: Int(millis / 1000), nanoseconds: Int(millis % 1000) * 1_000_000, fractionalDigits: false)
    }
}
