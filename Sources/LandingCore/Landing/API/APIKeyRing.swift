import Synchronization

/// The API keys `/v1/` accepts now. Replaced whole on SIGHUP when `--api-keys-file` (or the
/// `api-keys` credential) is read again, so keys rotate without a restart: add the new key, move
/// the apps over, remove the old one, reload after each step.
public final class APIKeyRing: Sendable {
    /// The keys as configured, their bytes and their owner labels (`key-N`), built once per change
    /// rather than per request.
    struct Keys {
        var strings: [String]
        var bytes: [[UInt8]]
        var owners: [String]

        init(_ keys: [String]) {
            strings = keys
            bytes = keys.map { Array($0.utf8) }
            owners = keys.indices.map { "key-\($0)" }
        }
    }

    private let keys: Mutex<Keys>

    public init(_ keys: [String]) {
        self.keys = Mutex(Keys(keys))
    }

    /// The keys, in configuration order (a key's position is its owner label, `key-N`).
    public var current: [String] { keys.withLock { $0.strings } }

    /// Takes `keys` from now on; requests already authorized keep their answer.
    public func replace(with keys: [String]) {
        self.keys.withLock { $0 = Keys(keys) }
    }

    /// The owner label (`key-N`) of the key equal to `presented`, or nil. Every key is compared,
    /// each in constant time (`constantTimeEquals`); the last equal one wins, as configured order said.
    public func owner(of presented: UnsafeBufferPointer<UInt8>) -> String? {
        keys.withLock { keys in
            var match: Int?
            for index in keys.bytes.indices where Self.constantTimeEquals(keys.bytes[index], presented) {
                match = index
            }
            return match.map { keys.owners[$0] }
        }
    }

    /// Compares without an early exit on the first differing byte (length still leaks, which is fine
    /// for random keys of a known length).
    static func constantTimeEquals(_ a: [UInt8], _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBufferPointer { a in
            var diff: UInt8 = 0
            for i in 0..<a.count { diff |= a[i] ^ b[i] }
            return diff == 0
        }
    }
}
