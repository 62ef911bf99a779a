import COpenSSL

/// Owns one client `SSL_CTX`: TLS 1.2+, the peer's certificate always verified against a trust
/// store, ALPN http/1.1. Immutable once built and shared by every connection of an `HTTPSClient`
/// (OpenSSL allows `SSL_new` on one context from many threads once it is configured).
///
/// There is deliberately no way to turn verification off.
public final class TLSClientContext: @unchecked Sendable {  // why: immutable after init.
    /// Which certificates the client trusts.
    public enum Trust: Sendable, Equatable {
        /// The system trust store, through `SSL_CTX_set_default_verify_paths`: OpenSSL's default
        /// file and directory, or the files named by `SSL_CERT_FILE` / `SSL_CERT_DIR` when set
        /// (read once, when the context is built). Production uses this.
        case system
        /// Only the CA certificates in this PEM file (tests with their own CA).
        case caFile(String)
    }

    let ctx: OpaquePointer

    /// Builds a client context trusting `trust`.
    public init(trust: Trust = .system) throws(TLSError) {
        TLSError.clearErrorQueue()
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw TLSError.drain("SSL_CTX_new(client)") }
        self.ctx = ctx
        // From here on `deinit` frees ctx if we throw.
        guard landing_SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 else {
            throw TLSError.drain("SSL_CTX_set_min_proto_version")
        }
        // why: no renegotiation and no compression (CRIME), as on the server side.
        SSL_CTX_set_options(ctx, UInt64(landing_SSL_OP_NO_RENEGOTIATION() | landing_SSL_OP_NO_COMPRESSION()))
        // why: ACCEPT_MOVING_WRITE_BUFFER because a retried SSL_write may come from a Swift array
        // that has moved (see TLSContext).
        _ = landing_SSL_CTX_set_mode(ctx, landing_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER())
        // why: SSL_VERIFY_PEER on a client makes the handshake fail unless the server's chain
        // verifies; with no callback, OpenSSL's own verdict (and the host check set per SSL) is final.
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        switch trust {
        case .system:
            // why: SSL_CTX_set_default_verify_paths is the documented way to get the system store,
            // and the only one that honours SSL_CERT_FILE / SSL_CERT_DIR.
            guard SSL_CTX_set_default_verify_paths(ctx) == 1 else { throw TLSError.drain("SSL_CTX_set_default_verify_paths") }
        case .caFile(let path):
            guard SSL_CTX_load_verify_locations(ctx, path, nil) == 1 else {
                throw TLSError.drain("SSL_CTX_load_verify_locations \(path)")
            }
        }
        let alpn: [UInt8] = [8] + Array("http/1.1".utf8)
        // why: SSL_CTX_set_alpn_protos returns 0 on success (unlike most OpenSSL calls).
        guard SSL_CTX_set_alpn_protos(ctx, alpn, UInt32(alpn.count)) == 0 else { throw TLSError.drain("SSL_CTX_set_alpn_protos") }
        // A missing default file or directory leaves entries behind that are not failures.
        TLSError.clearErrorQueue()
    }

    deinit { SSL_CTX_free(ctx) }
}
