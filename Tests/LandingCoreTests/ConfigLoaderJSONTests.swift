import Foundation
import Testing

@testable import LandingCore

@Suite struct ConfigLoaderJSONTests {
    /// Every setting can come from the file, with the JSON types the brief's example uses.
    @Test func configLoader_ReadsEverySetting_WhenGivenInFile() throws {
        let file = """
            {
              "listen": "127.0.0.1:9443", "tls-cert": "x.pem", "tls-key": "k.pem",
              "http-listen": "127.0.0.1:8080", "public-url": "HTTPS://Landing.Example.com/oauth/",
              "log-level": "error", "shutdown-grace": 0, "max-request-line": 1000,
              "max-header-bytes": 2000, "max-header-count": 30, "max-body-bytes": 4000,
              "header-timeout": 5, "body-timeout": 0.3, "idle-timeout": 120, "threads": 16,
              "dev": true, "access-log": "off", "store": "memory:", "retention": 120,
              "api-key": ["file-key-0123456789", "file-key-abcdefghij"], "session-ttl": 900,
              "allowed-return-url": "https://app.example/done", "return-url": "https://app.example/done?from=file",
              "opener-origin": ["https://app.example:443/"], "android-package": "org.example.app_1",
              "templates": "file-templates", "callback-path": "/oauth/return"
            }
            """
        let config = try serveConfig(["--config", "c.json"], files: ["c.json": file])
        #expect(config.listen == .init(host: "127.0.0.1", port: 9443))
        #expect(config.tlsCertificatePath == "x.pem")
        #expect(config.tlsKeyPath == "k.pem")
        #expect(config.httpListen == .init(host: "127.0.0.1", port: 8080))
        #expect(config.publicURL == "https://landing.example.com/oauth")
        #expect(config.logLevel == .error)
        #expect(config.shutdownGrace == 0)
        #expect(
            config.limits
                == HTTPParserLimits(
                    maxRequestLineBytes: 1000, maxHeaderBytes: 2000, maxHeaderCount: 30, maxBodyBytes: 4000))
        #expect(config.headerTimeout == 5)
        #expect(config.bodyTimeout == 0.3)
        #expect(config.idleTimeout == 120)
        #expect(config.threads == 16)
        #expect(config.dev)
        #expect(!config.accessLog)
        #expect(config.store == .memory)
        #expect(config.retention == 120)
        #expect(config.apiKeys == ["file-key-0123456789", "file-key-abcdefghij"])
        #expect(config.sessionTTL == 900)
        #expect(config.allowedReturnURLs == ["https://app.example/done"])
        #expect(config.returnURL == "https://app.example/done?from=file")
        #expect(config.openerOrigins == ["https://app.example"])
        #expect(config.androidPackage == "org.example.app_1")
        #expect(config.templatesDirectory == "file-templates")
        #expect(config.callbackPath == "/oauth/return")
    }

    /// Booleans in a file may also be the environment's words; access-log may be a JSON boolean.
    @Test func configLoader_AcceptsBooleanAlternatives_WhenGivenInFile() throws {
        let config = try serveConfig(
            ["--config", "c.json"], files: ["c.json": #"{"dev": "1", "access-log": false}"#])
        #expect(config.dev)
        #expect(!config.accessLog)
    }

    /// An empty object changes nothing.
    @Test func configLoader_KeepsDefaults_WhenFileIsEmptyObject() throws {
        #expect(try serveConfig(["--config", "c.json"], files: ["c.json": " {}\n"]) == ServerConfig())
    }

    /// Keys starting with `#` are comments: a note, or a setting commented out, changes nothing.
    @Test func configLoader_IgnoresHashKeys_AsComments() throws {
        let file = ##"{"#": "installed by the package", "#listen": "0.0.0.0:443", "#": "twice is fine", "threads": 3}"##
        let config = try serveConfig(["--config", "c.json"], files: ["c.json": file])
        #expect(config.listen == ServerConfig().listen)
        #expect(config.threads == 3)
    }

    /// An unknown key is named, with a suggestion when it looks like a typo.
    @Test func configLoader_NamesKey_WhenFileHasUnknownKey() {
        let message = parseErrorMessage(["--config", "c.json"], files: ["c.json": #"{"lisen": "x"}"#])
        #expect(message == #"unknown key "lisen" in config file 'c.json'; did you mean "listen"?"#)
        let other = parseErrorMessage(["--config", "c.json"], files: ["c.json": #"{"colour": "blue"}"#])
        #expect(other == #"unknown key "colour" in config file 'c.json'"#)
    }

    /// Keys are option names without dashes: `--listen` as a key is unknown.
    @Test func configLoader_RejectsDashedKey_WhenFileUsesFlagSpelling() {
        let message = parseErrorMessage(["--config", "c.json"], files: ["c.json": #"{"--listen": "x:1"}"#])
        #expect(message.contains(#"unknown key "--listen""#))
    }

    /// A file cannot name another file.
    @Test func configLoader_RejectsConfigKey_WhenFileNamesAnotherFile() {
        let message = parseErrorMessage(["--config", "c.json"], files: ["c.json": #"{"config": "d.json"}"#])
        #expect(message.contains(#"key "config" is not allowed in config file 'c.json'"#))
    }

    /// A JSON type that does not fit the setting is named along with the expected type.
    @Test func configLoader_NamesTypes_WhenFileValueHasWrongType() {
        func message(_ json: String) -> String {
            parseErrorMessage(["--config", "c.json"], files: ["c.json": json])
        }
        #expect(
            message(#"{"header-timeout": "5"}"#)
                == #"key "header-timeout" of config file 'c.json' must be a number, found a string"#)
        #expect(
            message(#"{"listen": 8443}"#)
                == #"key "listen" of config file 'c.json' must be a string, found a number"#)
        #expect(message(#"{"dev": 1}"#).contains(#"must be a boolean (or "1", "true", "0", "false"), found a number"#))
        #expect(message(#"{"threads": null}"#).contains("must be a whole number, found null"))
        #expect(message(#"{"tls-cert": ["a"]}"#).contains("must be a string, found an array"))
    }

    /// A number of the right JSON type but the wrong form (fraction for an integer, exponent,
    /// negative) is refused by the same rules as the flag, naming the key.
    @Test func configLoader_RejectsNumberForm_WhenFileNumberDoesNotFit() {
        func message(_ json: String) -> String {
            parseErrorMessage(["--config", "c.json"], files: ["c.json": json])
        }
        #expect(
            message(#"{"threads": 2.5}"#)
                == "invalid value '2.5' for key \"threads\" of config file 'c.json': expected a whole number of threads from 0 to 256"
        )
        #expect(message(#"{"header-timeout": 1e3}"#).contains("invalid value '1e3'"))
        #expect(message(#"{"shutdown-grace": -1}"#).contains("invalid value '-1'"))
    }

    /// A key given twice is refused rather than silently resolved.
    @Test func configLoader_RejectsFile_WhenKeyRepeats() {
        let message = parseErrorMessage(
            ["--config", "c.json"], files: ["c.json": #"{"threads": 1, "threads": 2}"#])
        #expect(message == #"key "threads" appears twice in config file 'c.json'"#)
    }

    /// Malformed JSON is reported with line and column.
    @Test func configLoader_ReportsLineAndColumn_WhenFileIsMalformed() {
        let message = parseErrorMessage(
            ["--config", "c.json"], files: ["c.json": "{\n  \"threads\": 1\n  \"dev\": true\n}"])
        #expect(
            message == "config file 'c.json' is not valid JSON: line 3, column 3: unexpected '\"', expected ',' or '}'")
        let trailingComma = parseErrorMessage(["--config", "c.json"], files: ["c.json": #"{"dev": true,}"#])
        #expect(trailingComma.contains("line 1, column 14: unexpected '}', expected a quoted key"))
        let empty = parseErrorMessage(["--config", "c.json"], files: ["c.json": ""])
        #expect(empty.contains("line 1, column 1: unexpected end of file, expected a value"))
    }

    /// A JSON text that is not an object is refused, naming what it is.
    @Test func configLoader_RejectsFile_WhenTopLevelIsNotObject() {
        let message = parseErrorMessage(["--config", "c.json"], files: ["c.json": #"["listen"]"#])
        #expect(message == "config file 'c.json' must hold a JSON object of settings, found an array")
    }

    /// An unreadable file is reported with its path, where the path came from, and the reason.
    @Test func configLoader_ReportsReadFailure_WhenFileIsMissing() {
        #expect(
            parseErrorMessage(["--config", "nope.json"])
                == "cannot read config file 'nope.json' (from --config): no such file: nope.json")
        #expect(
            parseErrorMessage([], environment: ["OAUTH_LANDING_CONFIG": "e.json"])
                == "cannot read config file 'e.json' (from environment variable OAUTH_LANDING_CONFIG): no such file: e.json"
        )
    }

    /// Foundation's file errors are reduced to the POSIX reason (`No such file or directory`).
    @Test func configLoader_ReportsPOSIXReason_WhenReadFileThrowsFoundationError() {
        let missing = CocoaError(.fileReadNoSuchFile, userInfo: [NSUnderlyingErrorKey: POSIXError(.ENOENT)])
        do {
            _ = try ConfigLoader.parse(arguments: ["--config", "c.json"], environment: [:]) { _ in throw missing }
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "cannot read config file 'c.json' (from --config): No such file or directory")
        }
        #expect(ConfigLoader.describe(POSIXError(.EISDIR)) == "Is a directory")
    }

    /// The JSON parser keeps numbers as written, decodes escapes and surrogate pairs, skips a BOM.
    @Test func jsonValue_ParsesScalarsAndEscapes_WhenWellFormed() throws {
        let text =
            "\u{FEFF}" + #"{"a": -1.50e+3, "b": "x\"\\\/\n\u00e9\ud83d\ude00", "c": [true, false, null], "d": {}}"#
        let value = try JSONValue.parse(Array(text.utf8))
        #expect(
            value
                == .object([
                    .init(key: "a", value: .number("-1.50e+3")),
                    .init(key: "b", value: .string("x\"\\/\né😀")),
                    .init(key: "c", value: .array([.bool(true), .bool(false), .null])),
                    .init(key: "d", value: .object([])),
                ]))
    }

    /// The JSON parser refuses what RFC 8259 does not allow.
    @Test(arguments: [
        "{'a': 1}", #"{"a": 01}"#, #"{"a": 1.}"#, #"{"a": .5}"#, #"{"a": +1}"#, #"{"a": "\x"}"#,
        #"{"a": "\ud800"}"#, "{\"a\": \"tab\there\"}", #"{"a": tru}"#, #"{"a": 1} x"#, #"{"a" 1}"#,
        #"{"a": NaN}"#, "[", String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
    ])
    func jsonValue_RejectsText_WhenNotRFC8259(text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    /// Invalid UTF-8 inside a string is refused.
    @Test func jsonValue_RejectsString_WhenNotUTF8() {
        let bytes: [UInt8] = Array(#"{"a": ""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(bytes) }
    }
}
