import COpenSSL
import LandingIO
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Tests for `DevCertificate`: the certificate is inspected through OpenSSL itself, the files
/// through `stat`, and once through the real `openssl` binary.
@Suite struct DevCertificateTests {
    /// Proves the certificate PEM parses as an X.509 v3 certificate named and issued by CN=localhost, O=oauth-landing dev.
    @Test func devCertificate_CertificateParses_WhenGenerated() throws {
        let pem = try DevCertificate.generate()
        #expect(pem.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----\n"))
        let certificate = try #require(TestCertificate(pem: pem.certificatePEM))
        #expect(X509_get_version(certificate.pointer) == 2)
        let subject = X509_get_subject_name(certificate.pointer)
        #expect(nameText(subject, NID_commonName) == "localhost")
        #expect(nameText(subject, NID_organizationName) == "oauth-landing dev")
        #expect(X509_NAME_cmp(subject, X509_get_issuer_name(certificate.pointer)) == 0)
    }

    /// Proves the key is EC P-256 and is written as an unencrypted PKCS#8 "PRIVATE KEY".
    @Test func devCertificate_KeyIsP256_WhenGenerated() throws {
        let pem = try DevCertificate.generate()
        #expect(pem.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        let certificate = try #require(TestCertificate(pem: pem.certificatePEM))
        let publicKey = try #require(X509_get0_pubkey(certificate.pointer))
        #expect(EVP_PKEY_is_a(publicKey, "EC") == 1)
        #expect(EVP_PKEY_get_bits(publicKey) == 256)
        var group = [CChar](repeating: 0, count: 64)
        var length = 0
        #expect(EVP_PKEY_get_group_name(publicKey, &group, group.count, &length) == 1)
        #expect(String(decoding: group.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) == "prime256v1")
    }

    /// Proves the certificate is signed by its own key with ECDSA-SHA256.
    @Test func devCertificate_SelfSignatureVerifies_WhenGenerated() throws {
        let pem = try DevCertificate.generate()
        let certificate = try #require(TestCertificate(pem: pem.certificatePEM))
        let publicKey = try #require(X509_get0_pubkey(certificate.pointer))
        #expect(X509_verify(certificate.pointer, publicKey) == 1)
        #expect(X509_get_signature_nid(certificate.pointer) == NID_ecdsa_with_SHA256)
    }

    /// Proves a client can trust the certificate directly (`curl --cacert server.pem`): chain verification for localhost succeeds.
    @Test func devCertificate_VerifiesAsItsOwnTrustAnchor_WhenPinned() throws {
        let pem = try DevCertificate.generate()
        let certificate = try #require(TestCertificate(pem: pem.certificatePEM))
        let store = try #require(X509_STORE_new())
        defer { X509_STORE_free(store) }
        #expect(X509_STORE_add_cert(store, certificate.pointer) == 1)
        let context = try #require(X509_STORE_CTX_new())
        defer { X509_STORE_CTX_free(context) }
        #expect(X509_STORE_CTX_init(context, store, certificate.pointer, nil) == 1)
        let parameters = X509_STORE_CTX_get0_param(context)
        #expect(X509_VERIFY_PARAM_set1_host(parameters, "localhost", 0) == 1)
        #expect(X509_STORE_CTX_set_purpose(context, X509_PURPOSE_SSL_SERVER) == 1)
        let verified = X509_verify_cert(context)
        let reason = String(cString: X509_verify_cert_error_string(Int(X509_STORE_CTX_get_error(context))))
        #expect(verified == 1, "X509_verify_cert: \(reason)")
        TLSError.clearErrorQueue()
    }

    /// Proves the subjectAltName covers localhost, 127.0.0.1 and ::1, and nothing else.
    @Test func devCertificate_SubjectAltNamesCoverLocalhost_WhenGenerated() throws {
        let pem = try DevCertificate.generate()
        let certificate = try #require(TestCertificate(pem: pem.certificatePEM))
        #expect(X509_check_host(certificate.pointer, "localhost", 0, 0, nil) == 1)
        #expect(X509_check_ip_asc(certificate.pointer, "127.0.0.1", 0) == 1)
        #expect(X509_check_ip_asc(certificate.pointer, "::1", 0) == 1)
        #expect(X509_check_host(certificate.pointer, "example.com", 0, 0, nil) == 0)
        #expect(X509_check_ip_asc(certificate.pointer, "10.0.0.1", 0) == 0)
    }

    /// Proves custom hosts become DNS and IP entries, and hosts that could inject extra entries are refused.
    @Test func devCertificate_UsesGivenHosts_WhenHostsAreValid() throws {
        let pem = try DevCertificate.generate(commonName: "app.test", hosts: ["app.test", "*.app.test", "10.0.0.5"])
        let certificate = try #require(TestCertificate(pem: pem.certificatePEM))
        #expect(X509_check_host(certificate.pointer, "app.test", 0, 0, nil) == 1)
        #expect(X509_check_host(certificate.pointer, "api.app.test", 0, 0, nil) == 1)
        #expect(X509_check_ip_asc(certificate.pointer, "10.0.0.5", 0) == 1)
        #expect(X509_check_host(certificate.pointer, "localhost", 0, 0, nil) == 0)
        #expect(nameText(X509_get_subject_name(certificate.pointer), NID_commonName) == "app.test")

        #expect(throws: TLSError.self) { try DevCertificate.generate(hosts: ["evil,DNS:attacker.example"]) }
        #expect(throws: TLSError.self) { try DevCertificate.generate(hosts: ["IP:1.2.3.4"]) }
        #expect(throws: TLSError.self) { try DevCertificate.generate(hosts: ["-bad.example"]) }
        #expect(throws: TLSError.self) { try DevCertificate.generate(hosts: []) }
    }

    /// Proves the private key belongs to the certificate, and a key from another call does not.
    @Test func devCertificate_KeyMatchesCertificate_WhenGenerated() throws {
        let pem = try DevCertificate.generate()
        let other = try DevCertificate.generate()
        let certificate = try #require(TestCertificate(pem: pem.certificatePEM))
        let key = try #require(TestPrivateKey(pem: pem.privateKeyPEM))
        let otherKey = try #require(TestPrivateKey(pem: other.privateKeyPEM))
        #expect(X509_check_private_key(certificate.pointer, key.pointer) == 1)
        #expect(X509_check_private_key(certificate.pointer, otherKey.pointer) == 0)
        TLSError.clearErrorQueue()
    }

    /// Proves the extensions make a server leaf: CA:FALSE and keyUsage critical, digitalSignature only, serverAuth, a key identifier.
    @Test func devCertificate_ExtensionsDescribeServerLeaf_WhenGenerated() throws {
        let pem = try DevCertificate.generate()
        let certificate = try #require(TestCertificate(pem: pem.certificatePEM))
        let flags = X509_get_extension_flags(certificate.pointer)
        #expect(flags & UInt32(EXFLAG_BCONS) != 0)
        #expect(flags & UInt32(EXFLAG_CA) == 0)
        #expect(X509_get_key_usage(certificate.pointer) == UInt32(KU_DIGITAL_SIGNATURE))
        #expect(X509_get_extended_key_usage(certificate.pointer) == UInt32(XKU_SSL_SERVER))
        #expect(X509_get0_subject_key_id(certificate.pointer) != nil)
        for nid in [NID_basic_constraints, NID_key_usage] {
            let index = X509_get_ext_by_NID(certificate.pointer, nid, -1)
            #expect(index >= 0)
            #expect(X509_EXTENSION_get_critical(X509_get_ext(certificate.pointer, index)) == 1)
        }
        let sanIndex = X509_get_ext_by_NID(certificate.pointer, NID_subject_alt_name, -1)
        #expect(X509_EXTENSION_get_critical(X509_get_ext(certificate.pointer, sanIndex)) == 0)
    }

    /// Proves the certificate is valid from one hour ago for 397 days.
    @Test func devCertificate_ValidityWindow_WhenGenerated() throws {
        let pem = try DevCertificate.generate()
        let certificate = try #require(TestCertificate(pem: pem.certificatePEM))
        let notBefore = X509_get0_notBefore(certificate.pointer)
        let notAfter = X509_get0_notAfter(certificate.pointer)
        #expect(X509_cmp_current_time(notBefore) < 0)
        #expect(X509_cmp_current_time(notAfter) > 0)
        var days: Int32 = 0
        var seconds: Int32 = 0
        #expect(ASN1_TIME_diff(&days, &seconds, notBefore, notAfter) == 1)
        #expect(days == 397)
        #expect((3599...3601).contains(seconds))
    }

    /// Proves each call draws a fresh positive serial of at most 128 bits.
    @Test func devCertificate_SerialsDiffer_WhenGeneratedTwice() throws {
        let first = try serial(of: try DevCertificate.generate().certificatePEM)
        let second = try serial(of: try DevCertificate.generate().certificatePEM)
        #expect(first != second)
        for value in [first, second] {
            #expect(!value.negative)
            #expect(value.bits > 64 && value.bits <= 128)
        }
    }

    /// Proves `write` creates the directory and leaves exactly server.pem (0644) and server-key.pem (0600), a matching pair.
    @Test func devCertificate_KeyFileIsPrivate_WhenWritten() throws {
        try withTemporaryDirectory { base in
            let directory = base + "/nested/certs"
            try DevCertificate.write(to: directory)
            #expect(fileMode(directory + "/server-key.pem") == 0o600)
            #expect(fileMode(directory + "/server.pem") == 0o644)
            #expect(directoryEntries(directory).sorted() == ["server-key.pem", "server.pem"])

            let certificate = try #require(TestCertificate(pem: try readFile(directory + "/server.pem")))
            let key = try #require(TestPrivateKey(pem: try readFile(directory + "/server-key.pem")))
            #expect(X509_check_private_key(certificate.pointer, key.pointer) == 1)
        }
    }

    /// Proves `write` refuses to replace existing files unless `overwrite` is set, and then replaces both.
    @Test func devCertificate_RefusesToOverwrite_WhenFilesExist() throws {
        try withTemporaryDirectory { directory in
            try DevCertificate.write(to: directory)
            let certificate = try readFile(directory + "/server.pem")
            let key = try readFile(directory + "/server-key.pem")

            #expect(throws: TLSError.self) { try DevCertificate.write(to: directory) }
            #expect(try readFile(directory + "/server.pem") == certificate)
            #expect(try readFile(directory + "/server-key.pem") == key)
            #expect(directoryEntries(directory).count == 2)

            try DevCertificate.write(to: directory, overwrite: true)
            #expect(try readFile(directory + "/server.pem") != certificate)
            #expect(try readFile(directory + "/server-key.pem") != key)
            #expect(fileMode(directory + "/server-key.pem") == 0o600)
            #expect(directoryEntries(directory).count == 2)
        }
    }

    /// Proves an existing certificate alone is enough to refuse, and no key is left behind.
    @Test func devCertificate_RefusesToOverwrite_WhenOnlyCertificateExists() throws {
        try withTemporaryDirectory { directory in
            let fd = open(directory + "/server.pem", O_WRONLY | O_CREAT | O_EXCL, 0o644)
            #expect(fd >= 0)
            _ = close(fd)
            #expect(throws: TLSError.self) { try DevCertificate.write(to: directory) }
            #expect(directoryEntries(directory) == ["server.pem"])
        }
    }

    /// Proves the real `openssl x509` binary reads the written certificate as P-256 with the expected names.
    @Test func devCertificate_OpenSSLBinaryReadsCertificate_WhenWritten() throws {
        try withTemporaryDirectory { directory in
            try DevCertificate.write(to: directory)
            let output = try run("openssl x509 -noout -text -in '\(directory)/server.pem' 2>&1")
            #expect(output.contains("prime256v1"), "\(output)")
            #expect(output.contains("DNS:localhost"), "\(output)")
            #expect(output.contains("IP Address:127.0.0.1"), "\(output)")
            #expect(output.contains("CA:FALSE"), "\(output)")
            #expect(output.contains("TLS Web Server Authentication"), "\(output)")
        }
    }

    /// Proves `TLSError.drain` collects the queued OpenSSL errors and leaves the queue empty.
    @Test func tlsError_DrainsQueue_WhenOpenSSLFailed() {
        TLSError.clearErrorQueue()
        let garbage = Array("not a certificate".utf8)
        let parsed = garbage.withUnsafeBytes { buffer -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_X509(bio, nil, nil, nil)
        }
        #expect(parsed == nil)
        let error = TLSError.drain("PEM_read_bio_X509")
        #expect(!error.openSSLErrors.isEmpty)
        #expect(error.description.hasPrefix("TLS error: PEM_read_bio_X509: error:"))
        #expect(ERR_peek_error() == 0)
    }
}

// MARK: - Helpers

/// Owns one parsed X509; frees it on deinit.
private final class TestCertificate {
    let pointer: OpaquePointer

    /// Parses the first certificate in `pem`, or returns nil.
    init?(pem: String) {
        let bytes = Array(pem.utf8)
        let parsed = bytes.withUnsafeBytes { buffer -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_X509(bio, nil, nil, nil)
        }
        guard let parsed else { return nil }
        pointer = parsed
    }

    deinit { X509_free(pointer) }
}

/// Owns one parsed private key; frees it on deinit.
private final class TestPrivateKey {
    let pointer: OpaquePointer

    /// Parses the private key in `pem`, or returns nil.
    init?(pem: String) {
        let bytes = Array(pem.utf8)
        let parsed = bytes.withUnsafeBytes { buffer -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let parsed else { return nil }
        pointer = parsed
    }

    deinit { EVP_PKEY_free(pointer) }
}

/// The text of the first `nid` entry in `name`.
private func nameText(_ name: OpaquePointer?, _ nid: Int32) -> String? {
    var buffer = [CChar](repeating: 0, count: 256)
    let length = X509_NAME_get_text_by_NID(name, nid, &buffer, Int32(buffer.count))
    guard length >= 0 else { return nil }
    return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The certificate's serial as bytes, with its sign and bit length.
private func serial(of pem: String) throws -> (bytes: [UInt8], negative: Bool, bits: Int32) {
    let certificate = try #require(TestCertificate(pem: pem))
    let number = try #require(ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate.pointer), nil))
    defer { BN_free(number) }
    let bits = BN_num_bits(number)
    var bytes = [UInt8](repeating: 0, count: Int((bits + 7) / 8))
    _ = BN_bn2bin(number, &bytes)
    return (bytes, BN_is_negative(number) != 0, bits)
}

/// Runs `body` with a fresh directory under /tmp, removed afterwards with everything in it.
private func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
    var template = Array("/tmp/devcert-test-XXXXXX".utf8CString)
    let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    let pointer = try #require(created)
    let path = String(cString: pointer)
    defer { removeTree(path) }
    try body(path)
}

/// Removes `path` and, if it is a directory, everything below it (without following symlinks).
private func removeTree(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if info.st_mode & S_IFMT == S_IFDIR {
        for entry in directoryEntries(path) { removeTree(path + "/" + entry) }
        _ = rmdir(path)
    } else {
        _ = unlink(path)
    }
}

/// The names in `directory`, without "." and "..".
private func directoryEntries(_ directory: String) -> [String] {
    guard let handle = opendir(directory) else { return [] }
    defer { closedir(handle) }
    var names: [String] = []
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// The permission bits of `path`, or nil if it cannot be stat'ed.
private func fileMode(_ path: String) -> mode_t? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o7777
}

/// The contents of `path` as UTF-8.
private func readFile(_ path: String) throws -> String {
    let fd = open(path, O_RDONLY)
    try #require(fd >= 0, "open \(path)")
    defer { _ = close(fd) }
    var contents: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = read(fd, &chunk, chunk.count)
        if count < 0, errno == EINTR { continue }
        try #require(count >= 0, "read \(path)")
        if count == 0 { break }
        contents += chunk[0..<count]
    }
    return String(decoding: contents, as: UTF8.self)
}

/// Runs `command` through the shell and returns what it printed.
private func run(_ command: String) throws -> String {
    let pipe = try #require(popen(command, "r"))
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = fread(&chunk, 1, chunk.count, pipe)
        if count == 0 { break }
        output += chunk[0..<count]
    }
    let status = pclose(pipe)
    #expect(status == 0, "\(command) exited with \(status)")
    return String(decoding: output, as: UTF8.self)
}
