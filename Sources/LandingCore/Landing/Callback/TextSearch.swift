/// Literal substring search over UTF-8 bytes, for the callback's per-request checks (secret
/// parameter names, User-Agent markers): byte for byte, no Unicode normalization, no allocation.
// why: Foundation's `String.contains(_:)` goes through `NSString.range(of:)` and costs thousands
// of instructions a call; every needle searched for here is ASCII, which byte matching finds
// exactly.
enum TextSearch {
    /// Whether `needle`'s bytes occur in `text`'s bytes (an empty needle occurs in every text).
    static func contains(_ text: String, _ needle: String) -> Bool {
        var text = text
        var needle = needle
        return text.withUTF8 { haystack in
            needle.withUTF8 { pattern in
                let count = pattern.count
                guard count > 0 else { return true }
                guard haystack.count >= count else { return false }
                let first = pattern[0]
                var start = 0
                let lastStart = haystack.count - count
                while start <= lastStart {
                    if haystack[start] == first {
                        var matched = 1
                        while matched < count && haystack[start + matched] == pattern[matched] { matched += 1 }
                        if matched == count { return true }
                    }
                    start += 1
                }
                return false
            }
        }
    }
}
