import COpenSSL

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A self-signed certificate for running the server on a developer's machine.
///
/// Built through OpenSSL's C API (no `openssl` binary): an EC P-256 key, an X.509 v3 certificate
/// with subject = issuer = `O=oauth-landing dev, CN=<commonName>`, a random 128-bit serial, valid
/// from one hour ago (tolerates clock skew) for 397 days (the longest that browsers accept for a
/// leaf), signed with ECDSA-SHA256, carrying the extensions a TLS server leaf needs:
/// subjectAltName (one `DNS:` or `IP:` entry per host), basicConstraints critical CA:FALSE,
/// keyUsage critical digitalSignature, extendedKeyUsage serverAuth, subjectKeyIdentifier.
public enum DevCertificate {
    /// File name of the certificate chain inside the certificate directory.
    public static let certificateFileName = "server.pem"
    /// File name of the private key inside the certificate directory.
    public static let privateKeyFileName = "server-key.pem"
    /// Days the certificate is valid after it is issued.
    static let validityDays: Int32 = 397
    /// How far in the past `notBefore` is set, in seconds.
    static let backdateSeconds = 3600

    /// Writes `server.pem` (certificate) and `server-key.pem` (PKCS#8 private key, file mode 0600) into `directory`, creating it (0755) if missing. Throws if either file exists and `overwrite` is false.
    ///
    /// Each file is written to a fresh temporary name in `directory` (created `O_CREAT|O_EXCL`, mode
    /// 0600, so the key is never readable by others), synced, given its final mode (key 0600,
    /// certificate 0644) and moved into place: readers see either the old file or the whole new one.
    public static func write(to directory: String, overwrite: Bool = false) throws(TLSError) {
        guard !directory.isEmpty else {
            throw TLSError(operation: "dev certificate: empty directory path")
        }
        try FileSystem.makeDirectories(directory, mode: 0o755)
        let certificatePath = FileIO.join(directory, certificateFileName)
        let keyPath = FileIO.join(directory, privateKeyFileName)
        if !overwrite {
            for path in [keyPath, certificatePath] where FileSystem.exists(path) {
                throw TLSError(operation: "dev certificate: refusing to overwrite existing \(path)")
            }
        }

        var pem = try makePEM(commonName: "localhost", hosts: ["localhost", "127.0.0.1", "::1"])
        defer { cleanse(&pem.privateKey) }

        let keyTemporary = try FileSystem.writeTemporary(
            pem.privateKey, in: directory, named: privateKeyFileName, mode: 0o600)
        let certificateTemporary: String
        do throws(TLSError) {
            certificateTemporary = try FileSystem.writeTemporary(
                pem.certificate, in: directory, named: certificateFileName, mode: 0o644)
        } catch {
            _ = unlink(keyTemporary)
            throw error
        }
        do throws(TLSError) {
            try FileSystem.install(keyTemporary, at: keyPath, replacing: overwrite)
        } catch {
            _ = unlink(keyTemporary)
            _ = unlink(certificateTemporary)
            throw error
        }
        do throws(TLSError) {
            try FileSystem.install(certificateTemporary, at: certificatePath, replacing: overwrite)
        } catch {
            _ = unlink(certificateTemporary)
            // why: without the certificate the key we just created is useless and would make the
            // next non-overwriting run refuse; with `overwrite` the old key is already gone.
            if !overwrite { _ = unlink(keyPath) }
            throw error
        }
        FileSystem.syncDirectory(directory)
    }

    /// Returns (certificatePEM, keyPEM) without touching disk.
    ///
    /// `hosts` become subjectAltName entries: IPv4/IPv6 literals as `IP:`, anything else must be a
    /// DNS name (letters, digits, hyphens, dots; a leading `*.` label allowed) and becomes `DNS:`.
    public static func generate(
        commonName: String = "localhost",
        hosts: [String] = ["localhost", "127.0.0.1", "::1"]
    ) throws(TLSError) -> (certificatePEM: String, privateKeyPEM: String) {
        var pem = try makePEM(commonName: commonName, hosts: hosts)
        defer { cleanse(&pem.privateKey) }
        return (
            String(decoding: pem.certificate, as: UTF8.self),
            String(decoding: pem.privateKey, as: UTF8.self)
        )
    }

    // MARK: - Building the certificate

    /// Generates a key and certificate, returning both PEM encodings as bytes.
    static func makePEM(
        commonName: String, hosts: [String]
    ) throws(TLSError) -> (certificate: [UInt8], privateKey: [UInt8]) {
        let subjectAltName = try subjectAltNameValue(for: hosts)
        TLSError.clearErrorQueue()

        // why: EVP_PKEY_Q_keygen is variadic, which Swift cannot call; the EVP_PKEY_CTX route is
        // the same operation spelled out.
        guard let keyContext = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else {
            throw .drain("EVP_PKEY_CTX_new_from_name(EC)")
        }
        defer { EVP_PKEY_CTX_free(keyContext) }
        guard EVP_PKEY_keygen_init(keyContext) == 1 else { throw .drain("EVP_PKEY_keygen_init") }
        guard EVP_PKEY_CTX_set_group_name(keyContext, "P-256") == 1 else {
            throw .drain("EVP_PKEY_CTX_set_group_name(P-256)")
        }
        var generatedKey: OpaquePointer? = nil
        guard EVP_PKEY_generate(keyContext, &generatedKey) == 1, let key = generatedKey else {
            throw .drain("EVP_PKEY_generate")
        }
        defer { EVP_PKEY_free(key) }

        guard let certificate = X509_new() else { throw .drain("X509_new") }
        defer { X509_free(certificate) }
        guard X509_set_version(certificate, Int(X509_VERSION_3)) == 1 else {
            throw .drain("X509_set_version")
        }
        try setRandomSerial(certificate)
        guard X509_gmtime_adj(X509_getm_notBefore(certificate), -backdateSeconds) != nil else {
            throw .drain("X509_gmtime_adj(notBefore)")
        }
        guard X509_time_adj_ex(X509_getm_notAfter(certificate), validityDays, 0, nil) != nil else {
            throw .drain("X509_time_adj_ex(notAfter)")
        }
        try setSubjectAndIssuer(certificate, commonName: commonName)
        guard X509_set_pubkey(certificate, key) == 1 else { throw .drain("X509_set_pubkey") }
        try addExtensions(certificate, subjectAltName: subjectAltName)
        // X509_sign returns the signature length, 0 on failure.
        guard X509_sign(certificate, key, EVP_sha256()) > 0 else { throw .drain("X509_sign") }

        let certificatePEM = try pemBytes("PEM_write_bio_X509", sensitive: false) { bio in
            PEM_write_bio_X509(bio, certificate)
        }
        let keyPEM = try pemBytes("PEM_write_bio_PKCS8PrivateKey", sensitive: true) { bio in
            PEM_write_bio_PKCS8PrivateKey(bio, key, nil, nil, 0, nil, nil)
        }
        return (certificatePEM, keyPEM)
    }

    /// Sets a serial of 128 random bits. Borrows `certificate`.
    private static func setRandomSerial(_ certificate: OpaquePointer) throws(TLSError) {
        var random = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&random, Int32(random.count)) == 1 else { throw .drain("RAND_bytes") }
        // why: RFC 5280 §4.1.2.2 wants a positive, non-zero serial. BN_bin2bn reads the bytes as an
        // unsigned magnitude, so the value is never negative (DER adds a 0x00 pad octet when the
        // top bit is set: at most 17 octets, within the 20 allowed); zero is vanishingly unlikely
        // but cheap to exclude.
        if random.allSatisfy({ $0 == 0 }) { random[random.count - 1] = 1 }
        guard let serial = BN_bin2bn(random, Int32(random.count), nil) else {
            throw .drain("BN_bin2bn")
        }
        defer { BN_free(serial) }
        // X509_get_serialNumber returns the certificate's own INTEGER; BN_to_ASN1_INTEGER fills it.
        guard BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(certificate)) != nil else {
            throw .drain("BN_to_ASN1_INTEGER")
        }
    }

    /// Sets subject and issuer to `O=oauth-landing dev, CN=<commonName>`. Borrows `certificate`.
    private static func setSubjectAndIssuer(
        _ certificate: OpaquePointer, commonName: String
    ) throws(TLSError) {
        // X509_get_subject_name returns the certificate's own name object: not ours to free.
        guard let name = X509_get_subject_name(certificate) else {
            throw .drain("X509_get_subject_name")
        }
        for (field, value) in [("O", "oauth-landing dev"), ("CN", commonName)] {
            let bytes = Array(value.utf8)
            guard X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, bytes, Int32(bytes.count), -1, 0) == 1
            else {
                throw .drain("X509_NAME_add_entry_by_txt(\(field)=\(value))")
            }
        }
        // Self-signed: the issuer is the subject (X509_set_issuer_name copies it).
        guard X509_set_issuer_name(certificate, name) == 1 else {
            throw .drain("X509_set_issuer_name")
        }
    }

    /// Adds the server-leaf extensions. Borrows `certificate`, whose public key must already be set
    /// (subjectKeyIdentifier "hash" is computed from it).
    private static func addExtensions(
        _ certificate: OpaquePointer, subjectAltName: String
    ) throws(TLSError) {
        // why: a zeroed X509V3_CTX is what the X509V3_set_ctx_nodb macro produces (db = NULL); no
        // config database is needed because every value below is spelled out inline.
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, certificate, certificate, nil, nil, 0)
        let extensions: [(nid: Int32, name: String, value: String)] = [
            (NID_basic_constraints, "basicConstraints", "critical,CA:FALSE"),
            (NID_key_usage, "keyUsage", "critical,digitalSignature"),
            (NID_ext_key_usage, "extendedKeyUsage", "serverAuth"),
            (NID_subject_key_identifier, "subjectKeyIdentifier", "hash"),
            (NID_subject_alt_name, "subjectAltName", subjectAltName),
        ]
        for item in extensions {
            guard let ext = X509V3_EXT_conf_nid(nil, &context, item.nid, item.value) else {
                throw .drain("X509V3_EXT_conf_nid(\(item.name)=\(item.value))")
            }
            defer { X509_EXTENSION_free(ext) }
            // X509_add_ext stores a copy, so freeing ours afterwards is right.
            guard X509_add_ext(certificate, ext, -1) == 1 else {
                throw .drain("X509_add_ext(\(item.name))")
            }
        }
    }

    /// Runs `write` against a fresh memory BIO and returns what it wrote.
    ///
    /// - Parameter sensitive: use a BIO whose buffer is wiped when freed (for private keys).
    private static func pemBytes(
        _ operation: String, sensitive: Bool, _ write: (OpaquePointer) -> Int32
    ) throws(TLSError) -> [UInt8] {
        // why: BIO_s_secmem is a memory BIO that cleanses its buffer on free, so the private key
        // does not linger in freed heap memory; BIO_ctrl_pending + BIO_read copy the contents
        // out without the BIO_get_mem_data macro.
        guard let bio = BIO_new(sensitive ? BIO_s_secmem() : BIO_s_mem()) else {
            throw .drain("BIO_new")
        }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { throw .drain(operation) }
        let pending = Int(BIO_ctrl_pending(bio))
        guard pending > 0, pending <= Int(Int32.max) else {
            throw TLSError(operation: "\(operation): wrote \(pending) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: pending)
        let read = bytes.withUnsafeMutableBytes { buffer in
            BIO_read(bio, buffer.baseAddress, Int32(pending))
        }
        guard read == Int32(pending) else { throw .drain("BIO_read(\(operation))") }
        return bytes
    }

    /// Overwrites `bytes` with zeros in place (best effort: copies Swift made earlier are not reached).
    private static func cleanse(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { OPENSSL_cleanse(base, buffer.count) }
        }
    }

    // MARK: - Hosts

    /// The subjectAltName value for `hosts`, e.g. `DNS:localhost,IP:127.0.0.1,IP:::1`.
    ///
    /// Hosts are validated strictly because they are spliced into OpenSSL's comma-separated
    /// extension syntax: a comma or a `type:` prefix inside a host would add entries of its own.
    static func subjectAltNameValue(for hosts: [String]) throws(TLSError) -> String {
        guard !hosts.isEmpty else {
            throw TLSError(operation: "dev certificate: at least one host is required")
        }
        var entries: [String] = []
        for host in hosts {
            if isIPAddress(host) {
                entries.append("IP:\(host)")
            } else if isDNSName(host) {
                entries.append("DNS:\(host.lowercased())")
            } else {
                throw TLSError(operation: "dev certificate: not a DNS name or IP address: \"\(host)\"")
            }
        }
        return entries.joined(separator: ",")
    }

    /// Whether `host` is an IPv4 dotted quad or an IPv6 literal (without brackets).
    static func isIPAddress(_ host: String) -> Bool {
        var address = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET, host, &address) == 1 || inet_pton(AF_INET6, host, &address) == 1
    }

    /// Whether `host` is a DNS name: labels of 1–63 letters, digits or inner hyphens, at most 253
    /// bytes in all; the leftmost label may be `*`.
    static func isDNSName(_ host: String) -> Bool {
        let bytes = Array(host.utf8)
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        let labels = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        for (index, label) in labels.enumerated() {
            if index == 0, labels.count > 1, label.elementsEqual([UInt8(ascii: "*")]) { continue }
            guard (1...63).contains(label.count),
                label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-"),
                label.allSatisfy({ byte in
                    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
                        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                        || byte == UInt8(ascii: "-")
                })
            else { return false }
        }
        return true
    }
}

// MARK: - Files

/// The few file-system calls `DevCertificate.write` needs. Each goes through the shared
/// `syscallBlocking` funnel (EINTR retried, errno captured) and fails as a `TLSError` naming the
/// call and the path.
private enum FileSystem {
    /// Whether anything (file, directory, even a dangling symlink) exists at `path`.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// `mkdir -p` with `mode` for each directory created; succeeds if `path` already is a directory.
    static func makeDirectories(_ path: String, mode: mode_t) throws(TLSError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            do {
                try syscallBlocking("mkdir") { mkdir(prefix, mode) }
            } catch where error.errno == EEXIST {
                // Already there; whether it is a directory is checked once, below.
            } catch {
                throw failure(error, prefix)
            }
            prefix += "/"
        }
        var info = stat()
        try call("stat", path) { stat(path, &info) }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw TLSError(operation: "dev certificate: \(path) is not a directory")
        }
    }

    /// Writes `bytes` to a new file `.<named>.tmp-<random>` in `directory` and returns its path.
    ///
    /// The file is created with `O_CREAT|O_EXCL|O_NOFOLLOW` and mode 0600, so it is never readable
    /// by others and never a file someone planted; then it gets `mode`, its data is synced, and it
    /// is closed. On failure nothing is left behind.
    static func writeTemporary(
        _ bytes: [UInt8], in directory: String, named: String, mode: mode_t
    ) throws(TLSError) -> String {
        var attempt = 0
        while true {
            attempt += 1
            let path = FileIO.join(directory, ".\(named).tmp-\(try randomHex(byteCount: 8))")
            let fd: Int32
            do {
                fd = try syscallBlocking("open") {
                    open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
                }
            } catch where error.errno == EEXIST && attempt < 8 {
                continue
            } catch {
                throw failure(error, path)
            }
            do throws(TLSError) {
                // why: fchmod after creation, because the umask may have cleared bits of the
                // creation mode (0600), and the certificate should end up 0644; the creation mode
                // is the ceiling, so the key is never more open than 0600 at any moment.
                try call("fchmod", path) { fchmod(fd, mode) }
                try writeAll(fd, bytes, path: path)
                try call("fsync", path) { fsync(fd) }
            } catch {
                _ = close(fd)
                _ = unlink(path)
                throw error
            }
            // why: close bypasses the EINTR-retrying funnel: on Linux the descriptor is released
            // even when close reports EINTR, so a retry could close someone else's descriptor.
            if close(fd) != 0, errno != EINTR {
                let error = TLSError(operation: "close \(path): \(describe(errno))")
                _ = unlink(path)
                throw error
            }
            return path
        }
    }

    /// Moves the finished temporary file to `path`.
    ///
    /// With `replacing`, `rename` swaps it in atomically. Without, `link` creates `path` only if
    /// nothing is there (failing with EEXIST otherwise, atomically, unlike a check then rename),
    /// and the temporary name is removed afterwards.
    static func install(_ temporary: String, at path: String, replacing: Bool) throws(TLSError) {
        if replacing {
            try call("rename", path) { rename(temporary, path) }
            return
        }
        do {
            try syscallBlocking("link") { link(temporary, path) }
        } catch where error.errno == EEXIST {
            throw TLSError(operation: "dev certificate: refusing to overwrite existing \(path)")
        } catch {
            throw failure(error, path)
        }
        _ = unlink(temporary)
    }

    /// Syncs the directory so the new names survive a crash (best effort).
    static func syncDirectory(_ directory: String) {
        guard let fd = try? syscallBlocking("open", { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) })
        else { return }
        _ = fsync(fd)
        _ = close(fd)
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(TLSError) {
        do {
            try FileIO.writeAll(fd, bytes)
        } catch {
            throw failure(error, path)
        }
    }

    private static func randomHex(byteCount: Int) throws(TLSError) -> String {
        var random = [UInt8](repeating: 0, count: byteCount)
        guard RAND_bytes(&random, Int32(byteCount)) == 1 else { throw .drain("RAND_bytes") }
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        for byte in random {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// Runs `body` through `syscallBlocking`, reporting a failure as a `TLSError` about `path`.
    @discardableResult
    private static func call<T: FixedWidthInteger>(
        _ name: StaticString, _ path: String, _ body: () -> T
    ) throws(TLSError) -> T {
        do {
            return try syscallBlocking(name, body)
        } catch {
            throw failure(error, path)
        }
    }

    private static func failure(_ error: SystemError, _ path: String) -> TLSError {
        TLSError(operation: "\(error.call) \(path): \(describe(error.errno))")
    }

    private static func describe(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }
}
