import Testing
@testable import LandingCore

/// Decodes `query` and parses it with `limits`.
private func parse(
    _ query: String, limits: CallbackParameters.Limits = .default
) -> Result<CallbackParameters, CallbackParameterError> {
    CallbackParameters.parse(encoded: Array(query.utf8), limits: limits)
}

/// The parsed parameters of `query`, or a recorded failure.
private func parsed(_ query: String, limits: CallbackParameters.Limits = .default) throws -> CallbackParameters {
    try parse(query, limits: limits).get()
}

/// The names kept for forensics.
private func rawNames(_ parameters: CallbackParameters) -> [String] {
    parameters.rawParameters.map(\.name)
}

@Suite struct CallbackParametersTests {
    // MARK: item id, code, state

    /// A success callback yields the item id and the presence of code and state.
    @Test func callbackParameters_ParsesItemIdCodeAndState_WhenSuccess() throws {
        let result = try parsed("itemId=3f6c1c8e-9d1a-4a8e-b3b3-0c5d3f1a2b4c&code=SECRETCODE&state=SECRETSTATE")
        #expect(result.itemId == "3f6c1c8e-9d1a-4a8e-b3b3-0c5d3f1a2b4c")
        #expect(result.codePresent)
        #expect(result.statePresent)
        #expect(result.error == nil)
        #expect(result.droppedParameters == 0)
    }

    /// `item_id` is accepted as the item id too.
    @Test func callbackParameters_AcceptsSnakeCaseItemId_WhenItemIdAbsent() throws {
        #expect(try parsed("item_id=abc-123").itemId == "abc-123")
    }

    /// `itemId` and `item_id` with the same value are one item id, not a repeat.
    @Test func callbackParameters_AcceptsBothItemIdSpellings_WhenValuesEqual() throws {
        let result = try parsed("itemId=abc&item_id=abc")
        #expect(result.itemId == "abc")
        #expect(rawNames(result) == ["itemId", "item_id"])
    }

    /// `itemId` and `item_id` with different values are refused as a repeated item id.
    @Test func callbackParameters_RejectsBothItemIdSpellings_WhenValuesDiffer() {
        #expect(parse("itemId=abc&item_id=xyz") == .failure(.repeatedParameter("itemId")))
    }

    /// No item id, no code, no state: all absent, not an error.
    @Test func callbackParameters_ReportsAbsence_WhenNothingIsSent() throws {
        #expect(try parsed("") == CallbackParameters())
    }

    /// Item ids of 1 and 128 characters of `A-Z a-z 0-9 . _ -` are accepted.
    @Test func callbackParameters_AcceptsItemId_WhenWithinCharsetAndLength() throws {
        #expect(try parsed("itemId=a").itemId == "a")
        let longest = String(repeating: "aZ9._-", count: 21) + "ab"
        #expect(longest.count == 128)
        #expect(try parsed("itemId=\(longest)").itemId == longest)
    }

    /// An item id of 129 characters is refused.
    @Test func callbackParameters_RejectsItemId_WhenLongerThan128() {
        #expect(parse("itemId=" + String(repeating: "a", count: 129)) == .failure(.invalidItemId))
    }

    /// Item ids with characters outside `A-Z a-z 0-9 . _ -` are refused, for both spellings.
    @Test func callbackParameters_RejectsItemId_WhenCharacterOutsideCharset() {
        for value in ["a%2Fb", "a+b", "%C3%A9", "%3Cscript%3E", "a~b", "a%00", "a:b", "a%40b"] {
            #expect(parse("itemId=\(value)") == .failure(.invalidItemId), "\(value)")
            #expect(parse("item_id=\(value)") == .failure(.invalidItemId), "\(value)")
        }
    }

    /// The invalid item id explanation does not echo the value.
    @Test func callbackParameterError_Explanation_DoesNotEchoItemId() {
        let explanation = CallbackParameterError.invalidItemId.explanation
        #expect(explanation.contains("item id"))
        #expect(!explanation.contains("<script>"))
    }

    // MARK: RFC 6749 §3.1: empty values are omitted, repeats are refused

    /// A parameter with an empty value is treated as omitted: no item id, no code, not kept.
    @Test func callbackParameters_TreatsEmptyValueAsOmitted_WhenValueEmpty() throws {
        let result = try parsed("itemId=&code=&state&error=&other=")
        #expect(result == CallbackParameters())
    }

    /// An empty occurrence does not make a later occurrence a repeat.
    @Test func callbackParameters_IgnoresEmptyOccurrence_WhenCheckingRepeats() throws {
        #expect(try parsed("itemId=&itemId=abc").itemId == "abc")
        #expect(try parsed("code&code=x").codePresent)
    }

    /// A repeated parameter is refused, whatever its name, secrets included.
    @Test func callbackParameters_RejectsRepeatedParameter_WhenNameAppearsTwice() {
        #expect(parse("itemId=a&itemId=a") == .failure(.repeatedParameter("itemId")))
        #expect(parse("error=a&error=b") == .failure(.repeatedParameter("error")))
        #expect(parse("code=a&code=b") == .failure(.repeatedParameter("code")))
        #expect(parse("state=a&x=1&state=a") == .failure(.repeatedParameter("state")))
        #expect(parse("foo=1&foo=2") == .failure(.repeatedParameter("foo")))
    }

    /// The first repeat in order is reported, with few pairs (compared pairwise) and with many (hashed).
    @Test func callbackParameters_ReportsFirstRepeat_WithFewOrManyPairs() {
        #expect(parse("a=1&b=1&b=2&a=2") == .failure(.repeatedParameter("b")))
        let many = (0..<40).map { "p\($0)=1" }.joined(separator: "&")
        #expect(parse(many + "&b=1&p3=2&b=2") == .failure(.repeatedParameter("p3")))
        #expect(parse("itemId=x&" + many) == .success(CallbackParameters(itemId: "x", rawParameters: [RawParameter(name: "itemId", value: "x")] + (0..<9).map { RawParameter(name: "p\($0)", value: "1") }, droppedParameters: 31)))
        for count in [2, 16, 17, 40] {
            let pairs = (0..<count).map { (name: "n\($0 % (count - 1))", value: "v") }
            #expect(CallbackParameters.firstRepeat(in: pairs) == "n0", "\(count) pairs")
            #expect(CallbackParameters.firstRepeat(in: Array(pairs.dropLast())) == nil, "\(count - 1) distinct pairs")
        }
    }

    /// The names `isSecret` answers without its rule are the rule's answer too: none is secret.
    @Test func callbackParameters_KnownPlainNames_AreNotSecretByTheRule() {
        for name in CallbackParameters.knownPlainNames {
            #expect(!CallbackParameters.matchesSecretRule(name), "\(name)")
            #expect(!CallbackParameters.isSecret(name))
        }
        #expect(CallbackParameters.isSecret("code") && CallbackParameters.isSecret("connectToken"))
    }

    /// Names are case-sensitive: `error` and `Error` are different parameters.
    @Test func callbackParameters_TreatsNamesCaseSensitively_WhenCheckingRepeats() throws {
        let result = try parsed("error=access_denied&Error=x")
        #expect(result.error?.code == "access_denied")
    }

    /// The explanation of a repeat names a plain parameter and never a value.
    @Test func callbackParameterError_Explanation_NamesPlainParameterOnly() {
        #expect(CallbackParameterError.repeatedParameter("itemId").explanation.contains("'itemId'"))
        let odd = CallbackParameterError.repeatedParameter("<script>alert(1)</script>").explanation
        #expect(!odd.contains("<"))
        #expect(odd.hasPrefix("A parameter"))
    }

    /// A repeated name with odd characters is reported sanitized and capped at 128 characters.
    @Test func callbackParameters_SanitizesRepeatedName_WhenNameHasOddCharacters() {
        #expect(parse("a%22b=1&a%22b=2") == .failure(.repeatedParameter("a?b")))
        let long = String(repeating: "n", count: 300)
        #expect(parse("\(long)=1&\(long)=2") == .failure(.repeatedParameter(String(repeating: "n", count: 128))))
    }

    /// Decoder errors surface as `.malformed`, with the decoder's explanation.
    @Test func callbackParameters_ReportsMalformed_WhenDecodingFails() {
        #expect(parse("itemId=%zz") == .failure(.malformed(.malformedPercentEncoding)))
        #expect(parse("a=%ff") == .failure(.malformed(.invalidUTF8)))
        #expect(
            CallbackParameterError.malformed(.invalidCharacter).explanation
                == FormDecodingError.invalidCharacter.explanation)
        let tight = CallbackParameters.Limits(maxParameters: 2)
        #expect(parse("a=1&b=2&c=3", limits: tight) == .failure(.malformed(.tooManyParameters)))
    }

    // MARK: OAuth errors (RFC 6749 §4.1.2.1)

    /// `knownErrorCodes` is exactly RFC 6749 §4.1.2.1's list.
    @Test func callbackParameters_KnownErrorCodes_MatchRFC6749() {
        #expect(
            CallbackParameters.knownErrorCodes == [
                "invalid_request", "unauthorized_client", "access_denied", "unsupported_response_type",
                "invalid_scope", "server_error", "temporarily_unavailable",
            ])
    }

    /// An error callback yields the code and description; a known code is flagged as known.
    @Test func callbackParameters_ParsesError_WhenErrorAndDescriptionSent() throws {
        let result = try parsed("error=access_denied&error_description=User+denied+access&itemId=i1")
        #expect(result.error == LandingError(code: "access_denied", description: "User denied access"))
        #expect(result.hasKnownErrorCode)
        #expect(result.itemId == "i1")
    }

    /// An unknown error code is kept (sanitized) but not flagged as known.
    @Test func callbackParameters_KeepsUnknownErrorCode_WhenNotInRFCList() throws {
        let result = try parsed("error=USER_AUTHORIZATION_NOT_GRANTED")
        #expect(result.error == LandingError(code: "USER_AUTHORIZATION_NOT_GRANTED", description: nil))
        #expect(!result.hasKnownErrorCode)
    }

    /// Error code characters outside `%x20-21 / %x23-5B / %x5D-7E` each become `?`.
    @Test func callbackParameters_SanitizesErrorCode_WhenCharactersOutsideNQSChar() throws {
        let result = try parsed("error=a%22b%5Cc%0Ad%C3%A9e%7Ff%09g")
        #expect(result.error?.code == "a?b?c?d?e?f?g")
    }

    /// Error codes are cut at 128 characters.
    @Test func callbackParameters_TruncatesErrorCode_WhenLongerThan128() throws {
        let result = try parsed("error=" + String(repeating: "x", count: 200))
        #expect(result.error?.code == String(repeating: "x", count: 128))
    }

    /// `error_description` keeps its UTF-8 (a bank's Portuguese), loses control characters, and is cut at 300 characters with an ellipsis.
    @Test func callbackParameters_KeepsUTF8AndTruncatesDescription_WhenLongOrOdd() throws {
        let odd = try parsed("error=server_error&error_description=%22quoted%22+%5C+%E2%9C%93+%00")
        #expect(odd.error?.description == "\"quoted\" \\ ✓")
        let portuguese = try parsed("error=access_denied&error_description=Autoriza%C3%A7%C3%A3o+n%C3%A3o+concedida")
        #expect(portuguese.error?.description == "Autorização não concedida")
        let long = try parsed("error=server_error&error_description=" + String(repeating: "%C3%A9", count: 600))
        #expect(long.error?.description == String(repeating: "é", count: 299) + "…")
        #expect(try parsed("error=x&error_description=%00%0A%E2%80%AE").error?.description == nil)
    }

    /// Bidirectional overrides and invisible formatting are removed; controls and separators become one space.
    @Test func displayText_RemovesBidiAndControls() {
        #expect(CallbackParameters.displayText("a\u{202E}b\u{2066}c\u{200B}d\u{FEFF}e\u{061C}f") == "abcdef")
        #expect(CallbackParameters.displayText("  one\t\ttwo\u{2028}three\u{85}four\r\n") == "one two three four")
        #expect(CallbackParameters.displayText("\u{202E}\u{0}  ") == nil)
        #expect(CallbackParameters.displayText(String(repeating: "a", count: 1_000_000))?.count == 300)
    }

    /// A `</script>` payload in the description is kept as text (escaping is the renderer's job) without its control characters.
    @Test func callbackParameters_KeepsDescriptionAsText_WhenPayloadIsHTML() throws {
        let result = try parsed("error=x&error_description=%3C%2Fscript%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E%0A")
        let description = try #require(result.error?.description)
        #expect(description == "</script><script>alert(1)</script>")
        #expect(description.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F })
    }

    /// `error_description` without `error` yields no error (RFC 6749: `error` is required).
    @Test func callbackParameters_YieldsNoError_WhenOnlyDescriptionSent() throws {
        let result = try parsed("error_description=oops")
        #expect(result.error == nil)
        #expect(result.rawParameters == [RawParameter(name: "error_description", value: "oops")])
    }

    /// `error_uri` is sanitized and cut at 512 characters.
    @Test func callbackParameters_SanitizesErrorURI_WhenOddOrLong() throws {
        #expect(try parsed("error_uri=https://x.example/e%22%3E").errorURI == "https://x.example/e?>")
        let long = try parsed("error_uri=https://x.example/" + String(repeating: "a", count: 600))
        #expect(long.errorURI?.count == 512)
    }

    /// `iss` is kept sanitized; a clean issuer is kept as is.
    @Test func callbackParameters_KeepsIssuer_WhenIssSent() throws {
        #expect(try parsed("iss=https%3A%2F%2Fauth.bank.example").issuer == "https://auth.bank.example")
        #expect(try parsed("iss=https://auth.bank.example/%C3%A9").issuer == "https://auth.bank.example/?")
    }

    /// An over-long `iss` is cut to 512 characters ending in `?`, so it can never equal a real issuer.
    @Test func callbackParameters_MarksTruncatedIssuer_WhenLongerThan512() throws {
        let exact = "https://a.example/" + String(repeating: "a", count: 512 - 18)
        #expect(try parsed("iss=\(exact)").issuer == exact)
        let issuer = try #require(try parsed("iss=\(exact)b").issuer)
        #expect(issuer.count == 512)
        #expect(issuer.hasSuffix("?"))
    }

    /// `sanitize` reads scalars, so one non-ASCII character becomes one `?`.
    @Test func callbackParameters_Sanitize_ReplacesEachScalarOnce() {
        #expect(CallbackParameters.sanitize("a😀b\u{301}", maxLength: 10) == "a?b?")
        #expect(CallbackParameters.sanitize("abcdef", maxLength: 3) == "abc")
        #expect(CallbackParameters.sanitize("abc", maxLength: 0) == "")
    }

    // MARK: secrets

    /// Secret parameters are never kept: not in raw parameters, not in the value's description.
    @Test func callbackParameters_NeverKeepsSecrets_WhenSecretsSent() throws {
        let secrets = [
            "code", "state", "id_token", "access_token", "refresh_token", "token", "client_secret",
            "code_verifier", "password",
        ]
        let query = secrets.map { "\($0)=SECRET\($0)" }.joined(separator: "&") + "&itemId=i1"
        let result = try parsed(query)
        #expect(rawNames(result) == ["itemId"])
        #expect(result.droppedParameters == 0)
        #expect(result.codePresent && result.statePresent)
        #expect(!String(describing: result).contains("SECRET"))
        #expect(Set(secrets) == CallbackParameters.secretParameterNames)
    }

    /// Names holding a credential word anywhere (any case) are never kept nor counted as dropped.
    @Test(arguments: [
        "connectToken", "apiKey", "x_client_secret", "user_password", "pkce_verifier", "client_assertion",
        "API-KEY", "credentials", "passwd",
    ])
    func callbackParameters_NeverKeepsSecretLookingNames_WhenFragmentMatches(name: String) throws {
        let result = try parsed("\(name)=SECRETVALUE&keep=1")
        #expect(rawNames(result) == ["keep"])
        #expect(result.droppedParameters == 0)
        #expect(!String(describing: result).contains("SECRETVALUE"))
    }

    /// Secret names are matched ignoring case for exclusion, but only exact `code`/`state` count
    /// as present.
    @Test func callbackParameters_ExcludesSecretsIgnoringCase_WhenNameCased() throws {
        let result = try parsed("CODE=SECRET1&State=SECRET2&Access_Token=SECRET3&keep=1")
        #expect(rawNames(result) == ["keep"])
        #expect(!result.codePresent)
        #expect(!result.statePresent)
    }

    // MARK: raw forensics

    /// Non-secret parameters are kept in order with their decoded values as received (not sanitized).
    @Test func callbackParameters_KeepsRawParametersInOrder_WhenNotSecret() throws {
        let result = try parsed("z=1&itemId=abc&code=s&error=a%22b&error_description=%3Cb%3E%0A&x=%00")
        #expect(
            result.rawParameters == [
                RawParameter(name: "z", value: "1"), RawParameter(name: "itemId", value: "abc"),
                RawParameter(name: "error", value: "a\"b"),
                RawParameter(name: "error_description", value: "<b>\n"), RawParameter(name: "x", value: "\u{0}"),
            ])
        #expect(result.error == LandingError(code: "a?b", description: "<b>"))
    }

    /// At most 10 parameters are kept; the rest are counted as dropped; secrets count for neither.
    @Test func callbackParameters_DropsBeyondTen_WhenManyParameters() throws {
        let query = (0..<60).map { "p\($0)=v" }.joined(separator: "&") + "&code=c"
        let result = try parsed(query)
        #expect(result.rawParameters.count == 10)
        #expect(result.rawParameters.last?.name == "p9")
        #expect(result.droppedParameters == 50)
    }

    /// A value over 1024 UTF-8 bytes is left out whole (never cut) and counted; 1024 is kept.
    @Test func callbackParameters_DropsOversizedValue_WhenOver1024Bytes() throws {
        let fits = String(repeating: "v", count: 1024)
        let over = String(repeating: "%C3%A9", count: 513)  // 1026 bytes
        let result = try parsed("a=\(fits)&b=\(over)&c=1")
        #expect(rawNames(result) == ["a", "c"])
        #expect(result.rawParameters[0].value == fits)
        #expect(result.droppedParameters == 1)
    }

    /// A name over 64 UTF-8 bytes is left out and counted; 64 is kept.
    @Test func callbackParameters_DropsOversizedName_WhenOver64Bytes() throws {
        let fits = String(repeating: "n", count: 64)
        let over = String(repeating: "n", count: 65)
        let result = try parsed("\(fits)=1&\(over)=2")
        #expect(rawNames(result) == [fits])
        #expect(result.droppedParameters == 1)
    }

    /// All kept names and values together stay within 4096 bytes; a later small parameter may still fit.
    @Test func callbackParameters_BoundsTotalBytes_At4096() throws {
        let big = String(repeating: "v", count: 1023)  // 1 + 1023 = 1024 bytes per pair
        let query = (0..<5).map { "\($0)=\(big)" }.joined(separator: "&") + "&z=1"
        let result = try parsed(query)
        #expect(rawNames(result) == ["0", "1", "2", "3"])
        #expect(result.droppedParameters == 2)
        let kept = result.rawParameters.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
        #expect(kept == 4096)
    }

    /// Whatever a client sends, what is kept never exceeds 10 parameters and 4096 bytes.
    @Test(arguments: [1, 9, 10, 11, 100, 999])
    func callbackParameters_KeepsAtMostTenAndFourKiB_ForAnyFlood(count: Int) throws {
        let value = String(repeating: "x", count: 900)
        let query = (0..<count).map { "p\($0)=\(value)" }.joined(separator: "&")
        let result = try parsed(query)
        let bytes = result.rawParameters.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
        #expect(result.rawParameters.count <= 10)
        #expect(bytes <= 4096)
        #expect(result.rawParameters.count + result.droppedParameters == count)
    }

    /// Custom limits bound the kept parameters.
    @Test func callbackParameters_HonoursCustomLimits_WhenGiven() throws {
        let limits = CallbackParameters.Limits(maxRawParameters: 2, maxRawNameBytes: 1, maxRawValueBytes: 1)
        let result = try parsed("a=1&bb=2&c=33&d=4&e=5", limits: limits)
        #expect(rawNames(result) == ["a", "d"])
        #expect(result.droppedParameters == 3)
    }

    /// The default limits are 1000 decoded pairs, 10 kept parameters, names of 64 and values of
    /// 1024 bytes, 4096 bytes in all.
    @Test func callbackParameters_DefaultLimits_AreDocumentedValues() {
        #expect(CallbackParameters.Limits.default.maxParameters == 1000)
        #expect(CallbackParameters.Limits.default.maxRawParameters == 10)
        #expect(CallbackParameters.Limits.default.maxRawNameBytes == 64)
        #expect(CallbackParameters.Limits.default.maxRawValueBytes == 1024)
        #expect(CallbackParameters.Limits.default.maxRawTotalBytes == 4096)
    }

    // MARK: RFC 9700 §4.11: no return link from the request

    /// Return-link parameters are only kept as forensics, never interpreted.
    @Test func callbackParameters_NeverInterpretsReturnLinks_WhenSent() throws {
        let links = [
            "return_to", "redirect", "redirect_uri", "next", "url", "returnUrl", "continue", "target",
        ].map { "\($0)=https%3A%2F%2Fevil.example%2F" }
        let base = try parsed("itemId=abc&state=s")
        let withLinks = try parsed("itemId=abc&state=s&" + links.joined(separator: "&"))
        #expect(withLinks.rawParameters.count == 9)
        #expect(withLinks.rawParameters.dropFirst().allSatisfy { $0.value == "https://evil.example/" })
        var stripped = withLinks
        stripped.rawParameters = base.rawParameters
        #expect(stripped == base)
    }
}
