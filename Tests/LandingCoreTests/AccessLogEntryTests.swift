import Foundation
import Testing

@testable import LandingCore

/// The access-log line: its fields and types, and that no client-supplied text can break it.
@Suite struct AccessLogEntryTests {
    static func entry(userAgent: String?, path: String = "/healthz") -> AccessLogEntry {
        AccessLogEntry(
            requestID: "req-1", client: "203.0.113.9", method: "GET", path: path, status: 200, bytes: 3, durationSeconds: 0.0012345,
            userAgent: userAgent)
    }

    /// Parses `bytes` as exactly one JSON object on one line.
    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        #expect(bytes.last == 0x0A)
        #expect(bytes.filter { $0 == 0x0A }.count == 1, "more than one line")
        #expect(!bytes.contains(0x0D))
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    /// Every field, in order, with numbers as JSON numbers.
    @Test func line_WritesEveryField_WithItsJSONType() {
        let text = String(decoding: Self.entry(userAgent: "curl/8.0").line(time: "2026-01-01T00:00:00.000Z"), as: UTF8.self)
        #expect(
            text
                == #"{"time":"2026-01-01T00:00:00.000Z","type":"access","request_id":"req-1","client":"203.0.113.9","method":"GET","path":"/healthz","status":200,"bytes":3,"duration_ms":1.235,"user_agent":"curl/8.0"}"#
                + "\n")
    }

    /// Without a User-Agent the field is left out.
    @Test func line_OmitsUserAgent_WhenThereIsNone() throws {
        let object = try Self.object(Self.entry(userAgent: nil).line(time: "t"))
        #expect(object["user_agent"] == nil)
        #expect(object["client"] as? String == "203.0.113.9")
    }

    /// A hostile User-Agent (CRLF, quotes, backslashes, controls, NEL, line separators, a fake JSON tail) stays one line and reads back as sent.
    @Test func line_KeepsAHostileUserAgent_OnOneValidLine() throws {
        let hostile = "x\"}\n{\"type\":\"access\",\"status\":500}\r\n\\\u{0}\u{1B}[31m\u{7F}\u{85}\u{2028}\u{2029}\u{9B}end"
        let object = try Self.object(Self.entry(userAgent: hostile).line(time: "t"))
        #expect(object["user_agent"] as? String == hostile)
        #expect(object["status"] as? Int == 200)
        #expect(object.count == 10)
    }

    /// A long User-Agent is cut to 200 bytes, never inside a character.
    @Test func line_CutsLongUserAgents_AtACharacterBoundary() throws {
        let ascii = String(repeating: "a", count: 10 * 1024)
        let cut = try Self.object(Self.entry(userAgent: ascii).line(time: "t"))["user_agent"] as? String
        #expect(cut == String(repeating: "a", count: AccessLogEntry.maxUserAgentBytes))
        // 199 ASCII bytes then a 2-byte "é": the é does not fit, and is dropped whole.
        let accented = String(repeating: "b", count: 199) + "éé"
        let cutAccented = try #require(try Self.object(Self.entry(userAgent: accented).line(time: "t"))["user_agent"] as? String)
        #expect(cutAccented == String(repeating: "b", count: 199))
        // 4-byte scalars: 50 of them fill 200 bytes exactly.
        let emoji = String(repeating: "😀", count: 60)
        #expect(AccessLogEntry.prefix(emoji, maxUTF8Bytes: 200) == String(repeating: "😀", count: 50))
        #expect(AccessLogEntry.prefix(emoji, maxUTF8Bytes: 3) == "")
        #expect(AccessLogEntry.prefix("short", maxUTF8Bytes: 200) == "short")
    }

    /// Header bytes above 0x7F arrive decoded as Latin-1 (U+0080–U+00FF): the C1 controls among them are escaped, the line stays valid UTF-8 JSON.
    @Test func line_EscapesC1Controls_FromObsText() throws {
        let latin1 = String(decoding: [0x41, 0xC2, 0x85, 0xC2, 0x9F, 0xC3, 0xBF], as: UTF8.self)  // "A", U+0085, U+009F, "ÿ"
        let bytes = Self.entry(userAgent: latin1).line(time: "t")
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#""user_agent":"A\u0085\u009fÿ""#), "\(text)")
        #expect(try Self.object(bytes)["user_agent"] as? String == latin1)
    }
}
