import Testing

@testable import LandingCore

/// Which `X-Request-Id` the server honours: exactly one field holding a sane token, else its own id.
@Suite struct RequestIDTests {
    /// Common id shapes are honoured as they are: UUIDs, hex, base64 and base64url, dotted and colon-separated ids.
    @Test func honoured_AcceptsCommonIdShapes() {
        for id in [
            "3f2b8c9e-6a41-4c1e-9d0b-2e7f5a8c1d34", "0123456789abcdef", "dGVzdC1pZA==", "abc+/def=", "a_b-c.d:e", "Root=1-5759e988-bd862e3f",
            "x", String(repeating: "a", count: RequestID.maxLength),
        ] {
            #expect(RequestID.honoured([id]) == id, "\(id)")
        }
    }

    /// Hostile or odd values are ignored (never repaired): CRLF, quotes, spaces, controls, non-ASCII, empty, too long.
    @Test func honoured_IgnoresHostileValues() {
        for value in [
            "", "abc\r\nX-Injected: 1", "abc\ndef", "a\"b", "a\\b", "a b", "a\tb", "a\u{0}b", "a\u{7F}b", "é", "id-\u{2028}",
            "a;b", "a,b", "<script>", "{\"a\":1}", String(repeating: "a", count: RequestID.maxLength + 1),
            String(repeating: "b", count: 10 * 1024),
        ] {
            #expect(RequestID.honoured([value]) == nil, "\(value.debugDescription)")
        }
    }

    /// Two X-Request-Id fields (even two equal, sane ones) are ambiguous: ignored.
    @Test func honoured_IgnoresTwoFields() {
        #expect(RequestID.honoured(["abc", "def"]) == nil)
        #expect(RequestID.honoured(["abc", "abc"]) == nil)
        #expect(RequestID.honoured([]) == nil)
        #expect(RequestID.honoured(HTTPHeaders([("X-Request-Id", "abc"), ("x-request-id", "def")])) == nil)
    }

    /// The header is found whatever its case.
    @Test func honoured_ReadsTheHeader_CaseInsensitively() {
        #expect(RequestID.honoured(HTTPHeaders([("x-REQUEST-id", "req-42")])) == "req-42")
        #expect(RequestID.honoured(HTTPHeaders([("Host", "x")])) == nil)
    }
}
