import LandingCore

/// Why an HTTPS exchange failed: a value, never a crash. OpenSSL's error queue is already drained
/// into the `TLSError`s.
public enum HTTPSClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which part of the exchange ran out of time.
    public enum Phase: String, Sendable, Equatable {
        case connect, handshake, request, response
    }

    /// The host name did not resolve (getaddrinfo's message).
    case resolve(host: String, reason: String)
    /// No address accepted the TCP connection (the last address's error: refused, unreachable…).
    case connect(SystemError)
    /// The connect timeout or the total timeout passed.
    case timeout(Phase)
    /// The server's certificate did not verify for the host (untrusted issuer, wrong name,
    /// expired…): `reason` is OpenSSL's verify result.
    case certificate(reason: String, details: TLSError)
    /// Another TLS failure (handshake, protocol alert, record error).
    case tls(TLSError)
    /// A socket call failed after the connection was made.
    case io(SystemError)
    /// The response was malformed, too large, or cut short.
    case response(HTTPResponseParseError)
    /// The server closed the TCP connection without close_notify while the body ran until close:
    /// the body may have been truncated by an attacker, so it is refused.
    case uncleanClose

    public var description: String {
        switch self {
        case .resolve(let host, let reason): "cannot resolve \(host): \(reason)"
        case .connect(let error): "cannot connect: \(error)"
        case .timeout(let phase): "timed out during \(phase.rawValue)"
        case .certificate(let reason, let details): "certificate verification failed: \(reason) (\(details))"
        case .tls(let error): "\(error)"
        case .io(let error): "\(error)"
        case .response(let error): "invalid response: \(error)"
        case .uncleanClose: "the connection closed without TLS close_notify before the body ended"
        }
    }
}
