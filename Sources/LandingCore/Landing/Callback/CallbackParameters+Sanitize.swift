extension CallbackParameters {
    /// Makes `text` safe plain ASCII: every Unicode scalar outside RFC 6749's NQSCHAR set
    /// (§4.1.2.1, `%x20-21 / %x23-5B / %x5D-7E`: printable ASCII without `"` and `\`) becomes `?`,
    /// and the result is cut to `maxLength` characters (plain truncation, no ellipsis). Only the
    /// first `maxLength` scalars are read, so a huge input costs nothing.
    public static func sanitize(_ text: String, maxLength: Int) -> String {
        var result = ""
        result.unicodeScalars.reserveCapacity(min(maxLength, text.utf8.count))
        for scalar in text.unicodeScalars.prefix(max(0, maxLength)) {
            result.unicodeScalars.append(isNQSChar(scalar) ? scalar : "?")
        }
        return result
    }

    /// NQSCHAR = %x21 / %x23-5B / %x5D-7E, plus SP as `error_description` allows it.
    static func isNQSChar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20...0x21, 0x23...0x5B, 0x5D...0x7E: true
        default: false
        }
    }

    /// `iss` sanitized like the error texts, except that a value longer than `maxErrorTextLength`
    /// keeps one character less and ends in `?`.
    ///
    /// why: RFC 9207 issuers are compared exactly. An issuer identifier is an https URL without a
    /// query (RFC 8414 §2), so it never contains `?`: whatever sanitizing changed (a replaced
    /// character or a cut) leaves a `?` and can never equal the expected issuer by accident.
    static func sanitizeIssuer(_ text: String) -> String {
        guard !text.unicodeScalars.dropFirst(maxErrorTextLength).isEmpty else {
            return sanitize(text, maxLength: maxErrorTextLength)
        }
        return sanitize(text, maxLength: maxErrorTextLength - 1) + "?"
    }
}
