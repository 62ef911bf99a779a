/// RFC 3339 UTC timestamps with milliseconds (`2026-11-29T05:12:03.123Z`) from epoch time.
public enum Timestamp {
    public static func rfc3339(seconds: Int, nanoseconds: Int = 0, fractionalDigits: Bool = true) -> String {
        let day = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - day * 86400
        let (y, m, d) = HTTPDate.civil(fromDays: day)
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let base = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay % 3600 / 60, 2)):\(pad(secondOfDay % 60, 2))"
        return fractionalDigits ? "\(base).\(pad(nanoseconds / 1_000_000, 3))Z" : "\(base)Z"
    }
}
