import Foundation
import Glibc
import Testing

/// `check-config` and `serve` agree: on every configuration of the table, check-config exits 0
/// exactly when serve starts, and otherwise with serve's exit status and serve's message.
@Suite(.serialized) struct EndToEndConfigAgreementTests {
    /// One configuration: the files it needs (written into a fresh directory, `DIR` in arguments
    /// and file contents replaced by its path), its arguments, its environment.
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var arguments: [String]
        var files: [String: String] = [:]
        var environment: [String: String] = [:]
        /// 0: serve starts. Otherwise both exit with it.
        var expectedStatus: Int32
        /// A piece of the message both must print (nil: none checked).
        var message: String?
        /// serve's message is its own (opening the store, binding): compare exit statuses only.
        var serveMessageDiffers = false
        var description: String { name }
    }

    static let key = "agreement-key-0123456789"

    /// Arguments every case starts from: a certificate in DIR, the repository's templates, a fresh
    /// SQLite file, a public URL and an API key; cases add to or override them.
    static func base(_ extra: [String], omitting: Set<String> = []) -> [String] {
        var pairs: [(String, String)] = [
            ("--listen", "127.0.0.1:0"), ("--tls-cert", "DIR/cert.pem"), ("--tls-key", "DIR/key.pem"),
            ("--templates", ServerProcess.repositoryRoot + "/templates"), ("--store", "sqlite:DIR/data/landing.db"),
            ("--public-url", "https://landing.example.com"), ("--api-key", key), ("--threads", "1"),
        ]
        pairs.removeAll { omitting.contains($0.0) || extra.contains($0.0) }
        return pairs.flatMap { [$0.0, $0.1] } + extra
    }

    static let cases: [Case] = [
        Case(name: "a complete configuration", arguments: base([]), expectedStatus: 0),
        Case(
            name: "no --public-url", arguments: base([], omitting: ["--public-url"]), expectedStatus: 2,
            message: "serve needs --public-url"),
        Case(
            name: "no API key", arguments: base([], omitting: ["--api-key"]), expectedStatus: 2,
            message: "serve needs at least one API key"),
        Case(
            name: "API keys file missing", arguments: base(["--api-keys-file", "DIR/none.txt"]), expectedStatus: 2,
            message: "cannot read the API keys file DIR/none.txt"),
        Case(
            name: "API keys file with a bad line", arguments: base(["--api-keys-file", "DIR/keys.txt"], omitting: ["--api-key"]),
            files: ["keys.txt": "# keys\nshort\n"], expectedStatus: 2, message: "DIR/keys.txt:2: invalid API key"),
        Case(
            name: "API keys from a file only", arguments: base(["--api-keys-file", "DIR/keys.txt"], omitting: ["--api-key"]),
            files: ["keys.txt": "# keys\n\(key)\n"], expectedStatus: 0),
        Case(
            name: "certificate missing", arguments: base(["--tls-cert", "DIR/none.pem"]), expectedStatus: 2,
            message: "cannot read DIR/none.pem"),
        Case(
            name: "certificate and key swapped", arguments: base(["--tls-cert", "DIR/key.pem", "--tls-key", "DIR/cert.pem"]),
            expectedStatus: 2, message: "DIR/key.pem holds a private key, not a certificate"),
        Case(
            name: "key of another certificate", arguments: base(["--tls-key", "DIR/other-key.pem"]), expectedStatus: 2,
            message: "the key DIR/other-key.pem does not match the certificate DIR/cert.pem"),
        Case(
            name: "certificate expired", arguments: base(["--tls-cert", "DIR/expired.pem", "--tls-key", "DIR/expired-key.pem"]),
            expectedStatus: 2, message: "the certificate DIR/expired.pem expired 2020-02-01T00:00:00Z"),
        Case(
            name: "certificate expiring in 3 days (a warning)",
            arguments: base(["--tls-cert", "DIR/soon.pem", "--tls-key", "DIR/soon-key.pem"]), expectedStatus: 0),
        Case(
            name: "templates directory missing", arguments: base(["--templates", "DIR/none"]), expectedStatus: 2,
            message: "DIR/none"),
        Case(
            name: "templates without landing.html", arguments: base(["--templates", "DIR/tpl"]),
            files: ["tpl/other.html": "<p>x</p>"], expectedStatus: 2, message: "no template landing.html"),
        Case(
            name: "a t.* key no catalog has", arguments: base(["--templates", "DIR/tpl"]),
            files: ["tpl/landing.html": "<p>{{t.nowhere}}</p>", "tpl/strings/en.json": "{\"title_completed\": \"Done\"}"],
            expectedStatus: 2, message: "strings/en.json lacks keys"),
        Case(
            name: "webhook secret file missing", arguments: base(["--webhook-secret-file", "DIR/none"]), expectedStatus: 2,
            message: "cannot read the webhook secret from DIR/none"),
        Case(
            name: "webhook secret file empty", arguments: base(["--webhook-secret-file", "DIR/secret"]),
            files: ["secret": "\n"], expectedStatus: 2, message: "DIR/secret: the first line should hold the webhook secret"),
        Case(
            name: "webhook secret file", arguments: base(["--webhook-secret-file", "DIR/secret"]),
            files: ["secret": "webhook-secret-0123456789\n"], expectedStatus: 0),
        Case(
            name: "both webhook secret options", arguments: base(["--webhook-secret-file", "DIR/secret", "--webhook-secret", "webhook-secret-0123456789"]),
            files: ["secret": "webhook-secret-0123456789\n"], expectedStatus: 2, message: "keep one (the file)"),
        Case(
            name: "Pluggy client id without a secret", arguments: base(["--pluggy-client-id", "client-0123"]), expectedStatus: 2,
            message: "--pluggy-client-id needs the secret too"),
        Case(
            name: "Pluggy secret and TLS pair from systemd credentials",
            arguments: base(["--pluggy-client-id", "client-0123"], omitting: ["--tls-cert", "--tls-key"]),
            files: ["creds/pluggy-client-secret": "pluggy-secret-0123456789\n", "creds/tls-cert": "@cert.pem", "creds/tls-key": "@key.pem"],
            environment: ["CREDENTIALS_DIRECTORY": "DIR/creds"], expectedStatus: 0),
        Case(
            name: "store password file missing",
            arguments: base(["--store", "postgres://landing@127.0.0.1:1/landing", "--store-password-file", "DIR/none"]),
            expectedStatus: 2, message: "cannot read the store password from DIR/none"),
        Case(
            name: "database unreachable", arguments: base(["--store", "postgres://landing:pw@127.0.0.1:1/landing?connect_timeout=2"]),
            expectedStatus: 1, serveMessageDiffers: true),
        Case(
            name: "SQLite file under a regular file", arguments: base(["--store", "sqlite:DIR/plain/landing.db"]),
            files: ["plain": "not a directory"], expectedStatus: 1, serveMessageDiffers: true),
        Case(
            name: "listen host that does not resolve", arguments: base(["--listen", "no-such-host.invalid:0"]), expectedStatus: 1,
            message: "cannot resolve no-such-host.invalid"),
        Case(
            name: "return URL outside the allowed prefixes",
            arguments: base(["--return-url", "https://app.example.com/x", "--allowed-return-url", "https://other.example.com/"]),
            expectedStatus: 2, message: "is not allowed by any --allowed-return-url"),
        Case(name: "--dev in an empty directory", arguments: ["--dev", "--listen", "127.0.0.1:0", "--tls-cert", "DIR/dev/server.pem", "--tls-key", "DIR/dev/server-key.pem", "--store", "memory:", "--templates", ServerProcess.repositoryRoot + "/templates"], expectedStatus: 0),
    ]

    /// Writes the case's files and the shared certificates into `directory`.
    static func prepare(_ testCase: Case, in directory: TemporaryDirectory) throws {
        let certificate = try E2ECertificate()
        let other = try E2ECertificate()
        let fm = FileManager.default
        try fm.copyItem(atPath: certificate.certificatePath, toPath: directory.file("cert.pem"))
        try fm.copyItem(atPath: certificate.keyPath, toPath: directory.file("key.pem"))
        try fm.copyItem(atPath: other.keyPath, toPath: directory.file("other-key.pem"))
        try Self.expiredCertificate(into: directory)
        let soon = try Subprocess.run(
            "/usr/bin/openssl",
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3", "-subj", "/CN=localhost",
             "-keyout", directory.file("soon-key.pem"), "-out", directory.file("soon.pem")])
        #expect(soon.status == 0, "\(soon)")
        for (name, contents) in testCase.files {
            let path = directory.file(name)
            try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if contents.hasPrefix("@") {
                try fm.copyItem(atPath: directory.file(String(contents.dropFirst())), toPath: path)
            } else {
                try contents.write(toFile: path, atomically: false, encoding: .utf8)
            }
        }
    }

    /// A self-signed certificate valid only in January 2020 (`openssl ca` takes explicit dates).
    static func expiredCertificate(into directory: TemporaryDirectory) throws {
        let ca = directory.file("ca")
        try FileManager.default.createDirectory(atPath: ca, withIntermediateDirectories: true)
        try "".write(toFile: ca + "/index.txt", atomically: false, encoding: .utf8)
        try "01\n".write(toFile: ca + "/serial", atomically: false, encoding: .utf8)
        try """
            [ca]
            default_ca = d
            [d]
            database = \(ca)/index.txt
            serial = \(ca)/serial
            new_certs_dir = \(ca)
            default_md = sha256
            policy = p
            [p]
            commonName = supplied
            """.write(toFile: ca + "/ca.cnf", atomically: false, encoding: .utf8)
        let request = try Subprocess.run(
            "/usr/bin/openssl",
            ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
             "-keyout", directory.file("expired-key.pem"), "-out", ca + "/r.csr"])
        #expect(request.status == 0, "\(request)")
        let signed = try Subprocess.run(
            "/usr/bin/openssl",
            ["ca", "-batch", "-config", ca + "/ca.cnf", "-selfsign", "-keyfile", directory.file("expired-key.pem"), "-in", ca + "/r.csr",
             "-startdate", "20200101000000Z", "-enddate", "20200201000000Z", "-out", directory.file("expired.pem")])
        #expect(signed.status == 0, "\(signed)")
    }

    /// What `serve` did: its exit status (0 when it started, reported listening and drained on
    /// SIGTERM) and its standard error.
    static func serve(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, stderr: String) {
        let child = try Subprocess(try ServerProcess.binaryPath(), ["serve"] + arguments, environment: environment)
        var listening = false
        _ = child.stderr.wait(timeout: 20) { text in
            listening = text.contains("\"msg\":\"listening\"")
            return listening || child.hasExited
        }
        if listening { child.send(signal: SIGTERM) }
        guard let status = child.waitForExit(timeout: 20) else {
            child.kill()
            return (-1, child.stderr.text)
        }
        child.stderr.waitForEnd(timeout: 5)
        return (status, child.stderr.text)
    }

    /// check-config exits 0 exactly when serve starts, else with serve's status and message (table of configurations).
    @Test(arguments: cases)
    func checkConfigAndServe_Agree(_ testCase: Case) throws {
        let directory = try TemporaryDirectory()
        try Self.prepare(testCase, in: directory)
        let substitute: (String) -> String = { $0.replacingOccurrences(of: "DIR", with: directory.path) }
        let arguments = testCase.arguments.map(substitute)
        let environment = testCase.environment.mapValues(substitute)
        let before = try FileManager.default.subpathsOfDirectory(atPath: directory.path).sorted()

        let check = try Subprocess.run(try ServerProcess.binaryPath(), ["check-config"] + arguments, environment: environment)
        // check-config changes nothing: no certificate written in --dev, no database created.
        #expect(try FileManager.default.subpathsOfDirectory(atPath: directory.path).sorted() == before, "\(testCase)")
        let served = try Self.serve(arguments, environment: environment)

        #expect(check.status == testCase.expectedStatus, "\(testCase): check-config \(check)")
        #expect(served.status == testCase.expectedStatus, "\(testCase): serve \(served.stderr)")
        let checkError = check.stderrText.split(separator: "\n").first { $0.hasPrefix("error: ") }
        if testCase.expectedStatus == 0 {
            #expect(checkError == nil, "\(testCase): \(check)")
            #expect(check.stderrText.contains("OK: serve would start"), "\(testCase): \(check)")
            return
        }
        // A setting that does not parse is a usage error, the same code path for both; any other
        // problem is a finding of the start-up checks.
        let usageError = check.stderrText.hasSuffix("Run 'oauth-landing help serve' for all options.\n")
        #expect(
            usageError || check.stderrText.contains("FAILED: serve would not start (exit status \(testCase.expectedStatus))"),
            "\(testCase): \(check)")
        if let message = testCase.message.map(substitute) {
            #expect(check.stderrText.contains(message), "\(testCase): check-config \(check)")
            #expect(served.stderr.contains(message), "\(testCase): serve \(served.stderr)")
        }
        guard !testCase.serveMessageDiffers, let checkError else { return }
        // "error: CHECK: MESSAGE" from check-config is "oauth-landing: MESSAGE" from serve.
        let message = checkError.split(separator: ":", maxSplits: 2).dropFirst(2).first.map { String($0.dropFirst()) } ?? ""
        #expect(served.stderr.contains("oauth-landing: " + message), "\(testCase): serve \(served.stderr) vs check-config \(checkError)")
    }
}
