import LandingCore

/// Why a call to Pluggy's API gave no answer. Every outage is one of these values; none crashes or
/// blocks past the HTTP client's timeouts.
public enum PluggyClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The item id is not one (`CallbackParameters.isValidItemId`); nothing was sent.
    case invalidItemId
    /// `POST /auth` refused the client id and secret (401 or 403).
    case authenticationRejected(status: Int)
    /// No API key: the last `/auth` attempt failed recently (`retryAfter` seconds until the next
    /// may start), or waiting for another caller's refresh timed out (nil).
    case authenticationUnavailable(retryAfter: Double?)
    /// `GET /items/{id}` answered 401 even with a freshly obtained key.
    case unauthorized
    /// 429 Too Many Requests; `retryAfter` seconds from now when the answer said (`Retry-After`).
    case rateLimited(retryAfter: Double?)
    /// 404: Pluggy does not know the item (or the key may not see it).
    case itemNotFound
    /// Any other status code.
    case unexpectedStatus(Int)
    /// A 2xx whose body was refused.
    case invalidResponse(PluggyDecodeError)
    /// The item returned is not the one asked for.
    case itemMismatch
    /// The request did not complete: DNS, connect, TLS, certificate, timeout, malformed response.
    case transport(HTTPSClientError)
    /// More requests are queued than `maxQueuedRequests`.
    case overloaded
    /// The client was shut down.
    case shutDown

    /// The delay a 429 asked for, if any.
    public var retryAfter: Double? {
        switch self {
        case .rateLimited(let delay), .authenticationUnavailable(let delay): delay
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .invalidItemId: "invalid item id"
        case .authenticationRejected(let status): "Pluggy refused the client credentials (\(status))"
        case .authenticationUnavailable(let delay): "no Pluggy API key available" + (delay.map { " (next attempt in \($0) s)" } ?? "")
        case .unauthorized: "Pluggy answered 401 with a fresh API key"
        case .rateLimited(let delay): "Pluggy rate limit (429)" + (delay.map { ", retry after \($0) s" } ?? "")
        case .itemNotFound: "Pluggy does not know the item (404)"
        case .unexpectedStatus(let status): "unexpected status \(status) from Pluggy"
        case .invalidResponse(let error): "invalid response from Pluggy: \(error)"
        case .itemMismatch: "Pluggy returned another item"
        case .transport(let error): "\(error)"
        case .overloaded: "too many Pluggy requests queued"
        case .shutDown: "the Pluggy client is shut down"
        }
    }
}
