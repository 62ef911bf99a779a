import Testing

@testable import LandingCore

/// Repeatable options (`--api-key`, `--allowed-return-url`, `--opener-origin`): accumulation,
/// comma-separated environment lists, JSON strings and arrays, replacement across layers, secrecy.
@Suite struct ConfigLoaderListTests {
    static let keyA = "key-a-0123456789abcdef"
    static let keyB = "key-b-0123456789abcdef"
    static let keyC = "key-c-0123456789abcdef"
    static let keyD = "key-d-0123456789abcdef"

    /// A repeated list flag accumulates its values in command-line order, around other flags.
    @Test func commandLine_AccumulatesValues_WhenListFlagRepeated() throws {
        let config = try serveConfig([
            "--api-key", Self.keyB, "--threads", "2", "--api-key=\(Self.keyA)", "--opener-origin", "https://a.example",
            "--opener-origin", "https://b.example", "--api-key", Self.keyC,
        ])
        #expect(config.apiKeys == [Self.keyB, Self.keyA, Self.keyC])
        #expect(config.openerOrigins == ["https://a.example", "https://b.example"])
        #expect(config.threads == 2)
    }

    /// A single-valued flag given twice still keeps only the last value.
    @Test func commandLine_KeepsLastValue_WhenSingleValuedFlagRepeated() throws {
        let config = try serveConfig(["--return-url", "myapp://one", "--return-url", "myapp://two"])
        #expect(config.returnURL == "myapp://two")
    }

    /// The same item twice (also after normalization) is kept once, at its first place.
    @Test func commandLine_DropsRepeatedItems_AfterNormalization() throws {
        let config = try serveConfig([
            "--opener-origin", "https://a.example", "--opener-origin", "HTTPS://A.example:443/",
            "--opener-origin", "https://b.example", "--api-key", Self.keyA, "--api-key", Self.keyA,
        ])
        #expect(config.openerOrigins == ["https://a.example", "https://b.example"])
        #expect(config.apiKeys == [Self.keyA])
    }

    /// An environment variable of a list option is a comma-separated list, one item without a comma.
    @Test func configLoader_SplitsEnvironmentList_AtCommas() throws {
        let config = try serveConfig(
            [],
            environment: [
                "OAUTH_LANDING_API_KEY": "\(Self.keyA),\(Self.keyB)",
                "OAUTH_LANDING_ALLOWED_RETURN_URL": "myapp://done",
                "OAUTH_LANDING_OPENER_ORIGIN": "https://a.example,https://b.example/,http://localhost:3000",
            ])
        #expect(config.apiKeys == [Self.keyA, Self.keyB])
        #expect(config.allowedReturnURLs == ["myapp://done"])
        #expect(config.openerOrigins == ["https://a.example", "https://b.example", "http://localhost:3000"])
    }

    /// An empty item (a doubled, leading or trailing comma, or an empty variable) is refused, naming it.
    @Test(arguments: [
        ("https://a.example,,https://b.example", "item 2 of 3: empty"), (",https://a.example", "item 1 of 2: empty"),
        ("https://a.example,", "item 2 of 2: empty"), ("", "empty"),
    ])
    func configLoader_RejectsEnvironmentList_WhenItemIsEmpty(text: String, reason: String) {
        let message = parseErrorMessage([], environment: ["OAUTH_LANDING_OPENER_ORIGIN": text])
        #expect(message.contains("for environment variable OAUTH_LANDING_OPENER_ORIGIN: \(reason)"))
    }

    /// Spaces after the commas are not trimmed: the item is refused as written.
    @Test func configLoader_RejectsEnvironmentList_WhenItemsHaveSpaces() {
        let message = parseErrorMessage(
            [], environment: ["OAUTH_LANDING_OPENER_ORIGIN": "https://a.example, https://b.example"])
        #expect(
            message
                == "invalid value ' https://b.example' for environment variable OAUTH_LANDING_OPENER_ORIGIN: item 2 of 2:"
                + " contains a space, a control or a non-ASCII character (use the punycode host name)")
    }

    /// In the config file a list option takes one string or an array of strings (possibly empty).
    @Test func configLoader_ReadsListFromFile_AsStringOrArray() throws {
        let single = try serveConfig(
            ["--config", "c.json"], files: ["c.json": #"{"api-key": "\#(Self.keyA)", "opener-origin": []}"#])
        #expect(single.apiKeys == [Self.keyA])
        #expect(single.openerOrigins.isEmpty)
        let array = try serveConfig(
            ["--config", "c.json"],
            files: ["c.json": #"{"allowed-return-url": ["https://app.example/done", "myapp://done"]}"#])
        #expect(array.allowedReturnURLs == ["https://app.example/done", "myapp://done"])
    }

    /// Other JSON types, also inside the array, are named with the expected types.
    @Test(arguments: [
        (#"{"opener-origin": 1}"#, "found a number"),
        (
            #"{"opener-origin": ["https://a.example", 1]}"#,
            "found an array holding a number"
        ),
        (
            #"{"opener-origin": [["https://a.example"]]}"#,
            "found an array holding an array"
        ), (#"{"opener-origin": null}"#, "found null"),
        (#"{"opener-origin": {"a": "https://a.example"}}"#, "found an object"),
    ])
    func configLoader_NamesTypes_WhenFileListHasWrongType(json: String, found: String) {
        let message = parseErrorMessage(["--config", "c.json"], files: ["c.json": json])
        #expect(
            message == #"key "opener-origin" of config file 'c.json' must be a string or an array of strings, "#
                + found)
    }

    /// A comma inside a JSON string is one item, and refused: commas only separate items in the environment.
    @Test func configLoader_RejectsFileString_WhenItHoldsAComma() {
        let message = parseErrorMessage(
            ["--config", "c.json"], files: ["c.json": #"{"opener-origin": "https://a.example,https://b.example"}"#])
        #expect(message.hasPrefix(#"invalid value 'https://a.example,https://b.example' for key "opener-origin""#))
        #expect(message.contains("an item cannot contain a comma"))
    }

    /// A bad item of a JSON array is named by its position.
    @Test func configLoader_NamesItem_WhenFileArrayItemIsBad() {
        let message = parseErrorMessage(
            ["--config", "c.json"], files: ["c.json": #"{"allowed-return-url": ["myapp://done", "javascript://x"]}"#])
        #expect(
            message.hasPrefix(
                #"invalid value 'javascript://x' for key "allowed-return-url" of config file 'c.json': item 2 of 2: "#))
    }

    /// Each layer that sets a list replaces the lower layers' list: flags given → only the flags' values.
    @Test func configLoader_ReplacesListPerLayer_WhenSeveralLayersSetIt() throws {
        let files = ["c.json": #"{"api-key": ["\#(Self.keyA)", "\#(Self.keyB)"]}"#]
        let environment = ["OAUTH_LANDING_API_KEY": Self.keyC]
        #expect(try serveConfig(["--config", "c.json"], files: files).apiKeys == [Self.keyA, Self.keyB])
        #expect(
            try serveConfig(["--config", "c.json"], environment: environment, files: files).apiKeys == [Self.keyC])
        #expect(
            try serveConfig(["--config", "c.json", "--api-key", Self.keyD], environment: environment, files: files)
                .apiKeys == [Self.keyD])
        #expect(
            try serveConfig(["--config", "c.json", "--api-key", Self.keyD, "--api-key", Self.keyA], files: files)
                .apiKeys == [Self.keyD, Self.keyA])
        #expect(try serveConfig([], environment: environment).apiKeys == [Self.keyC])
    }

    /// Replacement is per option: a layer that sets one list leaves the others' lists alone.
    @Test func configLoader_KeepsOtherLists_WhenALayerSetsOneList() throws {
        let files = ["c.json": #"{"opener-origin": "https://file.example", "allowed-return-url": "myapp://file"}"#]
        let config = try serveConfig(
            ["--config", "c.json", "--opener-origin", "https://flag.example"],
            environment: ["OAUTH_LANDING_ALLOWED_RETURN_URL": "myapp://env"], files: files)
        #expect(config.openerOrigins == ["https://flag.example"])
        #expect(config.allowedReturnURLs == ["myapp://env"])
    }

    /// A bad flag item is named by its value and position; a later good flag does not hide it.
    @Test func commandLine_NamesItem_WhenOneRepeatedFlagIsBad() {
        #expect(
            parseErrorMessage(["--opener-origin", "https://a.example", "--opener-origin", "http://b.example"])
                == "invalid value 'http://b.example' for --opener-origin: item 2 of 2: http is only allowed for"
                + " localhost and 127.0.0.1; use https")
        #expect(
            parseErrorMessage(["--opener-origin", "https://a.example,https://b.example"]).contains(
                "an item cannot contain a comma; give each value on its own (repeat the flag"))
    }

    /// An API key is never repeated in an error, whatever the source or the problem.
    @Test(arguments: [
        "short-key-12345", "has space-0123456789", "wxyz,key-0123456789ab", String(repeating: "k", count: 257),
        "tab\tkey-0123456789", "caf\u{E9}-key-0123456789",
    ])
    func configLoader_HidesAPIKey_WhenItIsInvalid(key: String) {
        let messages = [
            parseErrorMessage(["--api-key", key]),
            parseErrorMessage(["--api-key", Self.keyA, "--api-key=\(key)"]),
            parseErrorMessage([], environment: ["OAUTH_LANDING_API_KEY": key]),
            parseErrorMessage([], environment: ["OAUTH_LANDING_API_KEY": "\(Self.keyA),\(key)"]),
            parseErrorMessage(["--config", "c.json"], files: ["c.json": #"{"api-key": "\#(jsonEscaped(key))"}"#]),
            parseErrorMessage(
                ["--config", "c.json"], files: ["c.json": #"{"api-key": ["\#(jsonEscaped(key))"]}"#]),
        ]
        for message in messages {
            #expect(message.hasPrefix("invalid value for "), "\(message)")
            #expect(message.contains("api-key") || message.contains("API_KEY"), "\(message)")
            #expect(!message.contains(key), "\(message)")
            #expect(!message.contains(Self.keyA), "\(message)")
            for piece in key.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }) where piece.count >= 4 {
                #expect(!message.contains(piece), "\(message)")
            }
        }
    }

    /// The API-key messages say what is wrong without the key.
    @Test func configLoader_ExplainsAPIKeyProblem_WithoutTheKey() {
        #expect(
            parseErrorMessage(["--api-key", "short"])
                == "invalid value for --api-key: too short; expected 16 to 256 visible ASCII characters without"
                + " spaces or commas")
        #expect(
            parseErrorMessage(
                [], environment: ["OAUTH_LANDING_API_KEY": "\(Self.keyA),\(String(repeating: "x", count: 300))"])
                == "invalid value for environment variable OAUTH_LANDING_API_KEY: item 2 of 2: too long; expected 16"
                + " to 256 visible ASCII characters without spaces or commas")
        #expect(
            parseErrorMessage(["--api-key="])
                == "invalid value for --api-key: empty; expected 16 to 256 visible ASCII characters without spaces"
                + " or commas")
    }

    /// A bad API key set in code is reported by `validate()` without the key.
    @Test func serverConfigValidate_HidesAPIKey_WhenBuiltInCode() {
        var config = ServerConfig()
        config.apiKeys = [Self.keyA, "too-short"]
        do {
            try config.validate()
            Issue.record("expected an error")
        } catch {
            #expect(
                error.description == "invalid value for setting api-key: item 2 of 2: too short; expected 16 to"
                    + " 256 visible ASCII characters without spaces or commas")
        }
    }

    /// A bad list item set in code is caught by `validate()`, by setting name and value.
    @Test func serverConfigValidate_RejectsListItem_WhenBuiltInCode() {
        var config = ServerConfig()
        config.openerOrigins = ["https://a.example/path"]
        do {
            try config.validate()
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("invalid value 'https://a.example/path' for setting opener-origin: "))
        }
        config = ServerConfig()
        config.allowedReturnURLs = ["myapp://a,b"]
        #expect(throws: ConfigError.self) { try config.validate() }
    }

    /// check-config prints each API key as `****`, other lists as written, joined by `, `.
    @Test func effectiveDescription_MasksEachAPIKey_AndJoinsLists() throws {
        let config = try serveConfig([
            "--api-key", Self.keyA, "--api-key", Self.keyB, "--opener-origin", "https://a.example",
            "--opener-origin", "http://localhost:3000", "--allowed-return-url", "myapp://done",
        ])
        let text = config.effectiveDescription
        #expect(text.contains("api-key = ****, ****\n"))
        #expect(!text.contains(Self.keyA) && !text.contains(Self.keyB))
        #expect(text.contains("opener-origin = https://a.example, http://localhost:3000\n"))
        #expect(text.contains("allowed-return-url = myapp://done\n"))
        #expect(text.contains("return-url = (none)\n"))
    }

    /// A list item set in code cannot forge a line of the printout; one API key is one mask.
    @Test func effectiveDescription_EscapesListItems_AndMasksSingleKey() {
        var config = ServerConfig()
        config.allowedReturnURLs = ["myapp://x\napi-key = (none)"]
        config.apiKeys = [Self.keyA]
        let text = config.effectiveDescription
        #expect(text.contains(#"allowed-return-url = myapp://x\napi-key = (none)"#))
        #expect(text.contains("api-key = ****\n"))
        #expect(text.split(separator: "\n").count == ConfigOption.all.count - 1)
    }

    /// The usage marks repeatable options and explains accumulation, comma lists and replacement.
    @Test func usageText_ExplainsRepeatableOptions() {
        let flat = UsageText.text(for: nil).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for fact in [
            "--api-key KEY", "Repeatable. Default: none. Environment: OAUTH_LANDING_API_KEY (comma-separated).",
            "Environment: OAUTH_LANDING_ALLOWED_RETURN_URL (comma-separated).",
            "Environment: OAUTH_LANDING_OPENER_ORIGIN (comma-separated).", "--api-key K1 --api-key K2",
            "OAUTH_LANDING_API_KEY=K1,K2", "a string or an array of strings",
            "when the flag is given only the flags' values count", "Secret: printed as ****",
        ] {
            #expect(flat.contains(fact), "\(fact)")
        }
    }

    /// A JSON string literal's body for `text` (quotes, backslashes and controls escaped).
    private func jsonEscaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
