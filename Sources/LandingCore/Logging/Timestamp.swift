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
        guard (0...9999).contains(y), (0..<1_000_000_000).contains(nanoseconds) else {
            return appendPadded(y, m, d, secondOfDay, nanoseconds, fractionalDigits, &out)
        }
        // why: every field has a fixed width here, so the 24 bytes are written into a stack
        // buffer and appended once (one capacity check instead of one per byte).
        var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)
        let length = fractionalDigits ? 24 : 20
        withUnsafeMutableBytes(of: &buffer) { raw in
            @inline(__always) func put(_ n: Int, _ width: Int, at end: Int) {
                var rest = n
                for index in stride(from: end - 1, through: end - width, by: -1) {
                    raw[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                    rest /= 10
                }
            }
            put(y, 4, at: 4)
            raw[4] = UInt8(ascii: "-")
            put(m, 2, at: 7)
            raw[7] = UInt8(ascii: "-")
            put(d, 2, at: 10)
            raw[10] = UInt8(ascii: "T")
            put(secondOfDay / 3600, 2, at: 13)
            raw[13] = UInt8(ascii: ":")
            put(secondOfDay % 3600 / 60, 2, at: 16)
            raw[16] = UInt8(ascii: ":")
            put(secondOfDay % 60, 2, at: 19)
            if fractionalDigits {
                raw[19] = UInt8(ascii: ".")
                put(nanoseconds / 1_000_000, 3, at: 23)
            }
            raw[length - 1] = UInt8(ascii: "Z")
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[0..<length]))
        }
    }

    /// The general form (a year outside 0–9999, odd nanoseconds): each field padded as the
    /// `String` formatter padded it.
    private static func appendPadded(
        _ y: Int, _ m: Int, _ d: Int, _ secondOfDay: Int, _ nanoseconds: Int, _ fractionalDigits: Bool, _ out: inout [UInt8]
    ) {
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
