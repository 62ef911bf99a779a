import Testing
@testable import LandingCore

@Suite struct PluggyRetryAfterTests {
    /// All three HTTP-date forms of RFC 9110 §5.6.7 parse to the same instant.
    @Test func httpDate_ParsesTheThreeForms() {
        let now = 1_700_000_000  // 2023
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT", nowEpochSeconds: now) == 784_111_777)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT", nowEpochSeconds: now) == 784_111_777)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994", nowEpochSeconds: now) == 784_111_777)
    }

    /// Parsing inverts `HTTPDate.imfFixdate` over a range of instants.
    @Test func httpDate_RoundTripsIMFFixdate() {
        for seconds in stride(from: 0, to: 4_000_000_000, by: 12_345_677) {
            #expect(HTTPDate.parse(HTTPDate.imfFixdate(epochSeconds: seconds), nowEpochSeconds: 0) == seconds)
        }
    }

    /// A two-digit rfc850 year more than 50 years ahead means the previous century.
    @Test func httpDate_ResolvesTwoDigitYears() {
        let now = HTTPDate.parse("Mon, 01 Jan 2024 00:00:00 GMT", nowEpochSeconds: 0)!
        #expect(HTTPDate.parse("Monday, 01-Jan-74 00:00:00 GMT", nowEpochSeconds: now) == HTTPDate.parse("Tue, 01 Jan 2074 00:00:00 GMT", nowEpochSeconds: 0))
        #expect(HTTPDate.parse("Monday, 01-Jan-75 00:00:00 GMT", nowEpochSeconds: now) == HTTPDate.parse("Wed, 01 Jan 1975 00:00:00 GMT", nowEpochSeconds: 0))
    }

    /// Malformed dates are refused: wrong zone, lower case, bad day, 31 February, bad time.
    @Test(arguments: [
        "Sun, 06 Nov 1994 08:49:37 UTC", "sun, 06 Nov 1994 08:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 GMT ", "",
        "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov 06 08:49:37 94",
    ])
    func httpDate_RefusesMalformedDates(_ text: String) {
        #expect(HTTPDate.parse(text, nowEpochSeconds: 0) == nil)
    }

    /// Retry-After as delay-seconds, as an HTTP-date (relative to now, never negative), clamped, or refused.
    @Test func retryAfter_ReadsBothForms() {
        let now = 784_111_777
        #expect(HTTPRetryAfter.delaySeconds("120", nowEpochSeconds: now) == 120)
        #expect(HTTPRetryAfter.delaySeconds("0", nowEpochSeconds: now) == 0)
        #expect(HTTPRetryAfter.delaySeconds("Sun, 06 Nov 1994 08:50:07 GMT", nowEpochSeconds: now) == 30)
        #expect(HTTPRetryAfter.delaySeconds("Sun, 06 Nov 1994 08:00:00 GMT", nowEpochSeconds: now) == 0)
        #expect(HTTPRetryAfter.delaySeconds("99999999999999999999999", nowEpochSeconds: now) == HTTPRetryAfter.maxDelaySeconds)
        #expect(HTTPRetryAfter.delaySeconds("-5", nowEpochSeconds: now) == nil)
        #expect(HTTPRetryAfter.delaySeconds("1.5", nowEpochSeconds: now) == nil)
        #expect(HTTPRetryAfter.delaySeconds("", nowEpochSeconds: now) == nil)
    }
}
