/// Parsing HTTP-date (RFC 9110 §5.6.7), the inverse of `HTTPDate.imfFixdate`, for `Retry-After`.
extension HTTPDate {
    /// Seconds since the Unix epoch of an HTTP-date, or nil when `text` is not one.
    ///
    /// RFC 9110 §5.6.7:
    ///   HTTP-date    = IMF-fixdate / obs-date
    ///   IMF-fixdate  = day-name "," SP date1 SP time-of-day SP GMT     ; Sun, 06 Nov 1994 08:49:37 GMT
    ///   rfc850-date  = day-name-l "," SP date2 SP time-of-day SP GMT   ; Sunday, 06-Nov-94 08:49:37 GMT
    ///   asctime-date = day-name SP date3 SP time-of-day SP year        ; Sun Nov  6 08:49:37 1994
    /// "Recipients of timestamp values are encouraged to be robust in parsing timestamps unless
    /// otherwise restricted by the field definition": all three forms are accepted, exactly as
    /// written (case-sensitive names, fixed widths). The day name is checked for form, not against
    /// the date. "Recipients of a timestamp value in rfc850-date format, which uses a two-digit
    /// year, MUST interpret a timestamp that appears to be more than 50 years in the future as
    /// representing the most recent year in the past that had the same last two digits" — the
    /// present is `nowEpochSeconds`.
    public static func parse(_ text: String, nowEpochSeconds: Int) -> Int? {
        let b = Array(text.utf8)
        guard b.count <= 64 else { return nil }
        if b.count == 29, b[3] == 0x2C {
            // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
            guard shortDays.contains(string(b[0..<3])), b[4] == 0x20, b[7] == 0x20, b[11] == 0x20, b[16] == 0x20, b[25] == 0x20,
                string(b[26..<29]) == "GMT",
                let day = number(b[5..<7]), let month = monthIndex(b[8..<11]), let year = number(b[12..<16]),
                let time = timeOfDay(b[17..<25])
            else { return nil }
            return epoch(year: year, month: month, day: day, time: time)
        }
        if b.count == 24, b[3] == 0x20 {
            // asctime-date: "Sun Nov  6 08:49:37 1994"
            guard shortDays.contains(string(b[0..<3])), b[7] == 0x20, b[10] == 0x20, b[19] == 0x20,
                let month = monthIndex(b[4..<7]),
                let day = b[8] == 0x20 ? number(b[9..<10]) : number(b[8..<10]),
                let time = timeOfDay(b[11..<19]), let year = number(b[20..<24])
            else { return nil }
            return epoch(year: year, month: month, day: day, time: time)
        }
        // rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT"
        guard let comma = b.firstIndex(of: 0x2C), longDays.contains(string(b[0..<comma])), b.count == comma + 24,
            b[comma + 1] == 0x20, b[comma + 4] == 0x2D, b[comma + 8] == 0x2D, b[comma + 11] == 0x20, b[comma + 20] == 0x20,
            string(b[(comma + 21)...]) == "GMT",
            let day = number(b[(comma + 2)..<(comma + 4)]), let month = monthIndex(b[(comma + 5)..<(comma + 8)]),
            let twoDigitYear = number(b[(comma + 9)..<(comma + 11)]), let time = timeOfDay(b[(comma + 12)..<(comma + 20)])
        else { return nil }
        let currentYear = civil(fromDays: floorDiv(nowEpochSeconds, 86400)).year
        var year = currentYear - currentYear % 100 + twoDigitYear
        if year > currentYear + 50 { year -= 100 }
        return epoch(year: year, month: month, day: day, time: time)
    }

    private static let shortDays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let longDays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func string(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    private static func monthIndex(_ bytes: ArraySlice<UInt8>) -> Int? {
        monthNames.firstIndex(of: string(bytes)).map { $0 + 1 }
    }

    /// A fixed-width run of DIGITs.
    private static func number(_ bytes: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for byte in bytes {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// time-of-day = hour ":" minute ":" second (RFC 9110 §5.6.7; second may be 60, a leap second).
    private static func timeOfDay(_ b: ArraySlice<UInt8>) -> Int? {
        let s = b.startIndex
        guard b.count == 8, b[s + 2] == 0x3A, b[s + 5] == 0x3A,
            let hour = number(b[s..<(s + 2)]), let minute = number(b[(s + 3)..<(s + 5)]), let second = number(b[(s + 6)..<(s + 8)]),
            hour < 24, minute < 60, second <= 60
        else { return nil }
        return hour * 3600 + minute * 60 + second
    }

    private static func epoch(year: Int, month: Int, day: Int, time: Int) -> Int? {
        guard year >= 1, day >= 1, day <= daysInMonth(year: year, month: month) else { return nil }
        return dayNumber(fromCivil: year, month, day) * 86400 + time
    }

    private static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Howard Hinnant's days-from-civil algorithm (the inverse of `civil(fromDays:)`).
    static func dayNumber(fromCivil year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    private static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : (a - b + 1) / b }
}

/// The `Retry-After` field (RFC 9110 §10.2.3) as a delay in seconds.
public enum HTTPRetryAfter {
    /// Most seconds a `delay-seconds` value is read as: longer waits are clamped (a day).
    public static let maxDelaySeconds = 86_400

    /// The delay `value` asks for, in seconds from `nowEpochSeconds` (never negative), or nil when
    /// it is neither form.
    ///
    /// RFC 9110 §10.2.3:
    ///   Retry-After   = HTTP-date / delay-seconds
    ///   delay-seconds = 1*DIGIT
    /// A date in the past means "now" (0). Digits beyond what fits are clamped to `maxDelaySeconds`.
    public static func delaySeconds(_ value: String, nowEpochSeconds: Int) -> Int? {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty else { return nil }
        if bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            var seconds = 0
            for byte in bytes {
                seconds = seconds * 10 + Int(byte - 0x30)
                if seconds > maxDelaySeconds { return maxDelaySeconds }
            }
            return seconds
        }
        guard let date = HTTPDate.parse(value, nowEpochSeconds: nowEpochSeconds) else { return nil }
        return min(maxDelaySeconds, max(0, date - nowEpochSeconds))
    }
}
