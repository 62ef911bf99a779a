import Synchronization

/// Callbacks per client address per minute (`--max-callbacks-per-address-per-minute`; 0 = no
/// limit), answered beyond the limit with 429 and `Retry-After` (RFC 6585 §4).
///
/// Each address key (`ClientAddressKey`: IPv6 per /64) gets a fixed window that opens at its first
/// callback and lasts `windowSeconds`; up to `limit` callbacks pass in it, the next one is refused
/// until the window ends, when a new one opens. The clock is passed in (seconds; it should not go
/// back), so tests never sleep. Thread-safe: one `Mutex`, held for a dictionary update and an
/// amortized O(1) sweep.
///
/// The table is bounded: it holds at most `maxAddresses` keys, so a flood from many (spoofed or
/// rotated) addresses cannot grow memory without bound. Windows that have ended are dropped as the
/// clock passes them, oldest first; when the table is still full, the oldest open window is
/// evicted (its address starts afresh — the price of the bound, paid only under such a flood).
public final class CallbackRateLimiter: Sendable {
    /// What `check` decided.
    public enum Decision: Sendable, Equatable {
        /// The callback may proceed (and was counted).
        case allowed
        /// Over the limit: refuse it; the window ends in `retryAfterSeconds` (1 or more, rounded up).
        case limited(retryAfterSeconds: Int)
    }

    /// Default bound on addresses tracked at once.
    public static let defaultMaxAddresses = 100_000

    /// Callbacks allowed per address per window; 0: no limit.
    public let limit: Int
    /// Length of a window, in seconds (60: per minute).
    public let windowSeconds: Double
    /// Most address keys tracked at once.
    public let maxAddresses: Int

    private struct Window {
        var start: Double
        var count: Int
    }

    private struct State {
        var windows: [String: Window] = [:]
        /// (key, window start) in the order windows opened, so oldest first. An entry whose start
        /// no longer matches its key's window is stale and skipped.
        var order: [(key: String, start: Double)] = []
        /// Index of the first live entry of `order`; the prefix before it is dropped in bulk.
        var head = 0
    }

    private let state = Mutex(State())

    /// `limit` callbacks per `windowSeconds` per address; a `limit` of 0 means no limit.
    public init(limit: Int, windowSeconds: Double = 60, maxAddresses: Int = CallbackRateLimiter.defaultMaxAddresses) {
        self.limit = max(0, limit)
        self.windowSeconds = windowSeconds > 0 ? windowSeconds : 60
        self.maxAddresses = max(1, maxAddresses)
    }

    /// Counts a callback from `address` at `now` when the limit allows it.
    public func check(_ address: String, now: Double) -> Decision {
        guard limit > 0 else { return .allowed }
        let key = ClientAddressKey.key(for: address)
        return state.withLock { state in
            dropEnded(&state, now: now)
            // why: a window that starts after `now` means the clock was stepped back (a wall clock);
            // a new window opens rather than blocking the address for the length of the step.
            if var window = state.windows[key], window.start <= now {
                guard window.count >= limit else {
                    window.count += 1
                    state.windows[key] = window
                    return .allowed
                }
                let remaining = min(window.start + windowSeconds - now, windowSeconds)
                return .limited(retryAfterSeconds: max(1, Int(remaining.rounded(.up))))
            }
            if state.windows[key] == nil {
                while state.windows.count >= maxAddresses, evictOldest(&state) {}
            }
            state.windows[key] = Window(start: now, count: 1)
            state.order.append((key, now))
            return .allowed
        }
    }

    /// Address keys tracked now (for tests and metrics).
    public var trackedAddressCount: Int { state.withLock { $0.windows.count } }

    /// Drops, oldest first, the windows that ended by `now` and the stale order entries before them.
    private func dropEnded(_ state: inout State, now: Double) {
        while state.head < state.order.count {
            let entry = state.order[state.head]
            if let window = state.windows[entry.key], window.start == entry.start {
                guard window.start + windowSeconds <= now else { break }
                state.windows[entry.key] = nil
            }
            state.head += 1
        }
        compact(&state)
    }

    /// Evicts the oldest open window; false when there is none.
    private func evictOldest(_ state: inout State) -> Bool {
        while state.head < state.order.count {
            let entry = state.order[state.head]
            state.head += 1
            if let window = state.windows[entry.key], window.start == entry.start {
                state.windows[entry.key] = nil
                compact(&state)
                return true
            }
        }
        compact(&state)
        return false
    }

    /// Frees the consumed prefix of `order` once it is at least half of it (amortized O(1)).
    private func compact(_ state: inout State) {
        guard state.head > 0, state.head * 2 >= state.order.count else { return }
        state.order.removeFirst(state.head)
        state.head = 0
    }
}
