/// Text helpers shared by the config parser, its error messages, the usage text and the effective
/// configuration printout.
enum ConfigText {
    /// Longest piece of a user-supplied value an error message repeats.
    static let maxQuotedLength = 120

    /// `value` between single quotes, safe to print on a terminal: control and other non-printable
    /// characters are escaped (`\n`, `\u{1B}`), and very long values are cut with `…`.
    static func quoted(_ value: String) -> String {
        "'" + escaped(value, limit: maxQuotedLength) + "'"
    }

    /// `value` with control characters escaped, so that one setting stays on one line.
    // why: values come from argv, the environment and files; echoing an ESC sequence could rewrite
    // the operator's terminal, and a newline would forge a `key = value` line in check-config output.
    static func escaped(_ value: String, limit: Int = .max) -> String {
        var out = ""
        var count = 0
        for scalar in value.unicodeScalars {
            if count == limit {
                out += "…"
                break
            }
            count += 1
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
                    || scalar.properties.generalCategory == .format
                {
                    out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// `["a", "b", "c"]` → `a, b or c`.
    static func list(_ items: [String], conjunction: String = "or") -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " \(conjunction) " + items.last!
    }

    /// Seconds as an operator would write them: `10`, `0.3`, `2.5`.
    static func decimal(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
            return String(Int(value))
        }
        return "\(value)"
    }

    /// The candidate closest to `word` when it is near enough to be a typo (at most 2 edits, and
    /// fewer than half the letters), for "did you mean" hints.
    static func closest(to word: String, among candidates: [String]) -> String? {
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(word, candidate)
            if distance <= 2, distance * 2 < max(word.count, 2),
                best == nil || distance < best!.distance
            {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    /// Levenshtein distance over Unicode scalars.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// `text` broken into lines of at most `width` columns (words longer than a line stay whole),
    /// each prefixed by `indent` spaces.
    static func wrap(_ text: String, width: Int, indent: Int) -> [String] {
        let prefix = String(repeating: " ", count: indent)
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if line.isEmpty {
                line = prefix + word
            } else if line.count + 1 + word.count <= width {
                line += " " + word
            } else {
                lines.append(line)
                line = prefix + word
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
