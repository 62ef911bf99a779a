import Synchronization

/// The API keys `/v1/` accepts now. Replaced whole on SIGHUP when `--api-keys-file` (or the
/// `api-keys` credential) is read again, so keys rotate without a restart: add the new key, move
/// the apps over, remove the old one, reload after each step.
public final class APIKeyRing: Sendable {
    private let keys: Mutex<[String]>

    public init(_ keys: [String]) {
        self.keys = Mutex(keys)
    }

    /// The keys, in configuration order (a key's position is its owner label, `key-N`).
    public var current: [String] { keys.withLock { $0 } }

    /// Takes `keys` from now on; requests already authorized keep their answer.
    public func replace(with keys: [String]) {
        self.keys.withLock { $0 = keys }
    }
}
