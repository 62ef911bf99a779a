import Synchronization

/// A `TokenBucket` shared by threads: the process-wide TLS handshake rate
/// (`--max-handshakes-per-second`, burst the same). Each `take` holds a `Mutex` for a few
/// arithmetic operations; with no limit it takes no lock at all.
public final class SharedTokenBucket: Sendable {
    private let bucket: Mutex<TokenBucket>
    /// Whether there is no limit (`ratePerSecond` of 0).
    public let isUnlimited: Bool

    /// A full bucket at `now`; a `ratePerSecond` of 0 means no limit.
    public init(ratePerSecond: Double, burst: Double, now: Double) {
        let bucket = TokenBucket(ratePerSecond: ratePerSecond, burst: burst, now: now)
        self.isUnlimited = bucket.isUnlimited
        self.bucket = Mutex(bucket)
    }

    /// Spends a token when one is available at `now`.
    public func take(now: Double) -> Bool {
        if isUnlimited { return true }
        return bucket.withLock { $0.take(now: now) }
    }

    /// A copy of the bucket as it is now (for tests and metrics).
    public var snapshot: TokenBucket { bucket.withLock { $0 } }
}
