/// Why an `application/x-www-form-urlencoded` body or a query string was refused.
public enum FormDecodingError: Error, Sendable, Equatable {
    /// A `%` not followed by two hex digits.
    case malformedPercentEncoding
    /// A decoded name or value is not valid UTF-8.
    case invalidUTF8
    /// A raw (not percent-encoded) byte outside visible ASCII `%x21-7E`: a control, a space, or a
    /// byte ≥ 0x80.
    case invalidCharacter
    /// More name/value pairs than the decoder's limit.
    case tooManyParameters

    /// A sentence safe to show on a page: it never quotes the input.
    public var explanation: String {
        switch self {
        case .malformedPercentEncoding:
            "The address has a '%' that is not followed by two hexadecimal digits."
        case .invalidUTF8:
            "The address has a percent-encoded parameter that is not valid UTF-8 text."
        case .invalidCharacter:
            "The address has a space, a control character or a non-ASCII character that is not percent-encoded."
        case .tooManyParameters:
            "The address has too many parameters."
        }
    }
}

/// A strict decoder for `application/x-www-form-urlencoded` bodies and URL query strings.
///
/// It follows the WHATWG URL Standard's "application/x-www-form-urlencoded parser" (§5.1) but
/// refuses input a browser would never produce, instead of repairing it:
///   1. split on `&`; empty pieces are skipped;
///   2. split each piece at its first `=` (no `=` → the value is empty);
///   3. `+` → space, `%HH` → that byte (hex digits in either case);
///   4. a `%` not followed by two hex digits → `malformedPercentEncoding` (WHATWG keeps it literally);
///   5. the decoded bytes of each name and value must be UTF-8 → else `invalidUTF8` (WHATWG
///      substitutes U+FFFD);
///   6. every raw byte must be visible ASCII `%x21-7E` → else `invalidCharacter`;
///   7. at most `maxParameters` pairs → else `tooManyParameters`.
/// A query string is passed without its leading `?`. Names and values are returned in order,
/// repeats included: rejecting repeats is the caller's policy (see `CallbackParameters`).
public enum FormDecoder {
    /// The default bound on name/value pairs.
    public static let defaultMaxParameters = 1000

    /// Decodes `bytes`; see the type's documentation for the rules.
    public static func decode(
        _ bytes: some Collection<UInt8>, maxParameters: Int = defaultMaxParameters
    ) throws(FormDecodingError) -> [(name: String, value: String)] {
        let input = Array(bytes)
        var pairs: [(name: String, value: String)] = []
        var start = 0
        while start <= input.count {
            let end = input[start...].firstIndex(of: UInt8(ascii: "&")) ?? input.count
            if end > start {
                guard pairs.count < maxParameters else { throw .tooManyParameters }
                let piece = input[start..<end]
                let equals = piece.firstIndex(of: UInt8(ascii: "="))
                let name = try decodeComponent(piece[..<(equals ?? end)])
                var value = ""
                if let equals { value = try decodeComponent(piece[(equals + 1)...]) }
                pairs.append((name: name, value: value))
            }
            start = end + 1
        }
        return pairs
    }

    /// Decodes the UTF-8 of `text`; see `decode(_:maxParameters:)` on bytes.
    public static func decode(
        _ text: some StringProtocol, maxParameters: Int = defaultMaxParameters
    ) throws(FormDecodingError) -> [(name: String, value: String)] {
        try decode(text.utf8, maxParameters: maxParameters)
    }

    /// One name or value: `+` → space, `%HH` → byte, then UTF-8 validation.
    private static func decodeComponent(_ raw: ArraySlice<UInt8>) throws(FormDecodingError) -> String {
        // why: most names and values need no decoding (no `%`, no `+`): checked and made a String
        // in one pass, without the intermediate buffer. Up to the first `%` or `+`, this checks
        // the bytes in the order the loop below does, so the error reported is the same.
        var plain = true
        for byte in raw {
            guard byte >= 0x21, byte <= 0x7E else { throw .invalidCharacter }
            if byte == UInt8(ascii: "%") || byte == UInt8(ascii: "+") {
                plain = false
                break
            }
        }
        // Visible ASCII only: valid UTF-8 as it is.
        if plain { return String(decoding: raw, as: UTF8.self) }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index < raw.endIndex {
            let byte = raw[index]
            // Raw bytes: visible ASCII only (VCHAR, RFC 5234 `%x21-7E`).
            guard byte >= 0x21, byte <= 0x7E else { throw .invalidCharacter }
            switch byte {
            case UInt8(ascii: "+"):
                decoded.append(UInt8(ascii: " "))
                index += 1
            case UInt8(ascii: "%"):
                // pct-encoded = "%" HEXDIG HEXDIG (RFC 3986 §2.1)
                guard index + 2 < raw.endIndex,
                    let high = hexValue(raw[index + 1]), let low = hexValue(raw[index + 2])
                else { throw .malformedPercentEncoding }
                decoded.append(high << 4 | low)
                index += 3
            default:
                decoded.append(byte)
                index += 1
            }
        }
        guard let text = String(validating: decoded, as: UTF8.self) else { throw .invalidUTF8 }
        return text
    }

    /// The value of one hex digit (either case), or nil.
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
