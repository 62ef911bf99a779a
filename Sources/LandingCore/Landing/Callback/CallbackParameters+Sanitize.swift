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

    /// Most characters of a bank's message (`error_description`, a webhook's `error.message`) kept
    /// for display.
    public static let maxDisplayTextCharacters = 300

    /// Makes a bank's message displayable in its own language (banks in Brazil write Portuguese):
    /// UTF-8 is kept, control characters (C0, DEL, C1) become spaces, bidirectional controls and
    /// other invisible formatting that could reorder or hide text (U+061C, U+200B–U+200F,
    /// U+202A–U+202E, U+2060–U+2069, U+FEFF) are removed, line and paragraph separators become
    /// spaces, runs of spaces collapse, and the text is cut to `maxDisplayTextCharacters`
    /// characters with `…`. Only a bounded prefix is read, so a huge input costs nothing. nil when
    /// nothing visible is left.
    ///
    /// For display only, where the output is escaped (HTML, JSON): anything echoed in a header or a
    /// URL stays under `sanitize` (RFC 6749's NQSCHAR).
    public static func displayText(_ text: String, maxCharacters: Int = maxDisplayTextCharacters) -> String? {
        var scalars = String.UnicodeScalarView()
        var pendingSpace = false
        // why: a character is at most a few scalars in real text; reading 8× the cap in scalars
        // bounds the work however long (or combining-mark heavy) the input is.
        for scalar in text.unicodeScalars.prefix(max(0, maxCharacters) * 8) {
            let value = scalar.value
            let isSpace = value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029 || scalar.properties.isWhitespace
            let isInvisible =
                value == 0x061C || (0x200B...0x200F).contains(value) || (0x202A...0x202E).contains(value)
                || (0x2060...0x2069).contains(value) || value == 0xFEFF
            if isInvisible { continue }
            if isSpace {
                pendingSpace = !scalars.isEmpty
                continue
            }
            if pendingSpace { scalars.append(" ") }
            pendingSpace = false
            scalars.append(scalar)
        }
        let result = String(scalars)
        guard !result.isEmpty else { return nil }
        guard result.count > maxCharacters else { return result }
        return String(result.prefix(max(0, maxCharacters - 1))) + "…"
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
