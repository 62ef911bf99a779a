import Testing
@testable import LandingCore

@Suite struct HTTPDateTests {
    /// The RFC 9110 example date formats exactly.
    @Test func imfFixdate_MatchesRFCExample() {
        #expect(HTTPDate.imfFixdate(epochSeconds: 784111777) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }
    /// Leap days and the epoch format correctly.
    @Test func imfFixdate_HandlesLeapDayAndEpoch() {
        #expect(HTTPDate.imfFixdate(epochSeconds: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.imfFixdate(epochSeconds: 1709164800) == "Thu, 29 Feb 2024 00:00:00 GMT")
    }
}
