/// Says in plain words why a certificate or key file did not load, from its contents, for the
/// common mistakes OpenSSL only reports as "no start line" or "key values mismatch": the files
/// swapped, an empty or DER file, an encrypted key. Pure: the caller reads the files.
public enum PEMFileDiagnosis {
    /// The PEM block labels in `contents` (`CERTIFICATE`, `PRIVATE KEY`, `EC PRIVATE KEY`...), in order.
    static func labels(in contents: [UInt8]) -> [String] {
        let text = String(decoding: contents, as: UTF8.self)
        var labels: [String] = []
        var rest = Substring(text)
        while let begin = rest.range(of: "-----BEGIN ") {
            rest = rest[begin.upperBound...]
            guard let end = rest.range(of: "-----") else { break }
            labels.append(String(rest[..<end.lowerBound]))
            rest = rest[end.upperBound...]
        }
        return labels
    }

    /// Why `contents` (of `path`, given as `--tls-cert`) holds no usable certificate, or nil when it
    /// has a `CERTIFICATE` block (then OpenSSL's own reason stands).
    public static func certificateProblem(contents: [UInt8], path: String) -> String? {
        let found = labels(in: contents)
        if found.contains("CERTIFICATE") || found.contains("TRUSTED CERTIFICATE") { return nil }
        if contents.isEmpty { return "the certificate file \(path) is empty" }
        if found.contains(where: { $0.hasSuffix("PRIVATE KEY") }) {
            return "\(path) holds a private key, not a certificate (are --tls-cert and --tls-key swapped?)"
        }
        if found.contains("CERTIFICATE REQUEST") {
            return "\(path) holds a certificate signing request, not a certificate: use the certificate the CA issued for it"
        }
        if isDER(contents) {
            return "no PEM certificate found in \(path): it looks like DER (binary); convert it with"
                + " openssl x509 -inform der -in \(path) -out \(path).pem"
        }
        return "no certificate found in \(path) (expected a PEM block starting -----BEGIN CERTIFICATE-----)"
    }

    /// Why `contents` (of `path`, given as `--tls-key`) holds no usable private key, or nil when
    /// it has an unencrypted private key block.
    public static func keyProblem(contents: [UInt8], path: String) -> String? {
        let found = labels(in: contents)
        let text = String(decoding: contents, as: UTF8.self)
        if found.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
            return "the private key \(path) is encrypted with a passphrase, which a server cannot type;"
                + " write it decrypted (readable only by the service): openssl pkey -in \(path) -out KEY.pem"
        }
        if found.contains(where: { $0.hasSuffix("PRIVATE KEY") }) { return nil }
        if contents.isEmpty { return "the private key file \(path) is empty" }
        if found.contains("CERTIFICATE") {
            return "\(path) holds a certificate, not a private key (are --tls-cert and --tls-key swapped?)"
        }
        if found.contains("PUBLIC KEY") {
            return "\(path) holds a public key; --tls-key needs the private key that goes with the certificate"
        }
        if isDER(contents) {
            return "no PEM private key found in \(path): it looks like DER (binary); convert it with"
                + " openssl pkey -inform der -in \(path) -out \(path).pem"
        }
        return "no private key found in \(path) (expected a PEM block starting -----BEGIN PRIVATE KEY-----)"
    }

    /// The message for a key that loads but belongs to another certificate.
    public static func mismatch(certificatePath: String, keyPath: String) -> String {
        "the key \(keyPath) does not match the certificate \(certificatePath): they come from different"
            + " requests or renewals; use the key the certificate was issued for"
    }

    /// A DER-encoded structure starts with a SEQUENCE tag and is not text.
    private static func isDER(_ contents: [UInt8]) -> Bool {
        contents.count > 2 && contents[0] == 0x30 && contents.contains(where: { $0 < 0x09 || ($0 > 0x0D && $0 < 0x20) })
    }
}
