/// Finding line ends (RFC 9112 §2.2): CRLF only, no bare CR or LF.
extension HTTPRequestParser {
    /// The outcome of looking for the CRLF that ends a line.
    enum LineScan: Equatable {
        /// No CRLF yet; scanning resumes at the given index.
        case needMore(resume: Int)
        /// The line's content ends before `end` (its CR); the next line starts at `next` (end + 2).
        case line(end: Int, next: Int)
        /// A CR not followed by LF, or an LF not preceded by CR.
        case bareLineBreak
        /// A content byte at or past `limit`.
        case overLimit
    }

    /// Scans `bytes[from...]` for the CRLF ending the current line.
    ///
    /// Every byte is looked at once across calls: `needMore` says where to resume (at a trailing
    /// CR whose successor has not arrived yet, or at the end). The checks run in byte order, so
    /// the outcome does not depend on how the input was split. CR and LF are never counted against
    /// `limit`, which lets the empty line that ends a header section of exactly the limit through.
    static func scanLine(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, limit: Int) -> LineScan {
        let count = bytes.count
        var p = from
        while p < count {
            let b = bytes[p]
            if b > HTTPGrammar.cr {
                if p >= limit { return .overLimit }
                p &+= 1
                continue
            }
            // RFC 9112 §2.2: "A sender MUST NOT generate a bare CR (a CR character not immediately
            // followed by LF) within any protocol elements other than the content. A recipient of
            // such a bare CR MUST consider that element to be invalid". We also require CRLF as
            // the line terminator (no bare LF), so a lone LF is the same error.
            if b == HTTPGrammar.cr {
                guard p + 1 < count else { return .needMore(resume: p) }
                guard bytes[p + 1] == HTTPGrammar.lf else { return .bareLineBreak }
                return .line(end: p, next: p + 2)
            }
            if b == HTTPGrammar.lf { return .bareLineBreak }
            if p >= limit { return .overLimit }
            p &+= 1
        }
        return .needMore(resume: p)
    }
}
