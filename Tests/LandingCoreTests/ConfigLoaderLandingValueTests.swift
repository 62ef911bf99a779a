import Testing

@testable import LandingCore

/// Values of the landing-flow options: `--store`, `--retention`, `--session-ttl`, `--api-key`,
/// `--allowed-return-url`, `--return-url`, `--opener-origin`, `--android-package`, `--templates`,
/// `--callback-path`.
@Suite struct ConfigLoaderLandingValueTests {
    // MARK: --store

    /// `sqlite:PATH` keeps the path as written; `memory:` is the in-memory store.
    @Test(arguments: [
        ("sqlite:data/landing.db", StoreLocation.sqlite(path: "data/landing.db")),
        ("sqlite:/var/lib/landing/l.db", .sqlite(path: "/var/lib/landing/l.db")),
        ("sqlite:a b.db", .sqlite(path: "a b.db")), ("memory:", .memory),
    ])
    func configLoader_ParsesStore_WhenSqliteOrMemory(text: String, expected: StoreLocation) throws {
        #expect(try serveConfig(["--store", text]).store == expected)
        #expect(expected.description == text)
    }

    /// Other stores, an empty sqlite path, and text after `memory:` are refused with the expected form.
    @Test(arguments: [
        ("", "empty; expected sqlite:PATH (e.g. sqlite:data/landing.db), memory:, or postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?PARAMS]"),
        ("sqlite:", "sqlite: needs a database file path, e.g. sqlite:data/landing.db"),
        ("memory", "expected sqlite:PATH (e.g. sqlite:data/landing.db), memory:, or postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?PARAMS]"),
        ("memory:x", "memory: takes nothing after the colon"),
        ("SQLITE:x.db", "expected sqlite:PATH (e.g. sqlite:data/landing.db), memory:, or postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?PARAMS]"),
        ("mysql://u@h/db", "expected sqlite:PATH (e.g. sqlite:data/landing.db), memory:, or postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?PARAMS]"),
        ("data/landing.db", "expected sqlite:PATH (e.g. sqlite:data/landing.db), memory:, or postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?PARAMS]"),
        ("sqlite:a\u{1}b", "a path must not contain control characters"),
    ])
    func configLoader_RejectsStore_WhenNotSqliteOrMemory(text: String, reason: String) {
        #expect(
            parseErrorMessage(["--store=" + text]) == "invalid value \(ConfigText.quoted(text)) for --store: \(reason)")
    }

    /// A PostgreSQL URI is parsed into a location whose description masks the password.
    @Test func configLoader_ParsesPostgresStore_AndMasksPassword() throws {
        let config = try serveConfig(["--store", "postgres://app:s3cret-pw@db.internal:5433/landing?sslmode=require"])
        guard case .postgres(let location) = config.store else { Issue.record("not a postgres store"); return }
        #expect(location.host == "db.internal" && location.port == 5433 && location.database == "landing")
        #expect(config.store.description == "postgres://app:***@db.internal:5433/landing?sslmode=require")
        #expect(!config.effectiveDescription.contains("s3cret-pw"))
    }

    /// A bad PostgreSQL URI is refused with the reason and without repeating the value (it may hold a password).
    @Test func configLoader_RejectsBadPostgresStore_WithoutEchoingIt() {
        let message = parseErrorMessage(["--store=postgres://app:s3cret-pw@db/"])
        #expect(message.hasPrefix("invalid value for --store: not a valid PostgreSQL URI: "))
        #expect(!message.contains("s3cret-pw"))
    }

    /// The group-commit wait is seconds from 0 to 0.05, 2 ms by default, and reaches the config from flag or environment.
    @Test func configLoader_ParsesGroupCommitWait() throws {
        #expect(try serveConfig([]).groupCommitWait == 0.002)
        #expect(try serveConfig(["--group-commit-wait", "0"]).groupCommitWait == 0)
        #expect(try serveConfig(["--group-commit-wait", "0.05"]).groupCommitWait == 0.05)
        #expect(parseErrorMessage(["--group-commit-wait", "0.051"]).contains("--group-commit-wait: out of range"))
        #expect(parseErrorMessage(["--group-commit-wait", "-1"]).contains("--group-commit-wait"))
        #expect(parseErrorMessage(["--group-commit-wait", "1ms"]).contains("--group-commit-wait"))
        #expect(try serveConfig([], environment: ["OAUTH_LANDING_GROUP_COMMIT_WAIT": "0.004"]).groupCommitWait == 0.004)
    }

    /// The pool size and drain delay are bounded; the password file needs a postgres store without its own password.
    @Test func configLoader_ChecksStorePoolDrainDelayAndPasswordFile() throws {
        #expect(try serveConfig(["--store-pool", "5", "--drain-delay", "2.5"]).storePool == 5)
        #expect(try serveConfig([]).storePool == 2)
        #expect(parseErrorMessage(["--store-pool", "0"]).contains("--store-pool"))
        #expect(parseErrorMessage(["--store-pool", "65"]).contains("--store-pool"))
        #expect(parseErrorMessage(["--drain-delay", "601"]).contains("--drain-delay"))
        #expect(parseErrorMessage(["--store-password-file", "pw"]).contains("--store-password-file is for a postgres:// --store"))
        #expect(
            parseErrorMessage(["--store", "postgres://u:p@h/db", "--store-password-file", "pw"])
                .contains("--store has a password in its URI and --store-password-file gives another"))
        #expect(try serveConfig(["--store", "postgres://u@h/db", "--store-password-file", "pw"]).storePasswordFile == "pw")
    }

    // MARK: --retention, --session-ttl

    /// Retention and session lifetime accept their bounds, in plain seconds.
    @Test func configLoader_AcceptsDurations_AtTheirBounds() throws {
        #expect(try serveConfig(["--retention", "60"]).retention == 60)
        #expect(try serveConfig(["--retention", "315360000"]).retention == 315_360_000)
        #expect(try serveConfig(["--session-ttl", "60"]).sessionTTL == 60)
        #expect(try serveConfig(["--session-ttl", "86400"]).sessionTTL == 86_400)
        #expect(try serveConfig(["--session-ttl", "90.5"]).sessionTTL == 90.5)
    }

    /// Out-of-range retention is refused with the range.
    @Test(arguments: ["59", "59.999", "315360001", "0"])
    func configLoader_RejectsRetention_WhenOutOfRange(text: String) {
        #expect(
            parseErrorMessage(["--retention", text])
                == "invalid value '\(text)' for --retention: out of range; expected seconds as a decimal number like"
                + " 10 or 0.5, from 60 to 315360000")
    }

    /// Out-of-range session lifetimes are refused with the range.
    @Test(arguments: ["59", "86401", "0"])
    func configLoader_RejectsSessionTTL_WhenOutOfRange(text: String) {
        #expect(
            parseErrorMessage(["--session-ttl", text])
                == "invalid value '\(text)' for --session-ttl: out of range; expected seconds as a decimal number"
                + " like 10 or 0.5, from 60 to 86400")
    }

    /// Durations are plain seconds: units, exponents and signs are refused, as for the timeouts.
    @Test(arguments: ["7d", "1h", "30m", "1e6", "-60", "+60", " 60", ""])
    func configLoader_RejectsDurations_WhenNotPlainSeconds(text: String) {
        for flag in ["--retention", "--session-ttl"] {
            let message = parseErrorMessage([flag + "=" + text])
            #expect(message.contains("for \(flag): "))
            #expect(message.contains("expected seconds as a decimal number like 10 or 0.5"))
        }
    }

    // MARK: --api-key

    /// Keys of 16 and 256 visible ASCII characters, punctuation included, are accepted as written.
    @Test(arguments: [
        "0123456789abcdef", String(repeating: "Z", count: 256), ##"!"#$%&'()*+-./:;<=>?@[\]^_`{|}~"##,
        "sk_live_AbCdEf0123456789",
    ])
    func configLoader_AcceptsAPIKey_WhenVisibleASCIIOfRightLength(key: String) throws {
        #expect(try serveConfig(["--api-key", key]).apiKeys == [key])
    }

    // MARK: --allowed-return-url

    /// https, custom schemes and loopback http are accepted; scheme and host are lower-cased, the
    /// path kept as written.
    @Test(arguments: [
        ("https://app.example.com/done", "https://app.example.com/done"),
        ("HTTPS://App.Example.COM/Done/", "https://app.example.com/Done/"), ("myapp://done", "myapp://done"),
        ("MyApp://Done/Path", "myapp://done/Path"), ("com.example.app+x-1://cb", "com.example.app+x-1://cb"),
        ("http://localhost:3000/cb", "http://localhost:3000/cb"), ("http://127.0.0.1/cb", "http://127.0.0.1/cb"),
        ("https://[::1]:8443/x", "https://[::1]:8443/x"), ("https://app.example", "https://app.example"),
        ("https://app.example/a%41b;p=1", "https://app.example/a%41b;p=1"),
    ])
    func configLoader_NormalizesAllowedReturnURL_WhenAcceptable(text: String, expected: String) throws {
        #expect(try serveConfig(["--allowed-return-url", text]).allowedReturnURLs == [expected])
    }

    /// Dangerous schemes, plain http to other hosts, queries, fragments, relative URLs, bad hosts and
    /// ambiguous paths are refused (by `ReturnURLPolicy.validatePrefix`), naming the option and the reason.
    @Test(arguments: [
        ("javascript:alert(1)", "must be absolute"),
        ("JavaScript://x/alert(1)", "the scheme 'javascript' is not allowed"),
        ("data:text/html;x", "must be absolute"), ("data://x", "the scheme 'data' is not allowed"),
        ("file:///etc/passwd", "has no host"), ("file://host/x", "the scheme 'file' is not allowed"),
        ("intent://x#Intent;end", "the scheme 'intent' is not allowed"), ("vbscript:msgbox", "must be absolute"),
        ("vbscript://x", "the scheme 'vbscript' is not allowed"),
        ("http://app.example.com/done", "http is allowed only for localhost and 127.0.0.1; use https"),
        ("http://127.0.0.2/done", "http is allowed only for localhost and 127.0.0.1"),
        ("https://app.example/done?x=1", "must not have a query"), ("https://app.example/?", "must not have a query"),
        ("https://app.example/#top", "must not have a fragment"), ("/done", "must be absolute"),
        ("app.example.com/done", "must be absolute"), ("1app://x", "must be absolute"),
        ("myapp:done", "must be absolute"), ("myapp:///done", "has no host"), ("https://", "has no host"),
        ("https://bad_host/x", "not a valid host name"), ("https://app.123/x", "not a valid host name"),
        ("https://app.example:0/x", "not a number from 1 to 65535"), ("https://app.example/a b", "does not allow"),
        ("https://app.example/a//b", "'//'"), ("https://app.example/a/../b", "'..' segments"),
        ("https://app.example/./b", "'..' segments"), ("https://app.example/%2e%2e/b", "an encoded '.'"),
        ("https://app.example/a%2Fb", "an encoded '.'"), ("https://app.example/<x>", "does not allow"),
        ("https://app.example/%zz", "not followed by two hex digits"), ("", "empty"),
        ("https://app.example/" + String(repeating: "a", count: 2048), "longer than 2048 bytes"),
    ])
    func configLoader_RejectsAllowedReturnURL_WhenUnsafe(text: String, reason: String) {
        let message = parseErrorMessage(["--allowed-return-url=" + text])
        #expect(message.contains("for --allowed-return-url: "), "\(message)")
        #expect(message.contains(reason), "\(message)")
    }

    /// User info is refused and the URL, which may hold a password, is not repeated.
    @Test func configLoader_HidesURL_WhenReturnLinkHasUserInfo() {
        for flag in ["--allowed-return-url", "--return-url", "--opener-origin"] {
            let message = parseErrorMessage([flag, "https://user:hunter2@app.example"])
            #expect(message.hasPrefix("invalid value for \(flag): user info ('user:password@') is not allowed"))
            #expect(!message.contains("hunter2"))
        }
    }

    // MARK: --return-url

    /// The default return link may have a query, and follows the prefix rules otherwise.
    @Test func configLoader_AcceptsReturnURL_WithQuery() throws {
        #expect(
            try serveConfig(["--return-url", "MyApp://Done?status=ok&x=%41"]).returnURL
                == "myapp://done?status=ok&x=%41")
        #expect(
            try serveConfig(["--return-url", "https://app.example/done?"]).returnURL == "https://app.example/done?")
        #expect(
            try serveConfig(["--return-url", "https://app.example/d?a=/?b"]).returnURL == "https://app.example/d?a=/?b")
    }

    /// The default return link's refusals speak of a return URL (not a prefix), and name the option.
    @Test(arguments: [
        ("https://app.example/#x", "must not have a fragment"),
        ("https://app.example/?a#x", "must not have a fragment"),
        ("javascript://x", "the scheme 'javascript' is not allowed for a return URL"),
        ("http://app.example", "http is allowed only for localhost and 127.0.0.1"),
        ("https://app.example/?a=<b>", "has a character RFC 3986 does not allow"),
        ("/relative", "the return URL must be absolute"),
        ("https://app.example/?a b", "has a character RFC 3986 does not allow"),
        ("https://app.example/?a=%20", "has a character RFC 3986 does not allow"),
        ("https://app.example/?a=%zz", "not followed by two hex digits"),
        ("https://app.example/a/../b?x", "'..' segments"),
        ("https://app.example/?" + String(repeating: "a", count: 2048), "longer than 2048 bytes"),
    ])
    func configLoader_RejectsReturnURL_WhenUnsafe(text: String, reason: String) {
        let message = parseErrorMessage(["--return-url", text])
        #expect(message.contains("for --return-url: "), "\(message)")
        #expect(message.contains(reason), "\(message)")
        #expect(!message.contains("prefix"), "\(message)")
    }

    /// With prefixes configured, the default return link must be allowed by one of them, as a
    /// session's returnUrl would be (`ReturnURLPolicy.allows`).
    @Test(arguments: [
        ("https://app.example/done", "https://app.example/done"),
        ("https://app.example/done", "https://app.example/done/ok?x=1"),
        ("https://app.example", "https://app.example/anything"), ("https://app.example", "https://APP.example:443/x"),
        ("https://app.example:443/done", "https://app.example/done"), ("myapp://done", "myapp://done/?status=ok"),
        ("https://app.example/done/", "https://app.example/done/x"),
    ])
    func configLoader_AcceptsReturnURL_WhenUnderAnAllowedPrefix(prefix: String, url: String) throws {
        let config = try serveConfig([
            "--allowed-return-url", "otherapp://x", "--allowed-return-url", prefix, "--return-url", url,
        ])
        #expect(config.returnURL != nil)
    }

    /// A default return link outside every prefix (other scheme, host, port or path, a path that
    /// only shares letters with the prefix's, or an empty path) is a conflict.
    @Test(arguments: [
        ("https://app.example/done", "https://app.example/other"), ("https://app.example/done", "myapp://done"),
        ("https://app.example", "https://app.example.evil.com/x"),
        ("https://app.example", "https://app.example:8443/x"),
        ("myapp://done", "myapp://donex.example"), ("http://localhost:3000/cb", "http://localhost:3001/cb"),
        ("https://app.example/done", "https://app.example/doneevil"), ("myapp://done", "myapp://done?status=ok"),
    ])
    func configLoader_RejectsReturnURL_WhenNotUnderAnyPrefix(prefix: String, url: String) {
        let message = parseErrorMessage(["--allowed-return-url", prefix, "--return-url", url])
        #expect(message.hasPrefix("--return-url '\(url)' is not allowed by any --allowed-return-url ('\(prefix)')"))
    }

    /// Without prefixes any valid default return link is accepted; the check also runs in `validate()`.
    @Test func serverConfigValidate_ChecksReturnURLAgainstPrefixes() throws {
        var config = ServerConfig()
        config.returnURL = "myapp://done/"
        try config.validate()
        config.allowedReturnURLs = ["https://app.example/done"]
        #expect(throws: ConfigError.self) { try config.validate() }
        config.allowedReturnURLs.append("myapp://done")
        try config.validate()
    }

    /// The prefix layers and the return link layer combine: the check sees the effective values.
    @Test func configLoader_ChecksReturnURL_AgainstEffectivePrefixes() {
        let message = parseErrorMessage(
            ["--config", "c.json", "--allowed-return-url", "myapp://other"],
            files: ["c.json": #"{"allowed-return-url": "myapp://done", "return-url": "myapp://done/x"}"#])
        #expect(
            message == "--return-url 'myapp://done/x' is not allowed by any --allowed-return-url ('myapp://other'):"
                + " it needs a prefix's scheme, host and port, and a path under the prefix's path (a URL with an"
                + " empty path, like myapp://done?x, never is); add a prefix that covers it, or change it")
    }

    // MARK: --opener-origin

    /// Exact origins are accepted and serialized as browsers do: lower case, no default port, no `/`.
    @Test(arguments: [
        ("https://app.example.com", "https://app.example.com"), ("https://app.example.com/", "https://app.example.com"),
        ("HTTPS://APP.Example.com:8443", "https://app.example.com:8443"),
        ("https://app.example:443", "https://app.example"),
        ("http://localhost:3000", "http://localhost:3000"), ("http://127.0.0.1:80/", "http://127.0.0.1"),
        ("https://[::1]:8443", "https://[::1]:8443"), ("https://192.0.2.1", "https://192.0.2.1"),
    ])
    func configLoader_NormalizesOpenerOrigin_WhenExact(text: String, expected: String) throws {
        #expect(try serveConfig(["--opener-origin", text]).openerOrigins == [expected])
    }

    /// Wildcards, paths, queries, fragments, other schemes and remote plain http are refused.
    @Test(arguments: [
        ("*", "a wildcard ('*') is not allowed"), ("https://*.example.com", "a wildcard ('*') is not allowed"),
        ("https://app.example.com/path", "an origin has no path"),
        ("https://app.example.com//", "an origin has no path"),
        ("https://app.example.com?x=1", "an origin has no query or fragment"),
        ("https://app.example.com#x", "an origin has no query or fragment"),
        ("http://app.example.com", "http is only allowed for localhost and 127.0.0.1"),
        ("myapp://done", "scheme 'myapp' is not allowed"), ("ftp://app.example.com", "scheme 'ftp' is not allowed"),
        ("app.example.com", "not an origin"), ("null", "not an origin"), ("https://", "missing host"),
        ("https://app.example.com:99999", "out of range 1–65535"), ("https://bad_host", "neither a host name"),
        ("https://app example", "contains a space"), ("", "empty"),
    ])
    func configLoader_RejectsOpenerOrigin_WhenNotExactOrigin(text: String, reason: String) {
        let message = parseErrorMessage(["--opener-origin=" + text])
        #expect(message.contains("for --opener-origin: "), "\(message)")
        #expect(message.contains(reason), "\(message)")
    }

    // MARK: --android-package

    /// Java package names of two or more parts are accepted.
    @Test(arguments: ["com.example.app", "a.b", "Com.Example_1.App2", "org.example.my_app.debug"])
    func configLoader_AcceptsAndroidPackage_WhenJavaPackageName(text: String) throws {
        #expect(try serveConfig(["--android-package", text]).androidPackage == text)
    }

    /// Anything else is refused with the expected form.
    @Test(arguments: [
        "", "com", ".com.example", "com..example", "com.example.", "1com.example", "com.1example", "com.exa-mple",
        "com.example.app ", "_com.example", "com._example", "com.exämple", "com.example/app",
    ])
    func configLoader_RejectsAndroidPackage_WhenNotJavaPackageName(text: String) {
        let message = parseErrorMessage(["--android-package=" + text])
        #expect(message.hasPrefix("invalid value \(ConfigText.quoted(text)) for --android-package: "), "\(message)")
        #expect(message.contains("expected a package name like com.example.app"), "\(message)")
    }

    // MARK: --templates

    /// The templates directory is a path: any non-empty text without control characters.
    @Test func configLoader_ParsesTemplatesDirectory_AsPath() throws {
        #expect(
            try serveConfig(["--templates", "/srv/landing/templates"]).templatesDirectory == "/srv/landing/templates")
        #expect(parseErrorMessage(["--templates="]) == "invalid value '' for --templates: empty; expected a file path")
        #expect(parseErrorMessage(["--templates", "a\nb"]).contains("must not contain control characters"))
    }

    // MARK: --callback-path

    /// Paths of unreserved characters are accepted; a first segment merely starting like a reserved one is fine.
    @Test(arguments: ["/oauth/callback", "/cb", "/a.b/c_d/e~f-g", "/v1x", "/v2/callback", "/qa2", "/oauth/v1"])
    func configLoader_AcceptsCallbackPath_WhenWellFormed(text: String) throws {
        #expect(try serveConfig(["--callback-path", text]).callbackPath == text)
    }

    /// Malformed paths, and the server's own endpoints and the paths under them, are refused.
    @Test(arguments: [
        ("", "empty"), ("oauth/callback", "must start with '/'"), ("/", "the root path is the landing page"),
        ("/oauth/", "must not end with '/'"), ("/a//b", "must not contain '//'"),
        ("/a b", "may only hold letters"), ("/a%20b", "may only hold letters"), ("/a?x", "may only hold letters"),
        ("/caf\u{E9}", "may only hold letters"), ("/./a", "'.' and '..' segments"), ("/a/..", "'.' and '..' segments"),
        ("/v1", "/v1 is used by the server itself"), ("/v1/callback", "/v1 is used by the server itself"),
        ("/V1/callback", "/v1 is used by the server itself"), ("/healthz", "/healthz is used"),
        ("/readyz", "/readyz is used"), ("/metrics", "/metrics is used"), ("/qa", "/qa is used"),
        ("/qa/callback", "/qa is used"),
    ])
    func configLoader_RejectsCallbackPath_WhenMalformedOrReserved(text: String, reason: String) {
        let message = parseErrorMessage(["--callback-path=" + text])
        #expect(message.hasPrefix("invalid value \(ConfigText.quoted(text)) for --callback-path: "), "\(message)")
        #expect(message.contains(reason), "\(message)")
    }

    // MARK: Sources

    /// Each new single-valued option is read from its environment variable and its JSON key, and a
    /// flag still beats both.
    @Test func configLoader_AppliesPrecedence_ToLandingOptions() throws {
        let files = ["c.json": #"{"store": "memory:", "session-ttl": 120, "callback-path": "/file"}"#]
        let environment = ["OAUTH_LANDING_SESSION_TTL": "240", "OAUTH_LANDING_CALLBACK_PATH": "/env"]
        let config = try serveConfig(
            ["--config", "c.json", "--callback-path", "/flag"], environment: environment, files: files)
        #expect(config.store == .memory)
        #expect(config.sessionTTL == 240)
        #expect(config.callbackPath == "/flag")
    }

    /// A JSON type that does not fit a new option is named.
    @Test func configLoader_NamesTypes_WhenLandingOptionHasWrongJSONType() {
        func message(_ json: String) -> String { parseErrorMessage(["--config", "c.json"], files: ["c.json": json]) }
        #expect(message(#"{"retention": "7d"}"#).hasSuffix("must be a number, found a string"))
        #expect(message(#"{"store": ["memory:"]}"#).hasSuffix("must be a string, found an array"))
        #expect(
            message(#"{"api-key": 1234567890123456}"#).hasSuffix(
                "must be a string or an array of strings, found a number"))
    }

    /// Bad values from the environment name the variable.
    @Test func configLoader_NamesVariable_WhenLandingValueIsBad() {
        #expect(
            parseErrorMessage([], environment: ["OAUTH_LANDING_STORE": "redis:"])
                == "invalid value 'redis:' for environment variable OAUTH_LANDING_STORE: expected sqlite:PATH (e.g. sqlite:data/landing.db), memory:, or postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?PARAMS]")
        #expect(
            parseErrorMessage([], environment: ["OAUTH_LANDING_ANDROID_PACKAGE": "app"]).hasPrefix(
                "invalid value 'app' for environment variable OAUTH_LANDING_ANDROID_PACKAGE: "))
    }
}
