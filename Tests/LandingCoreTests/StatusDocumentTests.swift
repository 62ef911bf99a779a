import Foundation
import Testing
@testable import LandingCore

@Suite struct StatusDocumentTests {
    static let records: [LandingRecord] = [
        LandingRecord(key: .item("i-1"), itemId: "i-1", status: .completed, hits: 3, createdAt: 1_800_000_000_123, updatedAt: 1_800_000_005_000),
        LandingRecord(
            key: .session("s"), itemId: nil, sessionId: "AAAAAAAAAAAAAAAAAAAAAA", status: .failed, confirmed: true,
            error: LandingError(code: "access_denied", description: "a \"quoted\" \\ <tag> é \u{2028}"), hits: 1,
            createdAt: 1_800_000_000_000, updatedAt: 1_800_000_000_000, expiresAt: 1_800_001_800_000, isTest: true),
        LandingRecord(key: .session("p"), sessionId: "p", status: .pending, createdAt: 0, updatedAt: 0, expiresAt: 1000),
    ]

    /// The hand-written encoding is valid JSON with exactly the fields and values of the status document.
    @Test(arguments: records)
    func statusDocument_MatchesFoundationEncoding(record: LandingRecord) throws {
        let now: Int64 = 1_800_000_010_000
        let bytes = StatusDocument.encode(record, now: now)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? NSDictionary)
        let expected = SessionAPI.statusObject(record, now: now) as NSDictionary
        #expect(parsed == expected)
        let keys = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]).keys.sorted()
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("{\"callbacks\":"))
        #expect(keys.count == 10)
    }

    /// The ETag changes with any field and is stable for the same bytes.
    @Test func statusDocument_ETagFollowsContent() {
        var record = Self.records[0]
        let a = StatusDocument.etag(of: StatusDocument.encode(record, now: 0))
        #expect(a == StatusDocument.etag(of: StatusDocument.encode(record, now: 0)))
        record.hits += 1
        #expect(a != StatusDocument.etag(of: StatusDocument.encode(record, now: 0)))
        #expect(a.hasPrefix("\"") && a.hasSuffix("\"") && a.count == 18)
    }
}
