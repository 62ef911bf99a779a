import Foundation
import Glibc

/// A throwaway certificate authority made with the `openssl` CLI, and server certificates it
/// signs, in a temporary directory. Clients trust it through `TLSClientContext.Trust.caFile` or
/// `SSL_CERT_FILE`.
final class PluggyTestCA: @unchecked Sendable {  // why: immutable after init.
    let directory: TemporaryDirectory
    var certificatePath: String { directory.file("ca.pem") }
    private var keyPath: String { directory.file("ca.key") }

    /// The CA shared by the tests (generated once per process).
    static let shared: PluggyTestCA = try! PluggyTestCA()
    /// Another CA, which no client trusts by default.
    static let other: PluggyTestCA = try! PluggyTestCA()

    init() throws {
        directory = try TemporaryDirectory("landing-pluggy-ca")
        try Self.openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyPath,
            "-out", certificatePath, "-days", "2", "-subj", "/CN=oauth-landing test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
    }

    /// Issues a server certificate for `subjectAltNames` (e.g. `DNS:localhost,IP:127.0.0.1`);
    /// returns the certificate and key paths.
    func issue(name: String, subjectAltNames: String) throws -> (certificate: String, key: String) {
        let certificate = directory.file("\(name).pem")
        let key = directory.file("\(name).key")
        let request = directory.file("\(name).csr")
        let extensions = directory.file("\(name).ext")
        try "subjectAltName=\(subjectAltNames)\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n"
            .write(toFile: extensions, atomically: true, encoding: .utf8)
        try Self.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", request, "-subj", "/CN=\(name)"])
        try Self.openssl([
            "x509", "-req", "-in", request, "-CA", certificatePath, "-CAkey", keyPath, "-CAcreateserial", "-out", certificate,
            "-days", "2", "-extfile", extensions,
        ])
        return (certificate, key)
    }

    private static func openssl(_ arguments: [String]) throws {
        let result = try Subprocess.run("/usr/bin/openssl", arguments, timeout: 30)
        guard result.succeeded else { throw E2EError("openssl \(arguments.first ?? "") failed: \(result)") }
    }
}
