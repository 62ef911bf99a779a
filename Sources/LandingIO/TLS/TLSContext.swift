import COpenSSL
import Glibc
import LandingCore

/// Owns one `SSL_CTX`: the server's certificate chain, key and protocol settings. Immutable once
/// built; a certificate reload builds a new context and swaps it in (`TLSContextStore`), so open
/// connections keep the context they started with.
public final class TLSContext: @unchecked Sendable {
    let ctx: OpaquePointer

    /// Mozilla "intermediate" TLS 1.2 suites (server-side-tls v5.7); TLS 1.3 uses OpenSSL's defaults,
    /// which are exactly the intermediate TLS 1.3 list.
    static let intermediateCiphers = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
        "DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384", "DHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    /// Loads a PEM certificate chain (leaf first) and its private key. Throws a `TLSError` naming the
    /// file when either is missing or unreadable, or when the key does not match the certificate.
    public init(certificateChainPath: String, privateKeyPath: String) throws(TLSError) {
        for path in [certificateChainPath, privateKeyPath] where access(path, R_OK) != 0 {
            throw TLSError(operation: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        TLSError.clearErrorQueue()
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw TLSError.drain("SSL_CTX_new") }
        self.ctx = ctx
        // From here on `deinit` frees ctx if we throw.
        guard landing_SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1,
            landing_SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) == 1
        else { throw TLSError.drain("SSL_CTX_set_min/max_proto_version") }
        guard SSL_CTX_set_cipher_list(ctx, Self.intermediateCiphers) == 1 else {
            throw TLSError.drain("SSL_CTX_set_cipher_list")
        }
        guard landing_SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") == 1 else {
            throw TLSError.drain("SSL_CTX_set1_groups_list")
        }
        _ = landing_SSL_CTX_set_dh_auto(ctx)
        // why: no renegotiation (a DoS lever with nothing to gain here), no compression (CRIME);
        // the client picks among the suites, as Mozilla intermediate recommends.
        SSL_CTX_set_options(ctx, UInt64(landing_SSL_OP_NO_RENEGOTIATION() | landing_SSL_OP_NO_COMPRESSION()))
        // why: RELEASE_BUFFERS frees OpenSSL's 16 KiB read/write buffers while a connection is idle,
        // which is most of the memory an idle keep-alive connection would hold. ACCEPT_MOVING_WRITE_BUFFER
        // because a retried SSL_write may come from a Swift array that has moved.
        _ = landing_SSL_CTX_set_mode(ctx, landing_SSL_MODE_RELEASE_BUFFERS() | landing_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER())
        _ = landing_SSL_CTX_set_session_cache_mode(ctx, Int(SSL_SESS_CACHE_SERVER))
        _ = landing_SSL_CTX_sess_set_cache_size(ctx, 20_000)
        // why: OpenSSL sends two TLS 1.3 tickets after a full handshake unless told otherwise, and
        // making one (encode the session four times, decode it once, encrypt, MAC) costs about 160k
        // instructions, 6% of the handshake. Our pages are single navigations: a browser opens one
        // connection, and every resumption brings it a fresh ticket (OpenSSL sends one after each
        // resumption whatever this says), so the second ticket would only serve a second parallel
        // connection, which these pages never make. EndToEndTLSTests counts the tickets.
        _ = SSL_CTX_set_num_tickets(ctx, 1)
        let sessionContext: [UInt8] = Array("oauth-landing".utf8)
        _ = SSL_CTX_set_session_id_context(ctx, sessionContext, UInt32(sessionContext.count))
        SSL_CTX_set_alpn_select_cb(ctx, { _, out, outLength, input, inputLength, _ in
            // RFC 7301 §3.2: if the client offers protocols but none we support, answer with the
            // fatal no_application_protocol alert. We speak only http/1.1.
            guard let input, let out, let outLength else { return SSL_TLSEXT_ERR_NOACK }
            var i = 0
            let length = Int(inputLength)
            while i < length {
                let n = Int(input[i])
                if i + 1 + n > length { break }
                if n == 8 && memcmp(input + i + 1, "http/1.1", 8) == 0 {
                    out.pointee = input + i + 1
                    outLength.pointee = 8
                    return SSL_TLSEXT_ERR_OK
                }
                i += 1 + n
            }
            return SSL_TLSEXT_ERR_ALERT_FATAL
        }, nil)
        // why: OpenSSL's reasons ("no start line", "key values mismatch") name no file and no fix;
        // the file's contents usually tell the mistake (swapped files, DER, an encrypted key).
        guard SSL_CTX_use_certificate_chain_file(ctx, certificateChainPath) == 1 else {
            let drained = TLSError.drain("loading certificate chain \(certificateChainPath)")
            let problem = PEMFileDiagnosis.certificateProblem(contents: Self.contents(of: certificateChainPath), path: certificateChainPath)
            throw TLSError(operation: problem ?? drained.operation, openSSLErrors: drained.openSSLErrors)
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, privateKeyPath, SSL_FILETYPE_PEM) == 1 else {
            let drained = TLSError.drain("loading private key \(privateKeyPath)")
            var problem = PEMFileDiagnosis.keyProblem(contents: Self.contents(of: privateKeyPath), path: privateKeyPath)
            // why: OpenSSL compares the key with the certificate already loaded when it loads the key.
            if problem == nil, drained.openSSLErrors.contains(where: { $0.contains("key values mismatch") }) {
                problem = PEMFileDiagnosis.mismatch(certificatePath: certificateChainPath, keyPath: privateKeyPath)
            }
            throw TLSError(operation: problem ?? drained.operation, openSSLErrors: drained.openSSLErrors)
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            let drained = TLSError.drain("SSL_CTX_check_private_key")
            throw TLSError(
                operation: PEMFileDiagnosis.mismatch(certificatePath: certificateChainPath, keyPath: privateKeyPath),
                openSSLErrors: drained.openSSLErrors)
        }
    }

    /// A client context (no verification) for tests that join a client engine to a server engine
    /// in memory. `alpn` is the list offered; `maxVersion` caps the protocol (TLS1_2_VERSION...).
    init(testClientOffering alpn: [String], maxVersion: Int32 = TLS1_3_VERSION) throws(TLSError) {
        TLSError.clearErrorQueue()
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw TLSError.drain("SSL_CTX_new(client)") }
        self.ctx = ctx
        _ = landing_SSL_CTX_set_max_proto_version(ctx, maxVersion)
        if !alpn.isEmpty {
            var wire: [UInt8] = []
            for proto in alpn {
                wire.append(UInt8(proto.utf8.count))
                wire.append(contentsOf: proto.utf8)
            }
            _ = SSL_CTX_set_alpn_protos(ctx, wire, UInt32(wire.count))
        }
    }

    deinit { SSL_CTX_free(ctx) }

    /// At most 1 MiB of `path`, for explaining a failed load (empty when unreadable).
    private static func contents(of path: String) -> [UInt8] {
        ((try? FileIO.readAll(path, limit: 1 << 20)) ?? nil) ?? []
    }

    /// The leaf certificate's validity period (epoch seconds), or nil if OpenSSL cannot say.
    public var leafValidity: (notBefore: Int64, notAfter: Int64)? {
        guard let cert = SSL_CTX_get0_certificate(ctx),
            let notBefore = Self.epochSeconds(X509_get0_notBefore(cert)),
            let notAfter = Self.epochSeconds(X509_get0_notAfter(cert))
        else { return nil }
        return (notBefore, notAfter)
    }

    private static func epochSeconds(_ time: UnsafePointer<ASN1_TIME>?) -> Int64? {
        guard let time else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Int64(timegm(&parts))
    }

    /// The leaf certificate's SHA-256 fingerprint (hex), for logs after a reload.
    public var leafFingerprint: String {
        guard let cert = SSL_CTX_get0_certificate(ctx) else { return "" }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(cert, EVP_sha256(), &digest, &length) == 1 else { return "" }
        return digest.prefix(Int(length)).map { String(format2: $0) }.joined()
    }
}

extension String {
    init(format2 byte: UInt8) {
        let hex = Array("0123456789abcdef".utf8)
        self = String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
    }
}
