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
        let expected = Self.foundationStatusObject(record, now: now) as NSDictionary
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

    /// The status document built with Foundation: the oracle the hand-written encoding is checked against.
    static func foundationStatusObject(_ record: LandingRecord, now: Int64) -> [String: Any] {
        var error: Any = NSNull()
        if let e = record.error {
            error = ["code": e.code, "description": e.description.map { $0 as Any } ?? NSNull()]
        }
        return [
            "itemId": record.itemId.map { $0 as Any } ?? NSNull(),
            "sessionId": record.sessionId.map { $0 as Any } ?? NSNull(),
            "status": record.effectiveStatus(now: now).rawValue,
            "confirmed": record.confirmed,
            "error": error,
            "callbacks": record.hits,
            "test": record.isTest,
            "createdAt": Self.iso(record.createdAt),
            "updatedAt": Self.iso(record.updatedAt),
            "expiresAt": record.expiresAt.map { Self.iso($0) as Any } ?? NSNull(),
        ]
    }

    static func iso(_ millis: Int64) -> String {
        Timestamp.rfc3339(seconds: Int(millis / 1000), fractionalDigits: false)
    }
}
