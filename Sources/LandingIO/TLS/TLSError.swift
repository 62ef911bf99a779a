import COpenSSL

/// A failure in the TLS layer: what was being attempted, and everything OpenSSL queued about it.
///
/// OpenSSL reports errors through a per-thread queue rather than return values. Whoever sees a
/// failing call drains that queue immediately (``drain(_:)``), on the same thread, into this value,
/// so that the reasons are neither lost nor misattributed to a later, unrelated call.
/// Failures outside OpenSSL (a file that already exists, a failed `open`) use the same type with an
/// empty ``openSSLErrors`` and the reason in ``operation``.
public struct TLSError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What was being attempted, e.g. `"X509_sign"` or `"open /etc/landing/server.pem: EEXIST"`.
    public var operation: String
    /// The drained OpenSSL error queue, oldest first, each as `ERR_error_string_n` renders it
    /// (plus the error's extra data when OpenSSL attached any). Empty for non-OpenSSL failures.
    public var openSSLErrors: [String]

    /// Creates an error from its parts; most callers want ``drain(_:)`` instead.
    public init(operation: String, openSSLErrors: [String] = []) {
        self.operation = operation
        self.openSSLErrors = openSSLErrors
    }

    /// `operation`, followed by the OpenSSL reasons if there are any.
    public var description: String {
        if openSSLErrors.isEmpty { return "TLS error: \(operation)" }
        return "TLS error: \(operation): \(openSSLErrors.joined(separator: "; "))"
    }
}

extension TLSError {
    /// Drains the calling thread's OpenSSL error queue (ERR_get_error + ERR_error_string_n) into a value.
    ///
    /// Call it right after the failing OpenSSL call, on the same thread; it leaves the queue empty.
    public static func drain(_ operation: String) -> TLSError {
        var messages: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while true {
            var data: UnsafePointer<CChar>? = nil
            var flags: Int32 = 0
            // why: ERR_get_error_all is ERR_get_error plus the optional free-text data some errors
            // carry (e.g. the file name for a failed fopen); the data belongs to the queue entry and
            // must be copied before the next pop.
            let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
            if code == 0 { break }
            let text = buffer.withUnsafeMutableBufferPointer { buf -> String in
                ERR_error_string_n(code, buf.baseAddress, buf.count)
                return String(cString: buf.baseAddress!)
            }
            if flags & ERR_TXT_STRING != 0, let data, data.pointee != 0 {
                messages.append("\(text) (\(String(cString: data)))")
            } else {
                messages.append(text)
            }
        }
        return TLSError(operation: operation, openSSLErrors: messages)
    }

    /// Empties the calling thread's OpenSSL error queue (ERR_clear_error).
    ///
    /// Call it before an OpenSSL call whose failure you will inspect, so that stale entries left by
    /// earlier, unrelated calls are not blamed on it.
    public static func clearErrorQueue() {
        // why: ERR_clear_error resets every slot of the thread's queue (~1,200 instructions, twice
        // per request); the queue is almost always empty, which ERR_peek_error sees cheaply.
        if ERR_peek_error() != 0 { ERR_clear_error() }
    }
}
