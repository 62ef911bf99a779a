import COpenSSL

/// The server side of one TLS connection, with no I/O of its own: ciphertext in → plaintext out and
/// plaintext in → ciphertext out. The shell moves bytes between it and the socket; tests join two
/// engines in memory. Owns its `SSL` (and through it the BIO) and frees it in `deinit`.
public final class TLSEngine {
    /// How a call ended.
    public enum Outcome: Equatable, Sendable {
        /// All input was consumed; more may be needed.
        case ok
        /// The peer sent close_notify.
        case closed
        /// A fatal TLS error (any alert for the peer is already in `outbound`).
        case failed(TLSError)
    }

    /// Scratch memory for one call, lent by the caller (one per event loop, so idle connections
    /// hold none). `plaintext` receives decrypted bytes; `ciphertext` receives bytes to send.
    public struct Scratch {
        public var plaintext: UnsafeMutableRawBufferPointer
        public var ciphertext: UnsafeMutableRawBufferPointer
        public init(plaintext: UnsafeMutableRawBufferPointer, ciphertext: UnsafeMutableRawBufferPointer) {
            self.plaintext = plaintext
            self.ciphertext = ciphertext
        }
        /// Allocates scratch space; the caller deallocates it with `deallocate()`.
        public static func allocate() -> Scratch {
            Scratch(plaintext: .allocate(byteCount: 32 * 1024, alignment: 16), ciphertext: .allocate(byteCount: 80 * 1024, alignment: 16))
        }
        public func deallocate() {
            plaintext.deallocate()
            ciphertext.deallocate()
        }
    }

    // why: one BIO_METHOD for the process; OpenSSL never frees methods that BIOs still point at.
    nonisolated(unsafe) private static let bioMethod: OpaquePointer? = landing_bio_method_new()

    private let ssl: OpaquePointer
    private let buffers: UnsafeMutablePointer<landing_bio_buffers>
    private let context: TLSContext
    public private(set) var isHandshakeComplete = false

    /// Creates the server side of a new connection on `context` (the client side with `isClient`,
    /// which only tests use).
    public init(context: TLSContext, isClient: Bool = false) throws(TLSError) {
        TLSError.clearErrorQueue()
        guard let ssl = SSL_new(context.ctx) else { throw TLSError.drain("SSL_new") }
        guard let method = Self.bioMethod, let bio = BIO_new(method) else {
            SSL_free(ssl)
            throw TLSError.drain("BIO_new")
        }
        buffers = .allocate(capacity: 1)
        buffers.initialize(to: landing_bio_buffers())
        BIO_set_data(bio, buffers)
        // why: with rbio == wbio SSL_set_bio takes a single reference, which SSL_free releases.
        SSL_set_bio(ssl, bio, bio)
        if isClient { SSL_set_connect_state(ssl) } else { SSL_set_accept_state(ssl) }
        self.ssl = ssl
        self.context = context
    }

    deinit {
        SSL_free(ssl)
        buffers.deallocate()
    }

    /// Feeds ciphertext received from the peer. Decrypted application data is passed to `deliver`
    /// (the pointer is only valid during the call); handshake messages, tickets and alerts to send are
    /// appended to `outbound`.
    public func receive(
        _ input: UnsafeRawBufferPointer, scratch: Scratch, outbound: inout [UInt8],
        deliver: (UnsafeRawBufferPointer) -> Void
    ) -> Outcome {
        buffers.pointee.in = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        buffers.pointee.in_len = input.count
        buffers.pointee.in_used = 0
        attachOutput(scratch)
        defer {
            collectOutput(scratch, into: &outbound)
            buffers.pointee.in = nil
            buffers.pointee.in_len = 0
            buffers.pointee.out = nil
        }
        let plain = scratch.plaintext
        while true {
            TLSError.clearErrorQueue()
            let n = SSL_read(ssl, plain.baseAddress, Int32(plain.count))
            if !isHandshakeComplete && SSL_is_init_finished(ssl) == 1 { isHandshakeComplete = true }
            if n > 0 {
                deliver(UnsafeRawBufferPointer(rebasing: plain[0..<Int(n)]))
                // why: once OpenSSL has taken every input byte and holds nothing back (no record
                // bytes or plaintext buffered: SSL_has_pending), another SSL_read can only find the
                // input empty and say WANT_READ; skipping it saves a call per request.
                if buffers.pointee.in_used == buffers.pointee.in_len && SSL_has_pending(ssl) == 0 { return .ok }
                continue
            }
            switch SSL_get_error(ssl, n) {
            case SSL_ERROR_WANT_READ:
                return .ok
            case SSL_ERROR_WANT_WRITE:
                collectOutput(scratch, into: &outbound)
            case SSL_ERROR_ZERO_RETURN:
                return .closed
            default:
                return .failed(TLSError.drain(isHandshakeComplete ? "SSL_read" : "TLS handshake"))
            }
        }
    }

    /// Encrypts `plaintext` and appends the records to `outbound`.
    public func send(_ plaintext: UnsafeRawBufferPointer, scratch: Scratch, outbound: inout [UInt8]) -> Outcome {
        send(plaintext, scratch: scratch) { outbound.append(contentsOf: $0) }
    }

    /// Encrypts `plaintext` and passes the records to `emit` straight from the scratch (the pointer
    /// is only valid during the call; one call per scratch-full, so usually one), so the caller can
    /// write them to the socket without copying them first.
    public func send(_ plaintext: UnsafeRawBufferPointer, scratch: Scratch, emit: (UnsafeRawBufferPointer) -> Void) -> Outcome {
        guard plaintext.count > 0 else { return .ok }
        attachOutput(scratch)
        defer {
            emitOutput(scratch, emit)
            buffers.pointee.out = nil
        }
        var offset = 0
        while offset < plaintext.count {
            TLSError.clearErrorQueue()
            let chunk = min(plaintext.count - offset, 1 << 30)
            let n = SSL_write(ssl, plaintext.baseAddress! + offset, Int32(chunk))
            if n > 0 {
                offset += Int(n)
                continue
            }
            switch SSL_get_error(ssl, n) {
            case SSL_ERROR_WANT_WRITE:
                // why: the scratch filled up; empty it and retry the same write (OpenSSL requires the
                // same arguments, which ACCEPT_MOVING_WRITE_BUFFER relaxes to the same bytes).
                emitOutput(scratch, emit)
            default:
                return .failed(TLSError.drain("SSL_write"))
            }
        }
        return .ok
    }

    /// Starts the handshake from the client side (tests): appends the ClientHello to `outbound`.
    func startHandshake(scratch: Scratch, outbound: inout [UInt8]) -> Outcome {
        receive(UnsafeRawBufferPointer(start: nil, count: 0), scratch: scratch, outbound: &outbound) { _ in }
    }

    /// Sends close_notify (appended to `outbound`).
    public func close(scratch: Scratch, outbound: inout [UInt8]) {
        attachOutput(scratch)
        defer {
            collectOutput(scratch, into: &outbound)
            buffers.pointee.out = nil
        }
        TLSError.clearErrorQueue()
        if SSL_is_init_finished(ssl) == 1 { _ = SSL_shutdown(ssl) }
        TLSError.clearErrorQueue()
    }

    /// The protocol ALPN selected, if any.
    public var negotiatedALPN: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// "TLSv1.3" etc.
    public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// Whether the handshake resumed a session instead of a full handshake.
    public var sessionReused: Bool { landing_SSL_session_reused(ssl) == 1 }

    @inline(__always)
    private func attachOutput(_ scratch: Scratch) {
        buffers.pointee.out = scratch.ciphertext.baseAddress?.assumingMemoryBound(to: UInt8.self)
        buffers.pointee.out_cap = scratch.ciphertext.count
        buffers.pointee.out_len = 0
    }

    @inline(__always)
    private func emitOutput(_ scratch: Scratch, _ emit: (UnsafeRawBufferPointer) -> Void) {
        let n = buffers.pointee.out_len
        if n > 0 {
            buffers.pointee.out_len = 0
            emit(UnsafeRawBufferPointer(rebasing: scratch.ciphertext[0..<n]))
        }
    }

    @inline(__always)
    private func collectOutput(_ scratch: Scratch, into outbound: inout [UInt8]) {
        let n = buffers.pointee.out_len
        if n > 0 {
            outbound.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch.ciphertext[0..<n]))
            buffers.pointee.out_len = 0
        }
    }
}
