import Foundation
import Glibc

@testable import LandingIO

/// A fresh self-signed certificate and key (`DevCertificate`) in their own temporary directory,
/// removed when the value is released.
final class E2ECertificate: @unchecked Sendable {  // why: immutable after init.
    let directory: TemporaryDirectory
    var certificatePath: String { directory.file(DevCertificate.certificateFileName) }
    var keyPath: String { directory.file(DevCertificate.privateKeyFileName) }

    init() throws {
        directory = try TemporaryDirectory("landing-e2e-cert")
        do {
            try DevCertificate.write(to: directory.path, overwrite: true)
        } catch {
            throw E2EError("cannot write a development certificate: \(error)")
        }
    }

    /// The SHA-256 fingerprint of the certificate file, as lowercase hex without colons.
    func fingerprint() throws -> String {
        try E2ECertificate.fingerprint(ofPEM: Array(try Data(contentsOf: URL(fileURLWithPath: certificatePath))))
    }

    /// Replaces `path` atomically with `bytes` (write a temporary file beside it, then rename), as an
    /// operator's deploy tool would.
    static func replaceAtomically(_ path: String, with bytes: [UInt8]) throws {
        let temporary = path + ".tmp-\(UUID().uuidString.prefix(8))"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw E2EError("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else { throw E2EError("rename \(temporary) -> \(path): errno \(errno)") }
    }

    /// Copies `other`'s certificate and key over this pair's files (each replaced atomically).
    func overwrite(with other: E2ECertificate) throws {
        try Self.replaceAtomically(certificatePath, with: Array(try Data(contentsOf: URL(fileURLWithPath: other.certificatePath))))
        try Self.replaceAtomically(keyPath, with: Array(try Data(contentsOf: URL(fileURLWithPath: other.keyPath))))
    }

    /// The SHA-256 fingerprint of the first certificate in `pem`, computed by the `openssl` binary
    /// (independently of the server's own OpenSSL code), as lowercase hex without colons.
    static func fingerprint(ofPEM pem: [UInt8]) throws -> String {
        let result = try Subprocess.run("/usr/bin/openssl", ["x509", "-noout", "-fingerprint", "-sha256"], input: pem, timeout: 20)
        guard result.succeeded, let equals = result.stdoutText.firstIndex(of: "=") else {
            throw E2EError("openssl x509 could not fingerprint the certificate: \(result)")
        }
        return normalizeFingerprint(String(result.stdoutText[result.stdoutText.index(after: equals)...]))
    }

    /// "AB:CD:..." or "abcd..." → "abcd...".
    static func normalizeFingerprint(_ text: String) -> String {
        text.lowercased().filter { $0.isHexDigit }
    }

    /// The first PEM certificate block in `text` (e.g. `openssl s_client` output), if any.
    static func firstPEMCertificate(in text: String) -> String? {
        guard let begin = text.range(of: "-----BEGIN CERTIFICATE-----"),
            let end = text.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<text.endIndex)
        else { return nil }
        return String(text[begin.lowerBound..<end.upperBound]) + "\n"
    }
}
