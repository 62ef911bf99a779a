import COpenSSL

/// The client side of one TLS connection, with no I/O of its own (like `TLSEngine` on the server
/// side): ciphertext in → plaintext out, plaintext in → ciphertext out. It sets SNI and the name
/// the certificate must match before the handshake. Owns its `SSL` (and through it the BIO) and
/// its scratch memory; not shared between threads.
final class TLSClientSession {
    /// How a call ended.
    enum Outcome: Equatable {
        /// All input was consumed; more may be needed.
        case ok
        /// The peer sent close_notify.
        case closed
        /// A fatal TLS error (any alert for the peer is already in `outbound`).
        case failed(TLSError)
    }

    // why: one BIO_METHOD for the process; OpenSSL never frees methods that BIOs still point at.
    nonisolated(unsafe) private static let bioMethod: OpaquePointer? = landing_bio_method_new()

    private let ssl: OpaquePointer
    private let buffers: UnsafeMutablePointer<landing_bio_buffers>
    private let context: TLSClientContext
    private let plaintextScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 16)
    private let ciphertextScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 32 * 1024, alignment: 16)
    private(set) var isHandshakeComplete = false

    /// A session that will verify the server's certificate for `host` (a DNS name, or an IP
    /// literal when `hostIsIPAddress`).
    init(context: TLSClientContext, host: String, hostIsIPAddress: Bool) throws(TLSError) {
        TLSError.clearErrorQueue()
        guard let ssl = SSL_new(context.ctx) else {
            plaintextScratch.deallocate()
            ciphertextScratch.deallocate()
            throw TLSError.drain("SSL_new")
        }
        guard let method = Self.bioMethod, let bio = BIO_new(method) else {
            SSL_free(ssl)
            plaintextScratch.deallocate()
            ciphertextScratch.deallocate()
            throw TLSError.drain("BIO_new")
        }
        buffers = .allocate(capacity: 1)
        buffers.initialize(to: landing_bio_buffers())
        BIO_set_data(bio, buffers)
        // why: with rbio == wbio SSL_set_bio takes a single reference, which SSL_free releases.
        SSL_set_bio(ssl, bio, bio)
        SSL_set_connect_state(ssl)
        self.ssl = ssl
        self.context = context
        // From here on `deinit` frees everything if we throw.
        if hostIsIPAddress {
            // why: SSL_set1_host matches DNS names only (OpenSSL 3.0); an IP literal must match an
            // iPAddress SAN, which X509_VERIFY_PARAM_set1_ip_asc sets. RFC 6066 §3: no SNI for IPs.
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 else {
                throw TLSError.drain("X509_VERIFY_PARAM_set1_ip_asc \(host)")
            }
        } else {
            // why: without SSL_set1_host OpenSSL verifies the chain but not that it names this
            // host; no partial wildcards (`a*.example.com`), as RFC 6125 §7.2 advises.
            SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
            guard SSL_set1_host(ssl, host) == 1 else { throw TLSError.drain("SSL_set1_host \(host)") }
            // why: SSL_set_tlsext_host_name is a macro over SSL_ctrl, which Swift cannot import.
            let sni = host.withCString { SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: $0)) }
            guard sni == 1 else { throw TLSError.drain("SSL_set_tlsext_host_name \(host)") }
        }
    }

    deinit {
        SSL_free(ssl)
        buffers.deallocate()
        plaintextScratch.deallocate()
        ciphertextScratch.deallocate()
    }

    /// Feeds ciphertext from the server (empty to start the handshake). Decrypted bytes are
    /// appended to `plaintext`, bytes to send to `outbound`.
    func receive(_ input: [UInt8], outbound: inout [UInt8], plaintext: inout [UInt8]) -> Outcome {
        input.withUnsafeBytes { raw in
            buffers.pointee.in = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
            buffers.pointee.in_len = raw.count
            buffers.pointee.in_used = 0
            attachOutput()
            defer {
                collectOutput(into: &outbound)
                buffers.pointee.in = nil
                buffers.pointee.in_len = 0
                buffers.pointee.out = nil
            }
            while true {
                TLSError.clearErrorQueue()
                let n = SSL_read(ssl, plaintextScratch.baseAddress, Int32(plaintextScratch.count))
                if !isHandshakeComplete && SSL_is_init_finished(ssl) == 1 { isHandshakeComplete = true }
                if n > 0 {
                    plaintext.append(contentsOf: UnsafeRawBufferPointer(rebasing: plaintextScratch[0..<Int(n)]))
                    continue
                }
                switch SSL_get_error(ssl, n) {
                case SSL_ERROR_WANT_READ:
                    return .ok
                case SSL_ERROR_WANT_WRITE:
                    collectOutput(into: &outbound)
                case SSL_ERROR_ZERO_RETURN:
                    return .closed
                default:
                    return .failed(TLSError.drain(isHandshakeComplete ? "SSL_read" : "TLS handshake"))
                }
            }
        }
    }

    /// Encrypts `plaintext` and appends the records to `outbound`.
    func send(_ plaintext: [UInt8], outbound: inout [UInt8]) -> Outcome {
        guard !plaintext.isEmpty else { return .ok }
        return plaintext.withUnsafeBytes { raw in
            attachOutput()
            defer {
                collectOutput(into: &outbound)
                buffers.pointee.out = nil
            }
            var offset = 0
            while offset < raw.count {
                TLSError.clearErrorQueue()
                let n = SSL_write(ssl, raw.baseAddress! + offset, Int32(min(raw.count - offset, 1 << 30)))
                if n > 0 {
                    offset += Int(n)
                    continue
                }
                switch SSL_get_error(ssl, n) {
                case SSL_ERROR_WANT_WRITE:
                    // why: the scratch filled up; empty it and retry the same write.
                    collectOutput(into: &outbound)
                default:
                    return .failed(TLSError.drain("SSL_write"))
                }
            }
            return .ok
        }
    }

    /// Sends close_notify (appended to `outbound`) when the handshake completed.
    func close(outbound: inout [UInt8]) {
        attachOutput()
        defer {
            collectOutput(into: &outbound)
            buffers.pointee.out = nil
        }
        TLSError.clearErrorQueue()
        if SSL_is_init_finished(ssl) == 1 { _ = SSL_shutdown(ssl) }
        TLSError.clearErrorQueue()
    }

    /// Why the certificate was refused, when it was (X509_verify_cert_error_string), else nil.
    var verificationFailure: String? {
        let result = SSL_get_verify_result(ssl)
        guard result != X509_V_OK else { return nil }
        return String(cString: X509_verify_cert_error_string(result))
    }

    private func attachOutput() {
        buffers.pointee.out = ciphertextScratch.baseAddress?.assumingMemoryBound(to: UInt8.self)
        buffers.pointee.out_cap = ciphertextScratch.count
        buffers.pointee.out_len = 0
    }

    private func collectOutput(into outbound: inout [UInt8]) {
        let n = buffers.pointee.out_len
        if n > 0 {
            outbound.append(contentsOf: UnsafeRawBufferPointer(rebasing: ciphertextScratch[0..<n]))
            buffers.pointee.out_len = 0
        }
    }
}
