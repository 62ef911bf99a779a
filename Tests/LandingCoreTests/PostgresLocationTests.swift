import LandingCore
import Testing

/// Parses `text`, failing the test with the error when it is rejected.
private func location(_ text: String) throws -> PostgresLocation {
    try PostgresLocation(parsing: text)
}

/// The message a rejected `text` gets (nil when it is accepted).
private func rejection(_ text: String) -> String? {
    do {
        _ = try PostgresLocation(parsing: text)
        return nil
    } catch {
        return error.message
    }
}

/// The libpq keyword/value pairs as a dictionary.
private func keywords(_ location: PostgresLocation) -> [String: String] {
    Dictionary(location.connectionParameters.map { ($0.keyword, $0.value) }, uniquingKeysWith: { _, last in last })
}

@Suite struct PostgresLocationTests {
    /// The full shape parses into its parts, and libpq gets them as keyword/value pairs.
    @Test func parsing_FullURI_GivesEveryPart() throws {
        let parsed = try location("postgres://landing:s3cret@db.example.com:6543/landing?sslmode=require")
        #expect(parsed.scheme == "postgres")
        #expect(parsed.user == "landing")
        #expect(parsed.hasPassword)
        #expect(parsed.host == "db.example.com")
        #expect(parsed.port == 6543)
        #expect(parsed.database == "landing")
        #expect(parsed.parameters == [.init("sslmode", "require")])
        #expect(
            keywords(parsed) == [
                "host": "db.example.com", "port": "6543", "dbname": "landing", "user": "landing", "password": "s3cret",
                "sslmode": "require",
            ])
    }

    /// `postgresql://` is accepted, and a missing port means libpq's default 5432.
    @Test func parsing_PostgresqlSchemeWithoutPort_UsesDefaultPort() throws {
        let parsed = try location("postgresql://app@localhost/app_db")
        #expect(parsed.scheme == "postgresql")
        #expect(parsed.port == nil)
        #expect(parsed.effectivePort == 5432)
        #expect(!parsed.hasPassword)
        #expect(keywords(parsed)["port"] == nil)
        #expect(keywords(parsed)["password"] == nil)
    }

    /// Percent-encoded user, password and database decode to the text libpq must receive.
    @Test func parsing_PercentEncodedParts_AreDecoded() throws {
        let parsed = try location("postgres://us%40er:p%40ss%3Aw%2Fo%25rd%20x@host/my%20db")
        #expect(parsed.user == "us@er")
        #expect(keywords(parsed)["password"] == "p@ss:w/o%rd x")
        #expect(parsed.database == "my db")
    }

    /// UTF-8 in percent-encoded form decodes to the right characters.
    @Test func parsing_PercentEncodedUTF8_Decodes() throws {
        let parsed = try location("postgres://u@h/caf%C3%A9")
        #expect(parsed.database == "café")
    }

    /// An IPv6 address in brackets, with or without a port, loses its brackets in `host`.
    @Test func parsing_IPv6Host_StripsBrackets() throws {
        let withPort = try location("postgres://u:p@[::1]:5433/db")
        #expect(withPort.host == "::1")
        #expect(withPort.port == 5433)
        let withoutPort = try location("postgres://u@[2001:db8::10]/db")
        #expect(withoutPort.host == "2001:db8::10")
        #expect(withoutPort.port == nil)
        #expect(withPort.redacted == "postgres://u:***@[::1]:5433/db")
    }

    /// A unix-socket directory written percent-encoded is a host starting with `/`.
    @Test func parsing_EncodedSocketDirectory_IsHost() throws {
        let parsed = try location("postgres://u@%2Fvar%2Frun%2Fpostgresql/db")
        #expect(parsed.host == "/var/run/postgresql")
    }

    /// The query's libpq parameters are kept in order, decoded, and passed on to libpq.
    @Test func parsing_Parameters_AreKeptInOrder() throws {
        let parsed = try location(
            "postgres://u@h/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&connect_timeout=5&application_name=landing%20a"
        )
        #expect(
            parsed.parameters == [
                .init("sslmode", "verify-full"), .init("sslrootcert", "/etc/ca.pem"), .init("connect_timeout", "5"),
                .init("application_name", "landing a"),
            ])
        #expect(parsed.parameter("sslrootcert") == "/etc/ca.pem")
        #expect(keywords(parsed)["application_name"] == "landing a")
    }

    /// Bad shapes are refused, each with a message naming what is wrong.
    @Test(arguments: [
        ("mysql://u@h/db", "postgres://"),
        ("postgres://h/db", "user is missing"),
        ("postgres://@h/db", "user is missing"),
        ("postgres://u@h", "database name is missing"),
        ("postgres://u@h/", "database name is missing"),
        ("postgres://u@/db", "host is missing"),
        ("postgres://u@h:0/db", "port '0'"),
        ("postgres://u@h:70000/db", "port '70000'"),
        ("postgres://u@h:54x/db", "port '54x'"),
        ("postgres://u@h:/db", "port ''"),
        ("postgres://u@h1,h2/db", "several hosts"),
        ("postgres://u@[::1/db", "closing ']'"),
        ("postgres://u@[::1]x/db", "after the IPv6 address"),
        ("postgres://u@h/db?sslmode=sometimes", "sslmode 'sometimes'"),
        ("postgres://u@h/db?connect_timeout=soon", "connect_timeout 'soon'"),
        ("postgres://u@h/db?sslmod=require", "unknown connection parameter 'sslmod'"),
        ("postgres://u@h/db?sslmode=require&sslmode=disable", "given twice"),
        ("postgres://u@h/db?sslmode", "has no '='"),
        ("postgres://u@h/db?password=x", "not as ?password="),
        ("postgres://u@h/db?host=other", "not as a ?host= parameter"),
        ("postgres://u@h/d%zzb", "database name has an invalid percent-encoding"),
        ("postgres://u@h/d%00b", "database name has an invalid percent-encoding"),
        ("postgres://u@h/d b", "white space"),
        ("postgres://u@h/db#frag", "'#'"),
    ])
    func parsing_BadShape_IsRejectedWithMessage(text: String, expected: String) {
        let message = rejection(text)
        #expect(message?.contains(expected) == true, "\(text) → \(message ?? "accepted")")
    }

    /// A raw '@' in the password is refused with the fix, and the message does not echo it.
    @Test func parsing_RawAtInPassword_IsRejectedWithoutEchoingIt() {
        let message = rejection("postgres://u:pa@ss@h/db")
        #expect(message?.contains("%40") == true)
        #expect(message?.contains("pa@ss") == false)
    }

    /// A badly encoded password is refused without the password in the message.
    @Test func parsing_BadPasswordEncoding_DoesNotEchoPassword() {
        let message = rejection("postgres://u:hunter%zz2@h/db")
        #expect(message == "the password has an invalid percent-encoding")
    }

    /// `redacted` masks the password as *** and keeps every other part.
    @Test func redacted_WithPassword_MasksIt() throws {
        let parsed = try location("postgres://user:hunter2@host:5432/db?sslmode=require")
        #expect(parsed.redacted == "postgres://user:***@host:5432/db?sslmode=require")
        #expect(parsed.description == parsed.redacted)
    }

    /// Without a password `redacted` shows no mask, and the default port is spelled out.
    @Test func redacted_WithoutPassword_ShowsDefaultPort() throws {
        #expect(try location("postgresql://user@host/db").redacted == "postgresql://user@host:5432/db")
    }

    /// No rendering of a location — description, debug description, dump, interpolation, redacted,
    /// target — contains the password, however it is encoded; `sslpassword` is masked too.
    @Test(arguments: ["hunter2", "p%40ss%2Fword", "%C3%A9t%C3%A9-secret"])
    func redacted_AnyRendering_NeverContainsPassword(encodedPassword: String) throws {
        let parsed = try location("postgres://user:\(encodedPassword)@host/db?sslpassword=keypass&sslmode=require")
        let decoded = keywords(parsed)["password"]!
        var dumped = ""
        dump(parsed, to: &dumped)
        let renderings = [
            parsed.redacted, parsed.description, parsed.debugDescription, "\(parsed)", String(reflecting: parsed),
            dumped, parsed.target,
        ]
        for text in renderings {
            #expect(!text.contains(decoded), "\(text)")
            #expect(!text.contains(encodedPassword), "\(text)")
            #expect(!text.contains("keypass"), "\(text)")
        }
        #expect(parsed.redacted.contains("sslpassword=***"))
    }

    /// A password from a file's first line is used for libpq, and never shown.
    @Test func withPassword_FromFileContents_IsUsedAndHidden() throws {
        let parsed = try location("postgres://user@host/db").withPassword(fileContents: "from-file\nsecond line\n")
        #expect(parsed.hasPassword)
        #expect(keywords(parsed)["password"] == "from-file")
        #expect(parsed.redacted == "postgres://user:***@host:5432/db")
        #expect(!parsed.redacted.contains("from-file"))
        let crlf = try location("postgres://user@host/db").withPassword(fileContents: "pw\r\n")
        #expect(keywords(crlf)["password"] == "pw")
    }

    /// A password file is refused when the URI has a password already, or when it is empty.
    @Test func withPassword_ConflictOrEmpty_IsRejected() throws {
        #expect(throws: PostgresLocationError.self) {
            try location("postgres://user:inline@host/db").withPassword(fileContents: "file")
        }
        #expect(throws: PostgresLocationError.self) {
            try location("postgres://user@host/db").withPassword(fileContents: "\n")
        }
    }

    /// `target` names user, host, port and database for messages.
    @Test func target_NamesServerWithoutSecret() throws {
        #expect(try location("postgres://u:pw@h:7000/d").target == "u@h:7000/d")
        #expect(try location("postgres://u@[::1]/d").target == "u@[::1]:5432/d")
    }

    /// A redacted location parses back to the same parts (except the password).
    @Test func redacted_ParsesBack() throws {
        let parsed = try location("postgres://us%40er@h%C3%A9st:5433/my%20db?application_name=a%26b")
        let again = try location(parsed.redacted)
        #expect(again.user == parsed.user)
        #expect(again.host == parsed.host)
        #expect(again.database == parsed.database)
        #expect(again.parameters == parsed.parameters)
    }
}
