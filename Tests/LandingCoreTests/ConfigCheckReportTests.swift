import Foundation
import Testing

@testable import LandingCore

@Suite struct ConfigCheckReportTests {
    /// The first error sets the exit status and the verdict; warnings alone keep it 0.
    @Test func report_ExitStatus_IsTheFirstErrors() {
        var report = ConfigCheckReport(config: ServerConfig())
        report.add(.warning("return-url", "no return link"))
        #expect(report.isOK && report.exitCode == 0)
        #expect(report.findingsText() == "warning: return-url: no return link\nOK: serve would start (1 warning)\n")
        report.add(.error("store", "unreachable", exitCode: 1))
        report.add(.error("tls", "expired"))
        #expect(!report.isOK && report.exitCode == 1)
        #expect(
            report.findingsText()
                == "error: store: unreachable\nerror: tls: expired\nwarning: return-url: no return link\nFAILED: serve would not start (exit status 1)\n")
    }

    /// A message or derived value cannot forge a line of the report.
    @Test func report_EscapesControlCharacters_InMessages() {
        var report = ConfigCheckReport(config: ServerConfig())
        report.add(.error("tls", "bad\nerror: forged"))
        report.derive("store", "x\r\ny")
        #expect(report.findingsText().hasPrefix("error: tls: bad\\u{A}error: forged\n"))
        #expect(report.settingsText().hasSuffix("# store: x\\u{D}\\u{A}y\n"))
    }

    /// The JSON report parses, types numbers and booleans, lists repeatable options, masks secrets.
    @Test func report_JSON_IsTypedAndMasksSecrets() throws {
        var config = ServerConfig()
        config.apiKeys = ["secret-key-0123456789", "secret-key-abcdefghij"]
        config.webhookSecret = "webhook-secret-0123456789"
        config.threads = 3
        config.bodyTimeout = 0.5
        config.dev = true
        var report = ConfigCheckReport(config: config)
        report.derive("certificate sha256", "abc")
        report.add(.error("tls", "expired \"quoted\""))
        report.add(.warning("qa", "public"))
        let text = report.json()
        #expect(!text.contains("secret-key-") && !text.contains("webhook-secret-0"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["ok"] as? Bool == false)
        #expect(object["exitCode"] as? Int == 2)
        let settings = try #require(object["settings"] as? [String: Any])
        #expect(settings["threads"] as? Int == 3)
        #expect(settings["body-timeout"] as? Double == 0.5)
        #expect(settings["dev"] as? Bool == true)
        #expect(settings["api-key"] as? [String] == ["****", "****"])
        #expect(settings["webhook-secret"] as? String == "****")
        #expect(settings["public-url"] is NSNull)
        #expect((object["derived"] as? [String: String])?["certificate sha256"] == "abc")
        let errors = try #require(object["errors"] as? [[String: Any]])
        #expect(errors.first?["message"] as? String == "expired \"quoted\"")
        #expect(errors.first?["exitCode"] as? Int == 2)
        #expect((object["warnings"] as? [[String: Any]])?.first?["check"] as? String == "qa")
    }

    /// `check-config --format json|text` parses; another format is refused; serve has no --format.
    @Test func checkConfig_FormatFlag_IsParsed() throws {
        #expect(try parseCommand(["check-config", "--format", "json"]) == .checkConfig(ServerConfig(), format: .json))
        #expect(try parseCommand(["check-config", "--format=text"]) == .checkConfig(ServerConfig(), format: .text))
        #expect(try parseCommand(["check-config"]) == .checkConfig(ServerConfig(), format: .text))
        #expect(parseErrorMessage(["check-config", "--format", "yaml"]) == "invalid value 'yaml' for --format: expected text or json")
        #expect(parseErrorMessage(["serve", "--format", "json"]).contains("--format"))
    }

    /// Expired and not-yet-valid certificates are errors; inside 14 days a warning; otherwise nothing.
    @Test func certificateExpiry_Classifies() {
        let day: Int64 = 86_400
        let now: Int64 = 1_800_000_000
        #expect(CertificateExpiry.finding(notBefore: now - 90 * day, notAfter: now - 1, now: now, path: "c.pem")?.severity == .error)
        #expect(CertificateExpiry.finding(notBefore: now - 90 * day, notAfter: now, now: now, path: "c.pem")?.severity == .error)
        #expect(CertificateExpiry.finding(notBefore: now + 60, notAfter: now + 90 * day, now: now, path: "c.pem")?.message.contains("not valid before") == true)
        let soon = CertificateExpiry.finding(notBefore: now - day, notAfter: now + 3 * day + 5, now: now, path: "c.pem")
        #expect(soon?.severity == .warning)
        #expect(soon?.message.contains("expires in 3 days") == true)
        #expect(CertificateExpiry.finding(notBefore: now - day, notAfter: now + 14 * day, now: now, path: "c.pem") == nil)
    }

    /// Swapped files, DER, CSRs, encrypted and public keys are each named in plain words.
    @Test func pemDiagnosis_NamesTheCommonMistakes() {
        let key = Array("-----BEGIN PRIVATE KEY-----\nMIG\n-----END PRIVATE KEY-----\n".utf8)
        let cert = Array("-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n".utf8)
        #expect(PEMFileDiagnosis.certificateProblem(contents: cert, path: "c") == nil)
        #expect(PEMFileDiagnosis.certificateProblem(contents: key, path: "c")?.contains("holds a private key, not a certificate") == true)
        #expect(PEMFileDiagnosis.certificateProblem(contents: [], path: "c") == "the certificate file c is empty")
        #expect(PEMFileDiagnosis.certificateProblem(contents: [0x30, 0x82, 0x01, 0x0A, 0x02], path: "c")?.contains("DER") == true)
        #expect(PEMFileDiagnosis.certificateProblem(contents: Array("-----BEGIN CERTIFICATE REQUEST-----\n".utf8), path: "c")?.contains("signing request") == true)
        #expect(PEMFileDiagnosis.certificateProblem(contents: Array("hello".utf8), path: "c")?.hasPrefix("no certificate found in c") == true)
        #expect(PEMFileDiagnosis.keyProblem(contents: key, path: "k") == nil)
        #expect(PEMFileDiagnosis.keyProblem(contents: Array("-----BEGIN EC PRIVATE KEY-----\n".utf8), path: "k") == nil)
        #expect(PEMFileDiagnosis.keyProblem(contents: cert, path: "k")?.contains("holds a certificate, not a private key") == true)
        #expect(PEMFileDiagnosis.keyProblem(contents: Array("-----BEGIN ENCRYPTED PRIVATE KEY-----\n".utf8), path: "k")?.contains("passphrase") == true)
        #expect(PEMFileDiagnosis.keyProblem(contents: Array("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n".utf8), path: "k")?.contains("passphrase") == true)
        #expect(PEMFileDiagnosis.keyProblem(contents: Array("-----BEGIN PUBLIC KEY-----\n".utf8), path: "k")?.contains("public key") == true)
    }

    /// A secret file's first line is the secret (CRLF or not); empty or invalid lines are refused without echoing them.
    @Test func secretFile_TakesTheFirstLine() throws {
        #expect(try SecretFile.value(fileContents: "webhook-secret-0123456789\r\nignored\n", kind: .webhookSecret, file: "f") == "webhook-secret-0123456789")
        #expect(try SecretFile.value(fileContents: "pluggy-secret", kind: .pluggyClientSecret, file: "f") == "pluggy-secret")
        #expect(throws: ConfigError.self) { try SecretFile.value(fileContents: "\nwebhook-secret-0123456789", kind: .webhookSecret, file: "f") }
        do {
            _ = try SecretFile.value(fileContents: "short secret", kind: .webhookSecret, file: "f")
            Issue.record("accepted an invalid secret")
        } catch {
            #expect(error.description.hasPrefix("f: the webhook secret on its first line is invalid"))
            #expect(!error.description.contains("short secret"))
        }
    }

    /// Bind failures get a hint: in use, privileged port, foreign address.
    @Test func listenFailureHint_ExplainsCommonErrors() {
        #expect(ListenFailureHint.message(option: "--listen", address: "0.0.0.0:8443", port: 8443, errno: EADDRINUSE).contains("already in use"))
        #expect(ListenFailureHint.message(option: "--listen", address: "0.0.0.0:443", port: 443, errno: EACCES).contains("CAP_NET_BIND_SERVICE"))
        #expect(!ListenFailureHint.message(option: "--listen", address: "0.0.0.0:8443", port: 8443, errno: EACCES).contains("CAP_NET_BIND_SERVICE"))
        #expect(ListenFailureHint.message(option: "--listen", address: "192.0.2.1:8443", port: 8443, errno: EADDRNOTAVAIL).contains("no network interface"))
    }

    /// The shipped templates can serve; a missing landing template, catalog or key is named.
    @Test func templateServingProblems_NameWhatIsMissing() throws {
        let ok = try TemplateSet.parse(
            templates: ["landing": "{{t.hello}}"],
            catalogs: ["en": "{" + (TemplateSet.landingCatalogKeys + ["hello"]).map { "\"\($0)\": \"x\"" }.joined(separator: ",") + "}"])
        #expect(ok.servingProblems(qa: false).isEmpty)
        #expect(ok.servingProblems(qa: true) == ["no template qa.html: the server renders it"])
        let noKey = try TemplateSet.parse(templates: ["landing": "{{t.nowhere}}"], catalogs: ["en": #"{"title_completed": "x"}"#])
        let problems = noKey.servingProblems(qa: false)
        #expect(problems.count == 1)
        #expect(problems.first?.contains("nowhere") == true)
        #expect(problems.first?.contains("message_completed") == true)
        let noCatalog = try TemplateSet.parse(templates: ["landing": "x"], catalogs: [:])
        #expect(noCatalog.servingProblems(qa: false) == ["no string catalog strings/en.json: the pages' texts come from it"])
    }

    /// A presented key's owner is the position of the equal key (`key-N`); a prefix, an extension or another key has none.
    @Test func apiKeyRing_Owner_IsPositionOfEqualKey() {
        let ring = APIKeyRing(["a-key-0123456789", "b-key-0123456789"])
        func owner(_ s: String) -> String? { Array(s.utf8).withUnsafeBufferPointer { ring.owner(of: $0) } }
        #expect(owner("a-key-0123456789") == "key-0")
        #expect(owner("b-key-0123456789") == "key-1")
        #expect(owner("b-key-012345678") == nil)
        #expect(owner("b-key-01234567890") == nil)
        #expect(owner("c-key-0123456789") == nil)
        #expect(owner("") == nil)
        ring.replace(with: ["c-key-0123456789"])
        #expect(owner("c-key-0123456789") == "key-0")
        #expect(owner("a-key-0123456789") == nil)
    }

    /// A key ring's keys are replaced whole.
    @Test func apiKeyRing_ReplacesKeys() {
        let ring = APIKeyRing(["a-key-0123456789"])
        ring.replace(with: ["b-key-0123456789", "c-key-0123456789"])
        #expect(ring.current == ["b-key-0123456789", "c-key-0123456789"])
    }
}
