/// RFC 3339 UTC timestamps with milliseconds (`2026-11-29T05:12:03.123Z`) from epoch time.
/// Formatted digit by digit into bytes (every log line carries one).
public enum Timestamp {
    /// Longest form written by `append` for years 0–9999: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public static let maxLength = 24

    public static func rfc3339(seconds: Int, nanoseconds: Int = 0, fractionalDigits: Bool = true) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(maxLength)
        append(seconds: seconds, nanoseconds: nanoseconds, fractionalDigits: fractionalDigits, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `rfc3339(seconds:nanoseconds:fractionalDigits:)`'s bytes to `out`, building no `String`.
    public static func append(seconds: Int, nanoseconds: Int = 0, fractionalDigits: Bool = true, to out: inout [UInt8]) {
        let day = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - day * 86400
        let (y, m, d) = HTTPDate.civil(fromDays: day)
        pad(y, 4, &out)
        out.append(UInt8(ascii: "-"))
        pad(m, 2, &out)
        out.append(UInt8(ascii: "-"))
        pad(d, 2, &out)
        out.append(UInt8(ascii: "T"))
        pad(secondOfDay / 3600, 2, &out)
        out.append(UInt8(ascii: ":"))
        pad(secondOfDay % 3600 / 60, 2, &out)
        out.append(UInt8(ascii: ":"))
        pad(secondOfDay % 60, 2, &out)
        if fractionalDigits {
            out.append(UInt8(ascii: "."))
            pad(nanoseconds / 1_000_000, 3, &out)
        }
        out.append(UInt8(ascii: "Z"))
    }

    /// `n` left-padded with zeros to `width` digits (a wider or negative `n` as `String(n)` padded
    /// to `width` characters, as the `String` formatter did).
    @inline(__always)
    private static func pad(_ n: Int, _ width: Int, _ out: inout [UInt8]) {
        guard n >= 0, n < 10_000 else {
            let text = String(n)
            for _ in text.utf8.count..<max(width, text.utf8.count) { out.append(UInt8(ascii: "0")) }
            out.append(contentsOf: text.utf8)
            return
        }
        let digits = n >= 1000 ? 4 : n >= 100 ? 3 : n >= 10 ? 2 : 1
        for _ in digits..<max(width, digits) { out.append(UInt8(ascii: "0")) }
        if digits >= 4 { out.append(UInt8(ascii: "0") + UInt8(n / 1000)) }
        if digits >= 3 { out.append(UInt8(ascii: "0") + UInt8(n / 100 % 10)) }
        if digits >= 2 { out.append(UInt8(ascii: "0") + UInt8(n / 10 % 10)) }
        out.append(UInt8(ascii: "0") + UInt8(n % 10))
    }
}
