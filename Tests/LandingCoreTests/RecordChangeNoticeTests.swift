import Testing

@testable import LandingCore

@Suite("Record change notice")
struct RecordChangeNoticeTests {
    /// An item change is written as `item:ID:VERSION`.
    @Test func encode_WritesKindIdVersion_ForItem() {
        #expect(RecordChangeNotice.encode(RecordChange(key: .item("abc-123"), version: 4)) == "item:abc-123:4")
    }

    /// A session change is written as `session:ID:VERSION`.
    @Test func encode_WritesKindIdVersion_ForSession() {
        #expect(RecordChangeNotice.encode(RecordChange(key: .session("s-9"), version: 12)) == "session:s-9:12")
    }

    /// Item and session changes decode back to the change they were encoded from.
    @Test(arguments: [
        RecordChange(key: .item("abc-123"), version: 1),
        RecordChange(key: .item("x"), version: 999_999_999_999_999_999),
        RecordChange(key: .session("s_9.Z"), version: 7),
        RecordChange(key: .item("a:b:c"), version: 3),
        RecordChange(key: .session(":"), version: 2),
        RecordChange(key: .item("ünï-cødé-✓"), version: 5),
        RecordChange(key: .item("sp ace\"quote\\slash"), version: 6),
    ])
    func decode_RoundTrips_EncodedChange(change: RecordChange) {
        #expect(RecordChangeNotice.decode(RecordChangeNotice.encode(change)) == change)
    }

    /// An id containing colons keeps them: the kind ends at the first colon, the version starts after the last.
    @Test func decode_KeepsColonsInId() {
        #expect(RecordChangeNotice.decode("session:a:b::c:42") == RecordChange(key: .session("a:b::c"), version: 42))
    }

    /// Payloads that are not exactly `kind:id:version` decode to nil.
    @Test(arguments: [
        "",
        "item",
        "item:",
        "item:abc",
        "item:1",
        "item::1",
        ":abc:1",
        "abc:1:",
        "widget:abc:1",
        "ITEM:abc:1",
        "Item:abc:1",
        " item:abc:1",
        "items:abc:1",
        "sessions:abc:1",
    ])
    func decode_ReturnsNil_ForWrongShapeOrKind(payload: String) {
        #expect(RecordChangeNotice.decode(payload) == nil)
    }

    /// A version that is not a positive decimal of at most 18 digits without a leading zero decodes to nil.
    @Test(arguments: [
        "item:abc:",
        "item:abc:0",
        "item:abc:00",
        "item:abc:007",
        "item:abc:-1",
        "item:abc:+1",
        "item:abc: 1",
        "item:abc:1 ",
        "item:abc:1a",
        "item:abc:0x10",
        "item:abc:1.0",
        "item:abc:١",
        "item:abc:1234567890123456789",
        "item:abc:9223372036854775807",
        "item:abc:99999999999999999999999",
    ])
    func decode_ReturnsNil_ForBadVersion(payload: String) {
        #expect(RecordChangeNotice.decode(payload) == nil)
    }

    /// The longest accepted version has 18 digits.
    @Test func decode_Accepts18DigitVersion() {
        #expect(RecordChangeNotice.decode("item:abc:123456789012345678") == RecordChange(key: .item("abc"), version: 123_456_789_012_345_678))
    }

    /// An id with a control character (C0, DEL or C1) decodes to nil.
    @Test(arguments: ["a\u{0}b", "a\nb", "a\rb", "a\tb", "\u{1B}[31m", "a\u{7F}b", "\u{1F}", "a\u{85}b", "\u{9B}31m"])
    func decode_ReturnsNil_ForControlCharacterInId(id: String) {
        #expect(RecordChangeNotice.decode("item:\(id):3") == nil)
        #expect(RecordChangeNotice.decode("session:\(id):3") == nil)
    }

    /// A payload of exactly `maxBytes` bytes decodes; one byte more decodes to nil.
    @Test func decode_EnforcesMaxBytes() throws {
        let overhead = "item:".utf8.count + ":1".utf8.count
        let fits = "item:" + String(repeating: "x", count: RecordChangeNotice.maxBytes - overhead) + ":1"
        #expect(fits.utf8.count == RecordChangeNotice.maxBytes)
        let decoded = try #require(RecordChangeNotice.decode(fits))
        #expect(decoded.version == 1)
        let tooLong = "item:" + String(repeating: "x", count: RecordChangeNotice.maxBytes - overhead + 1) + ":1"
        #expect(RecordChangeNotice.decode(tooLong) == nil)
    }

    /// The byte limit counts UTF-8 bytes, not characters: a multi-byte id over the limit is refused.
    @Test func decode_CountsBytesNotCharacters() {
        let id = String(repeating: "é", count: RecordChangeNotice.maxBytes / 2)  // 2 bytes each
        #expect(id.count < RecordChangeNotice.maxBytes)
        #expect(RecordChangeNotice.decode("item:\(id):1") == nil)
    }

    /// The byte limit stays below PostgreSQL's 8000-byte NOTIFY payload limit.
    @Test func maxBytes_IsBelowPostgresPayloadLimit() {
        #expect(RecordChangeNotice.maxBytes < 8_000)
    }
}
