import Testing
@testable import LandingCore

/// Headers carrying their wire form (`HTTPHeaders.serialized()`) go out exactly as the same
/// fields serialized one by one, whatever is added or removed afterwards.
@Suite struct HTTPHeadersSerializedTests {
    static func wire(_ headers: HTTPHeaders) -> String {
        HTTPResponseSerializerTests.serialize(HTTPResponse(status: .ok, headers: headers, body: Array("b".utf8)))
    }

    static let base = HTTPHeaders([("Content-Type", "text/html"), ("Cache-Control", "no-store"), ("Vary", "A, B")])

    @Test("Serialized headers, then added fields, go out as the plain fields would")
    func serializedThenAdded() {
        var plain = Self.base
        var prepared = Self.base.serialized()
        #expect(!prepared.serializedFields.isEmpty)
        #expect(Self.wire(prepared) == Self.wire(plain))
        plain.add(name: "Content-Security-Policy", value: "default-src 'none'")
        prepared.add(name: "Content-Security-Policy", value: "default-src 'none'")
        plain.replaceOrAdd(name: "Strict-Transport-Security", value: "max-age=1")
        prepared.replaceOrAdd(name: "Strict-Transport-Security", value: "max-age=1")
        #expect(prepared == plain)
        #expect(Self.wire(prepared) == Self.wire(plain))
        #expect(Self.wire(prepared).contains("\r\nVary: A, B\r\nContent-Security-Policy: default-src 'none'\r\nStrict-Transport-Security: max-age=1\r\n\r\nb"))
    }

    @Test("Removing or replacing a serialized field drops the wire form, so the old value is never sent", arguments: ["cache-control", "Vary", "Content-Type"])
    func removingSerializedField(name: String) {
        var plain = Self.base
        var prepared = Self.base.serialized()
        plain.replaceOrAdd(name: name, value: "changed")
        prepared.replaceOrAdd(name: name, value: "changed")
        #expect(prepared.serializedFields.isEmpty)
        #expect(Self.wire(prepared) == Self.wire(plain))
        #expect(Self.wire(prepared).components(separatedBy: "changed").count == 2)
    }

    @Test("The landing page's headers go out as before: the constant fields, then the CSP with this response's nonce")
    func landingHeaders() {
        for type in ["text/html; charset=utf-8", "application/json", "text/plain"] {
            let headers = LandingPage.securityHeaders(nonce: "N0nce", contentType: type)
            let plain = HTTPHeaders(headers.fields.map { ($0.name, $0.value) })
            #expect(Self.wire(headers) == Self.wire(plain))
            #expect(headers["Content-Type"] == type)
            #expect(
                headers["Content-Security-Policy"]
                    == "default-src 'none'; script-src 'nonce-N0nce'; style-src 'nonce-N0nce'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
            )
            #expect(headers.fields.map(\.name) == [
                "Content-Type", "Cache-Control", "Referrer-Policy", "X-Content-Type-Options", "X-Frame-Options", "Vary",
                "Content-Security-Policy",
            ])
        }
        #expect(LandingPage.securityHeaders(nonce: "a", contentType: "application/json")["Content-Security-Policy"] != LandingPage.securityHeaders(nonce: "b", contentType: "application/json")["Content-Security-Policy"])
    }
}
