import Foundation

/// The JSON responses of the app-facing endpoints (`/v1/`, the webhook, the QA JSON): every body
/// is JSON, never cached, never sniffed; every error is `{"error": "...", "message": "..."}`.
enum APIResponse {
    /// A JSON response from bytes already encoded.
    static func json(_ status: HTTPStatus, bytes: [UInt8]) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        return HTTPResponse(status: status, headers: headers, body: bytes)
    }

    /// A JSON response encoding `object` with sorted keys.
    static func json(_ status: HTTPStatus, _ object: [String: Any]) -> HTTPResponse {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return json(status, bytes: Array(body))
    }

    /// `{"error": code, "message": message}`.
    static func error(_ status: HTTPStatus, _ code: String, _ message: String) -> HTTPResponse {
        json(status, ["error": code, "message": message])
    }

    /// 401 with `WWW-Authenticate: Bearer` (RFC 6750 §3).
    static func unauthorized(_ message: String) -> HTTPResponse {
        var response = error(.unauthorized, "unauthorized", message)
        response.headers.add(name: "WWW-Authenticate", value: "Bearer")
        return response
    }

    /// Seconds a client is asked to wait before retrying after a store failure it may retry.
    static let storeRetryAfterSeconds = 1

    /// The answer to a failed store call, by the error's kind: `.unavailable` and `.conflict` are
    /// 503 `store_unavailable` with `Retry-After` (nothing was written, or the idempotent write
    /// may be replayed); `.corrupt` is 500 `store_error` (retrying will not help; the log says more).
    static func storeFailure(_ error: StoreError, retry message: String = "Try again.") -> HTTPResponse {
        switch error.kind {
        case .unavailable, .conflict:
            var response = Self.error(.serviceUnavailable, "store_unavailable", message)
            // RFC 9110 §10.2.3: delay-seconds.
            response.headers.add(name: "Retry-After", value: String(storeRetryAfterSeconds))
            return response
        case .corrupt:
            return Self.error(.internalServerError, "store_error", "The server could not read or write its records.")
        }
    }
}
