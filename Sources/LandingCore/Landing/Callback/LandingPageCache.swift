import Synchronization

/// Landing pages already rendered, with the strings that differ on every request left as holes:
/// the CSP nonce, the item and session ids and the path the page posts to. A page is rendered once
/// per outcome, audience, return link, bank and template set, with a probe (a random string) in
/// place of each hole's value; later requests copy it and put their own values where the probes
/// were.
///
/// This gives the bytes a render gives because a hole's value is never empty and is made only of
/// bytes that neither of the template's escapings changes (`isInert`: printable ASCII without
/// `"` `&` `'` `<` `>` `\`), and so are the probes: a template cannot tell a value from its probe
/// (a section only tests that a string is not empty) and prints both as they are. A value with any
/// other byte is rendered the ordinary way, uncached.
///
/// Bounded: at most `capacity` pages; a new page pushes out the oldest. Shared by the event loops.
final class LandingPageCache: Sendable {
    /// Most pages kept (one per outcome × audience × return link × bank name seen recently).
    static let capacity = 16

    /// The holes, by index into `probes` and into the values `filled` takes.
    enum Hole: Int, CaseIterable {
        case nonce, itemId, sessionId, postPath
    }

    /// What a page depends on besides its holes: the outcome with its ids replaced by their probes,
    /// and the rest of `LandingPage.html`'s arguments.
    struct Key: Sendable, Equatable {
        var outcome: LandingOutcome
        var audience: LandingPage.Audience
        var sessionReturnURL: String?
        var bankName: String?
        /// The template set rendered (a reloaded set has another identity).
        var templates: TemplateSet.Identity

        static func == (lhs: Key, rhs: Key) -> Bool {
            lhs.templates === rhs.templates && lhs.outcome == rhs.outcome && lhs.audience == rhs.audience
                && lhs.sessionReturnURL == rhs.sessionReturnURL && lhs.bankName == rhs.bankName
        }
    }

    /// A page with its holes cut out: `text` with hole `holes[i].hole` at byte `holes[i].at`.
    struct Page: Sendable, Equatable {
        var text: [UInt8]
        var holes: [Spot]

        struct Spot: Sendable, Equatable {
            var at: Int
            var hole: Int
        }

        /// The page with `values` (by `Hole`) in its holes.
        func filled(_ values: [String]) -> [UInt8] {
            var length = text.count
            for spot in holes { length += values[spot.hole].utf8.count }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(length)
            var start = 0
            for spot in holes {
                bytes.append(contentsOf: text[start..<spot.at])
                bytes.append(contentsOf: values[spot.hole].utf8)
                start = spot.at
            }
            bytes.append(contentsOf: text[start...])
            return bytes
        }
    }

    /// The probe of each hole, by `Hole`: `prefix` then the hole's digit.
    let probes: [String]
    private let prefix: [UInt8]
    private let pages = Mutex<[(key: Key, page: Page)]>([])

    /// A cache whose probes start with 24 random letters and digits (one in 62^24 to occur by chance).
    convenience init() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        self.init(prefix: (0..<24).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }

    /// A cache with the given probe prefix (tests).
    init(prefix: [UInt8]) {
        precondition(!prefix.isEmpty && prefix.allSatisfy(Self.isInert), "a probe must be inert")
        self.prefix = prefix
        self.probes = Hole.allCases.map { String(decoding: prefix + [UInt8(ascii: "0") + UInt8($0.rawValue)], as: UTF8.self) }
    }

    /// Whether `value` can fill a hole: not empty, and only bytes both escapings leave alone.
    static func isInert(_ value: String) -> Bool {
        // why: a loop over the contiguous bytes; `utf8.allSatisfy` cost ~35 instructions a byte.
        var value = value
        return value.withUTF8 { bytes in !bytes.isEmpty && bytes.allSatisfy(isInert) }
    }

    /// `!`…`~` but `"` `&` `'` `<` `>` `\\`.
    static func isInert(_ byte: UInt8) -> Bool {
        byte < 0x40 ? (inertLow >> UInt64(byte)) & 1 != 0 : byte < 0x80 && (inertHigh >> UInt64(byte - 0x40)) & 1 != 0
    }

    /// Bit `b` set: byte `b` (below 0x40) is inert — 0x21…0x3F but `"` (22) `&` (26) `'` (27) `<` (3C) `>` (3E).
    private static let inertLow: UInt64 = 0xAFFF_FF3A_0000_0000
    /// Bit `b` set: byte `0x40 + b` is inert — 0x40…0x7E but `\\` (5C).
    private static let inertHigh: UInt64 = 0x7FFF_FFFF_EFFF_FFFF

    /// `outcome` with its item and session ids (where it has them) replaced by their probes.
    func probed(_ outcome: LandingOutcome) -> LandingOutcome {
        let item = probes[Hole.itemId.rawValue]
        let session = probes[Hole.sessionId.rawValue]
        switch outcome {
        case .completed(let itemId, let sessionId):
            return .completed(itemId: itemId.map { _ in item }, sessionId: sessionId.map { _ in session })
        case .failed(let itemId, let sessionId, let error):
            return .failed(itemId: itemId.map { _ in item }, sessionId: sessionId.map { _ in session }, error: error)
        case .relay(let sessionId):
            return .relay(sessionId: sessionId.map { _ in session })
        case .unidentified, .invalid, .expired, .unavailable, .rateLimited:
            return outcome
        }
    }

    /// The page cached for `key`, if any.
    func page(for key: Key) -> Page? {
        pages.withLock { pages in pages.first { $0.key == key }?.page }
    }

    /// Cuts `rendered` (a page rendered with the probes) at its probes, keeps it for `key` (pushing
    /// out the oldest page when full) and returns it.
    @discardableResult
    func store(_ rendered: [UInt8], for key: Key) -> Page {
        let page = split(rendered)
        pages.withLock { pages in
            guard !pages.contains(where: { $0.key == key }) else { return }
            if pages.count >= Self.capacity { pages.removeFirst() }
            pages.append((key, page))
        }
        return page
    }

    /// Pages held (tests).
    var count: Int { pages.withLock { $0.count } }

    /// `rendered` with each probe cut out and noted as a hole.
    func split(_ rendered: [UInt8]) -> Page {
        var text: [UInt8] = []
        text.reserveCapacity(rendered.count)
        var holes: [Page.Spot] = []
        let probeLength = prefix.count + 1
        rendered.withUnsafeBufferPointer { bytes in
            prefix.withUnsafeBufferPointer { prefix in
                var runStart = 0
                var index = 0
                while index + probeLength <= bytes.count {
                    if bytes[index] == prefix[0], Self.matches(prefix, in: bytes, at: index) {
                        let digit = bytes[index + prefix.count]
                        if digit >= UInt8(ascii: "0"), Int(digit - UInt8(ascii: "0")) < Hole.allCases.count {
                            text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                            holes.append(Page.Spot(at: text.count, hole: Int(digit - UInt8(ascii: "0"))))
                            index += probeLength
                            runStart = index
                            continue
                        }
                    }
                    index += 1
                }
                text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
            }
        }
        return Page(text: text, holes: holes)
    }

    private static func matches(_ prefix: UnsafeBufferPointer<UInt8>, in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        for offset in 1..<prefix.count where bytes[index + offset] != prefix[offset] { return false }
        return true
    }
}
