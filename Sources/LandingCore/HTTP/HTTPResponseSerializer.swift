/// Turns an `HTTPResponse` into HTTP/1.1 bytes.
public enum HTTPResponseSerializer {
    /// Appends the status line, headers and (unless `headOnly`) body to `buffer`.
    /// - Parameters:
    ///   - headOnly: the request was HEAD: send the headers a GET would get, no body (RFC 9110 §9.3.2).
    ///   - keepAlive: whether the connection stays open; `false` adds `Connection: close`.
    ///   - date: the IMF-fixdate for the `Date` header (RFC 9110 §6.6.1), cached by the caller.
    ///   - requestID: sent as `X-Request-Id` after the response's own fields, when given.
    ///   - strictTransportSecurity: adds `Strict-Transport-Security: max-age=31536000` last (the
    ///     connection is TLS: RFC 6797 §7.1; responses never carry their own).
    // why: the connection's fields are written here rather than added to `response.headers`:
    // adding them copied the response's field array on every response.
    public static func serialize(
        _ response: HTTPResponse, headOnly: Bool, keepAlive: Bool, date: String,
        requestID: String? = nil, strictTransportSecurity: Bool = false, into buffer: inout [UInt8]
    ) {
        buffer.reserveCapacity(buffer.count + 160 + response.body.count + response.headers.count * 48)
        append("HTTP/1.1 ", to: &buffer)
        appendDecimal(response.status.code, to: &buffer)
        buffer.append(0x20)
        append(response.status.reasonPhrase, to: &buffer)
        append("\r\nDate: ", to: &buffer)
        append(date, to: &buffer)
        // RFC 9110 §8.6: 1xx and 204 carry no Content-Length; 304 may omit it.
        let code = response.status.code
        if code != 204 && code != 304 && !(100...199).contains(code) {
            append("\r\nContent-Length: ", to: &buffer)
            appendDecimal(response.body.count, to: &buffer)
        }
        let headers = response.headers
        buffer.append(contentsOf: headers.serializedFields)
        for field in headers.fields[headers.serializedCount...] {
            append("\r\n", to: &buffer)
            append(field.name, to: &buffer)
            append(": ", to: &buffer)
            append(field.value, to: &buffer)
        }
        if let requestID {
            append("\r\nX-Request-Id: ", to: &buffer)
            append(requestID, to: &buffer)
        }
        if strictTransportSecurity {
            append("\r\nStrict-Transport-Security: max-age=31536000", to: &buffer)
        }
        if !keepAlive {
            append("\r\nConnection: close", to: &buffer)
        }
        append("\r\n\r\n", to: &buffer)
        if !headOnly && code != 204 && code != 304 {
            buffer.append(contentsOf: response.body)
        }
    }

    @inline(__always)
    static func append(_ string: String, to buffer: inout [UInt8]) {
        var string = string
        string.withUTF8 { buffer.append(contentsOf: $0) }
    }

    static func appendDecimal(_ value: Int, to buffer: inout [UInt8]) {
        if value == 0 {
            buffer.append(0x30)
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { raw in
            while v > 0 {
                raw[count] = UInt8(0x30 + v % 10)
                v /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) { buffer.append(raw[i]) }
        }
    }
}
