/// The text form of a `RecordChange` sent between instances (PostgreSQL `NOTIFY` payloads):
/// `kind:id:version`, where kind is `item` or `session`, id the record's key as stored, and version
/// its new version in decimal — `item:abc-123:4`. Far below PostgreSQL's 8000-byte payload limit,
/// since ids are bounded by validation long before they reach the store.
///
/// A notice is only a hint (the receiver re-reads the record), so `decode` is strict and returns
/// nil for anything malformed rather than guessing. Pure.
public enum RecordChangeNotice {
    /// Longest payload `decode` accepts (PostgreSQL refuses payloads of 8000 bytes or more).
    public static let maxBytes = 7_999

    /// `change` as `kind:id:version`.
    public static func encode(_ change: RecordChange) -> String {
        switch change.key {
        case .item(let id): "item:\(id):\(change.version)"
        case .session(let id): "session:\(id):\(change.version)"
        }
    }

    /// The change a payload names, or nil when it is not exactly `kind:id:version` with a known
    /// kind, a non-empty id without control characters and a positive decimal version (no
    /// leading zero, at most 18 digits).
    // why: the id may itself contain ':' in principle, so the kind ends at the first colon and the
    // version starts after the last one.
    public static func decode(_ payload: String) -> RecordChange? {
        let bytes = Array(payload.utf8)
        guard !bytes.isEmpty, bytes.count <= maxBytes,
            let first = bytes.firstIndex(of: UInt8(ascii: ":")),
            let last = bytes.lastIndex(of: UInt8(ascii: ":")), last > first + 1
        else { return nil }
        let digits = bytes[(last + 1)...]
        guard (1...18).contains(digits.count), digits.first != 0x30, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let version = Int64(String(decoding: digits, as: UTF8.self)), version >= 1
        else { return nil }
        let idBytes = bytes[(first + 1)..<last]
        guard !idBytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return nil }
        let id = String(decoding: idBytes, as: UTF8.self)
        // C1 controls (U+0080–U+009F) too, and anything that was not valid UTF-8 (U+FFFD).
        guard !id.unicodeScalars.contains(where: { (0x80...0x9F).contains($0.value) || $0.value == 0xFFFD }) else { return nil }
        switch String(decoding: bytes[..<first], as: UTF8.self) {
        case "item": return RecordChange(key: .item(id), version: version)
        case "session": return RecordChange(key: .session(id), version: version)
        default: return nil
        }
    }
}
