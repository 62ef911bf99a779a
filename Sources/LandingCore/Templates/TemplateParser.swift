/// Parses template source into `TemplateNode`s, once, at load time. Strict: anything that is not
/// one of the tags below is an error with the line and column of its `{{`.
///
///     {{name}}  {{a.b}}  {{.}}      value, HTML-escaped
///     {{json name}}                 value as script-safe JSON
///     {{#name}} … {{/name}}         section: rendered when truthy, once per list element
///     {{^name}} … {{/name}}         inverted section: rendered when falsy
///     {{! comment }}                nothing
///     {{> partial}}                 another template of the set
///
/// A line holding only a section, inverted, close, comment or partial tag (and spaces or tabs)
/// renders nothing of its own: its indentation and line break are dropped, as in Mustache.
struct TemplateParser {
    private let bytes: [UInt8]
    private let file: String

    /// Parses `source`; `file` names it in errors (`landing.html`).
    static func parse(_ source: String, file: String) throws(TemplateError) -> [TemplateNode] {
        let parser = TemplateParser(bytes: Array(source.utf8), file: file)
        return try parser.parseAll()
    }

    /// What one `{{…}}` holds.
    private enum Tag {
        case variable(TemplatePath)
        case json(TemplatePath)
        case open(String, inverted: Bool)
        case close(String)
        case comment
        case partial(String)

        /// Tags that do not print anything, so a line holding only one of them is dropped.
        var canStandAlone: Bool {
            switch self {
            case .variable, .json: false
            case .open, .close, .comment, .partial: true
            }
        }
    }

    /// A section being parsed (the bottom frame is the template itself).
    private struct Frame {
        var name: String
        var inverted: Bool
        /// Byte offset of the opening tag's `{{`.
        var offset: Int
        var nodes: [TemplateNode] = []
    }

    private func parseAll() throws(TemplateError) -> [TemplateNode] {
        var frames = [Frame(name: "", inverted: false, offset: 0)]
        var textStart = 0
        while let open = find(UInt8(ascii: "{"), from: textStart) {
            guard let close = find(UInt8(ascii: "}"), from: open + 2) else { throw error(.unclosedTag, at: open) }
            let tag = try classify(open + 2..<close, tagOffset: open)
            var textEnd = open
            var next = close + 2
            if tag.canStandAlone, let line = standaloneLine(open: open, end: close + 2) {
                textEnd = max(line.lowerBound, textStart)
                next = line.upperBound
            }
            appendText(textStart..<textEnd, to: &frames[frames.count - 1])
            textStart = next

            switch tag {
            case .variable(let path):
                frames[frames.count - 1].nodes.append(.variable(path))
            case .json(let path):
                frames[frames.count - 1].nodes.append(.json(path))
            case .comment:
                break
            case .partial(let name):
                frames[frames.count - 1].nodes.append(.partial(name, at: TemplateLocation(offset: open, in: bytes)))
            case .open(let name, let inverted):
                frames.append(Frame(name: name, inverted: inverted, offset: open))
            case .close(let name):
                let innermost = frames[frames.count - 1]
                guard frames.count > 1 else { throw error(.unopenedSectionClose(name), at: open) }
                guard innermost.name == name else {
                    let opened = TemplateLocation(offset: innermost.offset, in: bytes)
                    throw error(
                        .mismatchedSectionClose(
                            found: name, sigil: innermost.inverted ? "^" : "#", open: innermost.name,
                            line: opened.line, column: opened.column),
                        at: open)
                }
                frames.removeLast()
                frames[frames.count - 1].nodes.append(
                    .section(TemplatePath(name), innermost.nodes, inverted: innermost.inverted))
            }
        }
        appendText(textStart..<bytes.count, to: &frames[frames.count - 1])
        if frames.count > 1 {
            let innermost = frames[frames.count - 1]
            let opened = TemplateLocation(offset: innermost.offset, in: bytes)
            throw error(
                .unclosedSection(
                    sigil: innermost.inverted ? "^" : "#", name: innermost.name, line: opened.line, column: opened.column),
                at: innermost.offset)
        }
        return frames[0].nodes
    }

    /// Reads what is between `{{` and `}}`; whitespace around the content is allowed.
    private func classify(_ range: Range<Int>, tagOffset: Int) throws(TemplateError) -> Tag {
        let content = trimmed(range)
        guard let first = content.first.map({ bytes[$0] }) else { throw error(.badName(""), at: tagOffset) }
        let rest = trimmed(content.dropFirst())
        switch first {
        case UInt8(ascii: "!"):
            return .comment
        case UInt8(ascii: "#"), UInt8(ascii: "^"), UInt8(ascii: "/"):
            let name = text(rest)
            guard TemplatePath.isValid(name[...]) else { throw error(.badName(name), at: tagOffset) }
            if first == UInt8(ascii: "/") { return .close(name) }
            return .open(name, inverted: first == UInt8(ascii: "^"))
        case UInt8(ascii: ">"):
            let name = text(rest)
            guard !name.isEmpty, name.utf8.allSatisfy(TemplatePath.isNameByte) else {
                throw error(.badName(name), at: tagOffset)
            }
            return .partial(name)
        case UInt8(ascii: "{"):
            // why: the first `}}` of `{{{name}}}` ends the tag, so its third `}` is not in `rest`.
            throw error(.unescapedTag("{{{" + text(rest) + "}}}"), at: tagOffset)
        case UInt8(ascii: "&"):
            throw error(.unescapedTag("{{&" + text(rest) + "}}"), at: tagOffset)
        default:
            // why: ASCII punctuation is a tag kind (ours or Mustache's: `=`, `$`, `<`); anything
            // else is an attempt at a name with characters names cannot have.
            guard TemplatePath.isNameByte(first) || !Self.isASCIIPunctuation(first) else {
                let kind = String(decoding: bytes[content], as: UTF8.self).first.map(String.init) ?? ""
                throw error(.unknownTagKind(kind), at: tagOffset)
            }
            let json = Array("json".utf8)
            if bytes[content].starts(with: json) {
                let afterKeyword = content.dropFirst(json.count)
                if afterKeyword.isEmpty { throw error(.missingJSONName, at: tagOffset) }
                if Self.isWhitespace(bytes[afterKeyword.lowerBound]) {
                    let name = text(trimmed(afterKeyword))
                    guard TemplatePath.isValid(name[...]) else { throw error(.badName(name), at: tagOffset) }
                    return .json(TemplatePath(name))
                }
            }
            let name = text(content)
            guard TemplatePath.isValid(name[...]) else { throw error(.badName(name), at: tagOffset) }
            return .variable(TemplatePath(name))
        }
    }

    /// The byte range of the tag's whole line (indentation through line break) when the tag is
    /// alone on it, nil otherwise. `end` is just past the tag's `}}`.
    private func standaloneLine(open: Int, end: Int) -> Range<Int>? {
        var start = open
        while start > 0, bytes[start - 1] == 0x20 || bytes[start - 1] == 0x09 { start -= 1 }
        guard start == 0 || bytes[start - 1] == 0x0A else { return nil }
        var after = end
        while after < bytes.count, bytes[after] == 0x20 || bytes[after] == 0x09 { after += 1 }
        if after == bytes.count { return start..<after }
        if bytes[after] == 0x0A { return start..<after + 1 }
        if bytes[after] == 0x0D, after + 1 < bytes.count, bytes[after + 1] == 0x0A { return start..<after + 2 }
        return nil
    }

    /// Appends literal text to the frame, merging with text before it.
    private func appendText(_ range: Range<Int>, to frame: inout Frame) {
        guard !range.isEmpty else { return }
        if case .text(var existing) = frame.nodes.last {
            frame.nodes.removeLast()
            existing.append(contentsOf: bytes[range])
            frame.nodes.append(.text(existing))
        } else {
            frame.nodes.append(.text(Array(bytes[range])))
        }
    }

    /// The offset of the next doubled `byte` (`{{` or `}}`) at or after `start`.
    private func find(_ byte: UInt8, from start: Int) -> Int? {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == byte {
                if bytes[index + 1] == byte { return index }
                index += 1
            }
            index += 1
        }
        return nil
    }

    private func trimmed(_ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, Self.isWhitespace(bytes[lower]) { lower += 1 }
        while upper > lower, Self.isWhitespace(bytes[upper - 1]) { upper -= 1 }
        return lower..<upper
    }

    private func text(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    /// `!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~`.
    private static func isASCIIPunctuation(_ byte: UInt8) -> Bool {
        (0x21...0x2F).contains(byte) || (0x3A...0x40).contains(byte) || (0x5B...0x60).contains(byte)
            || (0x7B...0x7E).contains(byte)
    }

    /// Space, tab, CR, LF: the whitespace allowed inside a tag.
    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private func error(_ reason: TemplateError.Reason, at offset: Int) -> TemplateError {
        let location = TemplateLocation(offset: offset, in: bytes)
        return TemplateError(file: file, line: location.line, column: location.column, reason: reason)
    }
}
