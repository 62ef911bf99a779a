import Foundation

/// Picks the page language from `Accept-Language` (RFC 9110 §12.5.4), honouring q-values.
public enum LanguageNegotiation {
    /// Returns one of `supported` (e.g. `["en", "pt-BR"]`); the first is the default.
    /// Matching: an exact tag (case-insensitive) wins; then a primary-language match
    /// (`pt`, `pt-PT` → `pt-BR`); `*` → the default; q=0 excludes.
    public static func choose(acceptLanguage: String?, supported: [String]) -> String {
        guard let fallback = supported.first else { return "en" }
        guard let header = acceptLanguage, !header.isEmpty, header.utf8.count <= 1024 else { return fallback }
        var ranges: [(tag: String, q: Double, order: Int)] = []
        for (order, part) in header.split(separator: ",").prefix(32).enumerated() {
            let pieces = part.split(separator: ";")
            guard let first = pieces.first else { continue }
            let tag = String(first).trimmingCharacters(in: .whitespaces).lowercased()
            guard !tag.isEmpty, tag.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "*") || ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) }) else { continue }
            var q = 1.0
            for parameter in pieces.dropFirst() {
                let p = String(parameter).trimmingCharacters(in: .whitespaces)
                if p.hasPrefix("q=") || p.hasPrefix("Q=") {
                    guard let value = Double(p.dropFirst(2)), value >= 0, value <= 1 else { q = -1; break }
                    q = value
                }
            }
            if q > 0 { ranges.append((tag, q, order)) }
        }
        ranges.sort { $0.q != $1.q ? $0.q > $1.q : $0.order < $1.order }
        for range in ranges {
            if range.tag == "*" { return fallback }
            if let exact = supported.first(where: { $0.lowercased() == range.tag }) { return exact }
            let primary = range.tag.split(separator: "-").first.map(String.init) ?? range.tag
            if let partial = supported.first(where: { $0.lowercased().split(separator: "-").first.map(String.init) == primary }) {
                return partial
            }
        }
        return fallback
    }
}
