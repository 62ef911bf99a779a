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
        LandingRecord(
            key: .session("c"), sessionId: "c", status: .pending, createdAt: 0, updatedAt: 0, expiresAt: 1000,
            clientUserId: "user \"42\" \\ <b> é 😀 \u{7F}\u{85}\u{2028}"),
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
        #expect(keys.count == (record.clientUserId == nil ? 13 : 14))
    }

    /// The digit-by-digit timestamps are exactly `Timestamp`'s, around epoch, leap days, year ends and far dates.
    @Test func statusDocument_Timestamps_MatchTimestampFormatting() {
        let samples: [Int64] = [
            0, 999, 1_000, -1, -1_000, -86_400_001, 951_782_400_000, 951_868_799_999, 1_800_000_000_123, 4_102_444_799_000,
            253_402_300_799_999, 253_402_300_800_000, -62_135_596_800_000, -62_167_219_200_001,
        ]
        for millis in samples {
            var out: [UInt8] = []
            StatusDocument.appendRFC3339(millis, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == "\"" + StatusDocument.rfc3339(millis) + "\"", "\(millis)")
        }
    }

    /// A session's clientUserId is returned as given (escaped, in sorted key order), and only when there is one.
    @Test func statusDocument_EchoesClientUserId_OnlyWhenPresent() throws {
        var record = LandingRecord(key: .session("s"), sessionId: "s", status: .pending, createdAt: 0, updatedAt: 0, expiresAt: 1000)
        #expect(!String(decoding: StatusDocument.encode(record, now: 0), as: UTF8.self).contains("clientUserId"))
        record.clientUserId = "u-42"
        let text = String(decoding: StatusDocument.encode(record, now: 0), as: UTF8.self)
        #expect(text.hasPrefix(#"{"callbacks":0,"clientUserId":"u-42","confirmed":false,"#), "\(text)")
        record.clientUserId = "a\"}, \"status\": \"completed"
        let hostile = try #require(try JSONSerialization.jsonObject(with: Data(StatusDocument.encode(record, now: 0))) as? [String: Any])
        #expect(hostile["clientUserId"] as? String == record.clientUserId)
        #expect(hostile["status"] as? String == "pending")
    }

    /// The ETag changes exactly when the document does within a record's life (writes, expiry), and never repeats across lives.
    @Test func statusDocument_ETagChanges_IffDocumentChanges() throws {
        let store = MemoryStore()
        let id = "AAAAAAAAAAAAAAAAAAAAAA"
        var states: [(record: LandingRecord, now: Int64, life: Int)] = []
        /// The session as of several times: before its expiry (twice) and after it (twice).
        func snapshot(life: Int) throws {
            let record = try #require(try store.session(id: id))
            for now: Int64 in [1_000, 2_000, 60_000, 70_000] { states.append((record, now, life)) }
        }
        _ = try store.createSession(NewSession(id: id, clientUserId: nil, returnURL: nil, createdAt: 500, expiresAt: 50_000))
        try snapshot(life: 1)
        _ = try store.recordCallback(CallbackEvent(itemId: "it-1", sessionId: id, error: nil, receivedAt: 1_500))
        try snapshot(life: 1)
        _ = try store.recordCallback(CallbackEvent(itemId: "it-1", sessionId: id, error: nil, receivedAt: 1_500))
        try snapshot(life: 1)
        // The same id in a second life (deleted, created again): versions restart at 1.
        #expect(try store.deleteSession(id: id))
        _ = try store.createSession(NewSession(id: id, clientUserId: nil, returnURL: nil, createdAt: 500, expiresAt: 50_000))
        try snapshot(life: 2)
        for a in states {
            for b in states {
                let sameDocument = StatusDocument.encode(a.record, now: a.now) == StatusDocument.encode(b.record, now: b.now)
                let sameTag = StatusDocument.etag(of: a.record, now: a.now) == StatusDocument.etag(of: b.record, now: b.now)
                let pair = "life \(a.life) v\(a.record.version)@\(a.now) vs life \(b.life) v\(b.record.version)@\(b.now)"
                if a.life == b.life {
                    #expect(sameDocument == sameTag, "\(pair)")
                } else {
                    // Across lives a tag may change while the document does not (an extra 200), never the reverse.
                    #expect(!sameTag || sameDocument, "\(pair)")
                }
            }
        }
        let tag = StatusDocument.etag(of: states[0].record, now: 0)
        #expect(tag.hasPrefix("\"") && tag.hasSuffix("\""))
    }

    /// The status document built with Foundation: the oracle the hand-written encoding is checked against.
    static func foundationStatusObject(_ record: LandingRecord, now: Int64) -> [String: Any] {
        var error: Any = NSNull()
        if let e = record.error {
            error = ["code": e.code, "description": e.description.map { $0 as Any } ?? NSNull()]
        }
        var object: [String: Any] = [
            "itemId": record.itemId.map { $0 as Any } ?? NSNull(),
            "sessionId": record.sessionId.map { $0 as Any } ?? NSNull(),
            "status": record.effectiveStatus(now: now).rawValue,
            "confirmed": record.confirmed,
            "confirmedBy": (record.confirmed ? record.confirmedBy?.rawValue : nil).map { $0 as Any } ?? NSNull(),
            "connector": record.connectorName.map { $0 as Any } ?? NSNull(),
            "executionStatus": record.executionStatus.map { $0 as Any } ?? NSNull(),
            "error": error,
            "callbacks": record.hits,
            "test": record.isTest,
            "createdAt": Self.iso(record.createdAt),
            "updatedAt": Self.iso(record.updatedAt),
            "expiresAt": record.expiresAt.map { Self.iso($0) as Any } ?? NSNull(),
        ]
        if let clientUserId = record.clientUserId { object["clientUserId"] = clientUserId }
        return object
    }

    static func iso(_ millis: Int64) -> String {
        Timestamp.rfc3339(seconds: Int(millis / 1000), fractionalDigits: false)
    }
}
