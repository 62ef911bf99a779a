import Foundation
import Testing
@testable import LandingCore

@Suite struct HTTPResponseSerializerTests {
    static func serialize(_ r: HTTPResponse, headOnly: Bool = false, keepAlive: Bool = true) -> String {
        var buffer: [UInt8] = []
        HTTPResponseSerializer.serialize(r, headOnly: headOnly, keepAlive: keepAlive, date: "Sun, 06 Nov 1994 08:49:37 GMT", into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// A response has the status line, Date, Content-Length, its headers, a blank line and the body.
    @Test func serializer_WritesStatusDateLengthAndBody() {
        let text = Self.serialize(.text(.ok, "hi"))
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 3\r\n"))
        #expect(text.hasSuffix("\r\n\r\nhi\n"))
        #expect(!text.contains("Server:"))
        #expect(!text.contains("Connection:"))
    }

    /// The connection's fields (X-Request-Id, HSTS over TLS) follow the response's own, in the bytes
    /// the response would give with them added as fields; without them neither appears.
    @Test func serializer_AppendsConnectionFields_AsAddedFieldsWould() {
        var response = HTTPResponse.text(.ok, "hi")
        response.headers.add(name: "Cache-Control", value: "no-store")
        for keepAlive in [true, false] {
            var direct: [UInt8] = []
            HTTPResponseSerializer.serialize(
                response, headOnly: false, keepAlive: keepAlive, date: "d", requestID: "req-1", strictTransportSecurity: true, into: &direct)
            var added = response
            added.headers.add(name: "X-Request-Id", value: "req-1")
            added.headers.add(name: "Strict-Transport-Security", value: "max-age=31536000")
            var viaFields: [UInt8] = []
            HTTPResponseSerializer.serialize(added, headOnly: false, keepAlive: keepAlive, date: "d", into: &viaFields)
            #expect(direct == viaFields)
        }
        var plain: [UInt8] = []
        HTTPResponseSerializer.serialize(response, headOnly: false, keepAlive: true, date: "d", requestID: "req-2", into: &plain)
        let text = String(decoding: plain, as: UTF8.self)
        #expect(text.contains("\r\nCache-Control: no-store\r\nX-Request-Id: req-2\r\n\r\n"))
        #expect(!text.contains("Strict-Transport-Security"))
    }

    /// HEAD gets GET's Content-Length and no body.
    @Test func serializer_OmitsBody_ForHead() {
        let text = Self.serialize(.text(.ok, "hello"), headOnly: true)
        #expect(text.contains("Content-Length: 6\r\n"))
        #expect(text.hasSuffix("\r\n\r\n"))
    }

    /// A connection that will close says so.
    @Test func serializer_AddsConnectionClose_WhenNotKeepingAlive() {
        #expect(Self.serialize(.text(.badRequest, "x"), keepAlive: false).contains("\r\nConnection: close\r\n"))
    }

    /// 204 and 304 carry neither Content-Length nor a body.
    @Test func serializer_Omits_ContentLength_For204And304() {
        let text = Self.serialize(HTTPResponse(status: .noContent, body: Array("x".utf8)))
        #expect(!text.contains("Content-Length"))
        #expect(text.hasSuffix("\r\n\r\n"))
        #expect(!Self.serialize(HTTPResponse(status: .notModified)).contains("Content-Length"))
    }

    /// Every parser error maps to its status and a close.
    @Test func protocolError_MapsStatusAndCloses() {
        #expect(HTTPResponse.protocolError(.requestLineTooLong).status.code == 414)
        #expect(HTTPResponse.protocolError(.headerSectionTooLarge).status.code == 431)
        #expect(HTTPResponse.protocolError(.bodyTooLarge).status.code == 413)
        #expect(HTTPResponse.protocolError(.chunkedNotFinal).status.code == 400)
        #expect(HTTPResponse.protocolError(.unsupportedTransferEncoding).status.code == 501)
        #expect(HTTPResponse.protocolError(.unsupportedVersion).status.code == 505)
        #expect(HTTPResponse.protocolError(.obsoleteLineFolding).status.code == 400)
        #expect(HTTPResponse.protocolError(.obsoleteLineFolding).closeConnection)
    }
}

@Suite struct JSONLineTests {
    /// Strings are escaped so that a log line stays one valid JSON line, whatever the path holds.
    @Test func jsonLine_EscapesQuotesControlsAndLineSeparators() {
        var line = JSONLine()
        line.add("path", "/a\"b\\c\n\u{0}\u{2028}é")
        line.add("status", 200)
        let text = String(decoding: line.finished(), as: UTF8.self)
        #expect(text == "{\"path\":\"/a\\\"b\\\\c\\n\\u0000\\u2028é\",\"status\":200}\n")
    }

    /// Metadata values keep their JSON type: strings quoted, integers, doubles and booleans bare, a non-finite double as null.
    @Test func jsonLine_WritesLogValues_WithTheirJSONType() throws {
        var line = JSONLine()
        line.add("threads", value: 2.logValue)
        line.add("open_files_limit", value: UInt(1_048_576).logValue)
        line.add("grace_seconds", value: 10.0.logValue)
        line.add("ratio", value: 0.25.logValue)
        line.add("tiny", value: 0.00001.logValue)
        line.add("test", value: false.logValue)
        line.add("nan", value: Double.nan.logValue)
        line.add("inf", value: Double.infinity.logValue)
        line.add("count_as_text", value: "2".logValue)
        line.add("k\"ey\n", value: .string("v"))
        let bytes = line.finished()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(
            text
                == #"{"threads":2,"open_files_limit":1048576,"grace_seconds":10.0,"ratio":0.25,"tiny":1e-05,"test":false,"nan":null,"inf":null,"count_as_text":"2","k\"ey\n":"v"}"#
                + "\n")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["threads"] as? Int == 2)
        #expect((object["tiny"] as? NSNumber)?.doubleValue == 0.00001)
        #expect(object["k\"ey\n"] as? String == "v")
    }

    /// C1 controls (NEL among them) are escaped like C0 ones, so no reader that splits on NEL can break a line.
    @Test func jsonLine_EscapesC1Controls() {
        var line = JSONLine()
        line.add("ua", "a\u{80}\u{85}\u{9F}\u{A0}b")
        #expect(String(decoding: line.finished(), as: UTF8.self) == "{\"ua\":\"a\\u0080\\u0085\\u009f\u{A0}b\"}\n")
    }

    /// Durations print with three decimals.
    @Test func jsonLine_FormatsMilliseconds() {
        var line = JSONLine()
        line.add("duration_ms", milliseconds: 1.23456)
        #expect(String(decoding: line.finished(), as: UTF8.self) == "{\"duration_ms\":1.235}\n")
    }

    /// RFC 3339 timestamps are UTC with milliseconds.
    @Test func timestamp_FormatsRFC3339() {
        #expect(Timestamp.rfc3339(seconds: 784111777, nanoseconds: 5_000_000) == "1994-11-06T08:49:37.005Z")
    }
}
