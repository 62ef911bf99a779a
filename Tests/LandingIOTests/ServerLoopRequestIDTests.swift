import Testing
@testable import LandingIO

/// The server's own request ids are the prefix and the counter in lowercase hex, as
/// `prefix + String(counter, radix: 16)` wrote them.
@Suite struct ServerLoopRequestIDTests {
    /// Every digit count from 1 to 16, the boundaries around each, and UInt64.max.
    @Test func requestID_MatchesStringRadix16() {
        var values: [UInt64] = [0, 1, 9, 10, 15, 16, 255, 256, UInt64.max, UInt64.max - 1]
        for shift in stride(from: 4, to: 64, by: 4) {
            values += [(1 << UInt64(shift)) - 1, 1 << UInt64(shift), (1 << UInt64(shift)) + 0xa]
        }
        for prefix in ["", "7f3a9c01-0-", "abcdefabcdefabcdef-12-"] {
            for value in values {
                #expect(ServerLoop.requestID(prefix: prefix, counter: value) == prefix + String(value, radix: 16))
            }
        }
    }
}
