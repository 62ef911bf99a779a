import Testing
@testable import LandingCore

private func decode(_ json: String) -> Result<PluggyItem, PluggyDecodeError> { PluggyItem.decode(Array(json.utf8)) }

@Suite struct PluggyItemDecodingTests {
    /// A full item decodes its id, status, executionStatus, error and connector name, ignoring other members.
    @Test func decode_ReadsTheFields_OfAFullItem() throws {
        let json = """
            {"id":"0f0e-1","status":"LOGIN_ERROR","executionStatus":"USER_AUTHORIZATION_NOT_GRANTED",
             "error":{"code":"USER_AUTHORIZATION_NOT_GRANTED","message":"Autorização não concedida"},
             "connector":{"id":201,"name":"Banco do Brasil","imageUrl":"x"},"clientUserId":null,"updatedAt":"2025-01-01T00:00:00Z"}
            """
        let item = try decode(json).get()
        #expect(item == PluggyItem(
            id: "0f0e-1", status: "LOGIN_ERROR", executionStatus: "USER_AUTHORIZATION_NOT_GRANTED",
            error: LandingError(code: "USER_AUTHORIZATION_NOT_GRANTED", description: "Autorização não concedida"),
            connectorName: "Banco do Brasil"))
    }

    /// Null or absent optional members decode as nil.
    @Test func decode_AcceptsNullOptionalMembers() throws {
        let item = try decode(#"{"id":"a","status":"UPDATED","executionStatus":null,"error":null,"connector":null}"#).get()
        #expect(item == PluggyItem(id: "a", status: "UPDATED"))
        #expect(try decode(#"{"id":"a","status":"UPDATED"}"#).get() == PluggyItem(id: "a", status: "UPDATED"))
    }

    /// Bodies that are not a JSON object, lack required members or carry wrong types are refused by name.
    @Test(arguments: [
        ("not json", PluggyDecodeError.invalidJSON),
        ("[1]", .invalidJSON),
        (#"{"status":"UPDATED"}"#, .missingField("id")),
        (#"{"id":"a"}"#, .missingField("status")),
        (#"{"id":"a","status":null}"#, .missingField("status")),
        (#"{"id":"a","status":5}"#, .invalidField("status")),
        (#"{"id":"a","status":"updated"}"#, .invalidField("status")),
        (#"{"id":"a","status":"UPDATED","executionStatus":"x y"}"#, .invalidField("executionStatus")),
        (#"{"id":"../x","status":"UPDATED"}"#, .invalidField("id")),
        (#"{"id":"a","status":"UPDATED","error":"boom"}"#, .invalidField("error")),
        (#"{"id":"a","status":"UPDATED","error":{"message":"m"}}"#, .invalidField("error.code")),
        (#"{"id":"a","status":"UPDATED","error":{"code":"X","message":7}}"#, .invalidField("error.message")),
        (#"{"id":"a","status":"UPDATED","connector":{"name":1}}"#, .invalidField("connector.name")),
        (#"{"id":"a","status":"UPDATED","status":"LOGIN_ERROR"}"#, .invalidJSON),
    ])
    func decode_RefusesMalformedBodies(_ json: String, _ expected: PluggyDecodeError) {
        #expect(decode(json) == .failure(expected))
    }

    /// A body over 256 KiB is refused before parsing, and an overlong status word is refused.
    @Test func decode_EnforcesBounds() {
        let padding = String(repeating: " ", count: PluggyItem.maxBodyBytes)
        #expect(decode(#"{"id":"a","status":"UPDATED"}"# + padding) == .failure(.bodyTooLarge))
        let longStatus = String(repeating: "A", count: PluggyItem.maxStatusLength + 1)
        #expect(decode(#"{"id":"a","status":"\#(longStatus)"}"#) == .failure(.invalidField("status")))
    }

    /// Error codes are sanitized like a callback's and messages cleaned for display (controls and bidi removed, length capped).
    @Test func decode_CleansErrorAndConnectorText() throws {
        let longName = String(repeating: "B", count: 500)
        let item = try decode(#"{"id":"a","status":"OUTDATED","error":{"code":"BAD\"<x>","message":"line\u0000two\u202e!"},"connector":{"name":"\#(longName)"}}"#).get()
        #expect(item.error?.code == "BAD?<x>")
        #expect(item.error?.description == "line two!")
        #expect(item.connectorName?.count == PluggyItem.maxConnectorNameCharacters)
    }

    /// `/auth`'s answer yields the key; a missing, empty, spaced or control-laden key is refused.
    @Test func authResponse_DecodesTheKey_AndRefusesBadOnes() {
        #expect(PluggyAuthResponse.decode(Array(#"{"apiKey":"eyJ.abc.def"}"#.utf8)) == .success("eyJ.abc.def"))
        #expect(PluggyAuthResponse.decode(Array(#"{}"#.utf8)) == .failure(.missingField("apiKey")))
        #expect(PluggyAuthResponse.decode(Array(#"{"apiKey":""}"#.utf8)) == .failure(.invalidField("apiKey")))
        #expect(PluggyAuthResponse.decode(Array(#"{"apiKey":"a b"}"#.utf8)) == .failure(.invalidField("apiKey")))
        #expect(PluggyAuthResponse.decode(Array(#"{"apiKey":"a\r\nX-Evil: 1"}"#.utf8)) == .failure(.invalidField("apiKey")))
    }
}

@Suite struct PluggyAPIRequestTests {
    /// The auth request is a POST /auth with the credentials JSON-escaped and a Content-Length.
    @Test func authRequest_EscapesCredentials() {
        let request = PluggyAPI.authRequest(clientId: "id\"1", clientSecret: "s\\e\ncret", basePath: "/v1")
        #expect(request.method == .post)
        #expect(request.target == "/v1/auth")
        #expect(String(decoding: request.body, as: UTF8.self) == #"{"clientId":"id\"1","clientSecret":"s\\e\ncret"}"#)
        let wire = String(decoding: request.serialized(host: "api.pluggy.ai"), as: UTF8.self)
        #expect(wire.hasPrefix("POST /v1/auth HTTP/1.1\r\nHost: api.pluggy.ai\r\n"))
        #expect(wire.contains("Content-Length: \(request.body.count)\r\nConnection: close\r\n\r\n{"))
    }

    /// The item request carries X-API-KEY; ids that are not item ids (or would change the path) and keys that would split the header are refused.
    @Test func itemRequest_ValidatesIdAndKey() {
        let request = PluggyAPI.itemRequest(itemId: "abc-1", apiKey: "k")
        #expect(request?.target == "/items/abc-1")
        #expect(request?.headers["X-API-KEY"] == "k")
        #expect(PluggyAPI.itemRequest(itemId: "..", apiKey: "k") == nil)
        #expect(PluggyAPI.itemRequest(itemId: "a/b", apiKey: "k") == nil)
        #expect(PluggyAPI.itemRequest(itemId: "a?b", apiKey: "k") == nil)
        #expect(PluggyAPI.itemRequest(itemId: "", apiKey: "k") == nil)
        #expect(PluggyAPI.itemRequest(itemId: "a", apiKey: "k\r\nX: 1") == nil)
    }
}

@Suite struct HTTPSClientEndpointTests {
    /// https URLs parse into host, port and base path; the Host field omits 443 and brackets IPv6.
    @Test func endpoint_ParsesHTTPSURLs() throws {
        #expect(try HTTPSEndpoint(url: "https://api.pluggy.ai") == HTTPSEndpoint(host: "api.pluggy.ai"))
        #expect(try HTTPSEndpoint(url: "https://API.Pluggy.ai/") == HTTPSEndpoint(host: "api.pluggy.ai"))
        let local = try HTTPSEndpoint(url: "https://localhost:8443/base/")
        #expect(local == HTTPSEndpoint(host: "localhost", port: 8443, basePath: "/base"))
        #expect(local.hostField == "localhost:8443")
        let v6 = try HTTPSEndpoint(url: "https://[::1]:9000")
        #expect(v6.host == "::1" && v6.hostIsIPAddress && v6.hostField == "[::1]:9000")
        #expect(try HTTPSEndpoint(url: "https://127.0.0.1").hostIsIPAddress)
        #expect(try !HTTPSEndpoint(url: "https://api.pluggy.ai").hostIsIPAddress)
    }

    /// Plain http, userinfo, queries, fragments, bad ports and bad hosts are refused.
    @Test(arguments: [
        ("http://api.pluggy.ai", HTTPSEndpoint.ParseError.notHTTPS),
        ("https://user@api.pluggy.ai", .unsupportedComponent),
        ("https://api.pluggy.ai/?x=1", .unsupportedComponent),
        ("https://api.pluggy.ai#f", .unsupportedComponent),
        ("https://api.pluggy.ai:0", .invalidPort),
        ("https://api.pluggy.ai:70000", .invalidPort),
        ("https://api.pluggy.ai:", .invalidPort),
        ("https://", .invalidHost),
        ("https://api_pluggy.ai", .invalidHost),
        ("https://[::1", .invalidHost),
    ])
    func endpoint_RefusesUnsupportedURLs(_ url: String, _ expected: HTTPSEndpoint.ParseError) {
        #expect(throws: expected) { try HTTPSEndpoint(url: url) }
    }
}
