import Synchronization

/// Counts open connections per client address and in total, and refuses a new one beyond either
/// limit (`--max-connections`, `--max-connections-per-address`; 0 = no limit). Addresses are
/// counted under `ClientAddressKey` (IPv6 per /64). Thread-safe: every event loop's acceptor
/// shares one instance; each call holds a `Mutex` for a dictionary update, nothing more.
///
/// Call `admit` once per accepted connection and, when it says `.admitted`, `release` exactly once
/// when that connection closes. A refused connection is not counted and must not be released.
///
/// A connection whose client is not known at accept (one a trusted load balancer relays: the
/// PROXY protocol header names the client later) is admitted with no address, counting toward the
/// total only, then `attribute`d to its client once known; it is released under the address it
/// was last counted under (nil while unattributed).
public final class ConnectionAdmission: Sendable {
    /// What `admit` decided.
    public enum Verdict: Sendable, Equatable {
        /// Counted; release it when it closes.
        case admitted
        /// `maxTotal` connections are open.
        case tooManyTotal
        /// `maxPerAddress` connections from this address are open.
        case tooManyFromAddress
    }

    private struct State {
        var total = 0
        /// Open connections per address key; an entry is removed at 0, so the table holds only
        /// addresses with open connections and is bounded by `maxTotal` (when set).
        var perAddress: [String: Int] = [:]
    }

    /// Most open connections in total; 0: no limit.
    public let maxTotal: Int
    /// Most open connections from one address key; 0: no limit (and no per-address table).
    public let maxPerAddress: Int
    private let state = Mutex(State())

    /// `maxTotal`/`maxPerAddress` of 0 (or less) mean no limit.
    public init(maxTotal: Int, maxPerAddress: Int) {
        self.maxTotal = max(0, maxTotal)
        self.maxPerAddress = max(0, maxPerAddress)
    }

    /// Counts a new connection from `address` when both limits allow it; a nil `address` counts
    /// toward the total only (see `attribute`).
    public func admit(_ address: String?) -> Verdict {
        let key = address.flatMap(perAddressKey)
        return state.withLock { state in
            if maxTotal > 0, state.total >= maxTotal { return .tooManyTotal }
            if let key {
                let open = state.perAddress[key, default: 0]
                guard open < maxPerAddress else { return .tooManyFromAddress }
                state.perAddress[key] = open + 1
            }
            state.total += 1
            return .admitted
        }
    }

    /// Counts a connection admitted with no address under `address` too, when the per-address limit
    /// allows it (`.admitted`); otherwise (`.tooManyFromAddress`) it stays unattributed: close it and
    /// release it with no address. Never answers `.tooManyTotal`: it is already in the total.
    public func attribute(_ address: String) -> Verdict {
        guard let key = perAddressKey(address) else { return .admitted }
        return state.withLock { state in
            let open = state.perAddress[key, default: 0]
            guard open < maxPerAddress else { return .tooManyFromAddress }
            state.perAddress[key] = open + 1
            return .admitted
        }
    }

    /// Uncounts a connection `admit` admitted, when it closes: `address` is the one it was last
    /// counted under (`admit`'s, or `attribute`'s when that admitted it; nil when neither did).
    public func release(_ address: String?) {
        let key = address.flatMap(perAddressKey)
        state.withLock { state in
            assert(state.total > 0, "ConnectionAdmission.release without a matching admit")
            state.total = max(0, state.total - 1)
            guard let key, let open = state.perAddress[key] else { return }
            if open <= 1 {
                state.perAddress[key] = nil
            } else {
                state.perAddress[key] = open - 1
            }
        }
    }

    /// The per-address table's key for `address`; nil when there is no per-address limit.
    private func perAddressKey(_ address: String) -> String? {
        maxPerAddress > 0 ? ClientAddressKey.key(for: address) : nil
    }

    /// Connections admitted and not yet released.
    public var openCount: Int { state.withLock { $0.total } }

    /// Connections open from `address`'s key (0 when there is no per-address limit).
    public func openCount(from address: String) -> Int {
        guard maxPerAddress > 0 else { return 0 }
        let key = ClientAddressKey.key(for: address)
        return state.withLock { $0.perAddress[key, default: 0] }
    }

    /// Address keys with open connections (0 when there is no per-address limit).
    public var trackedAddressCount: Int { state.withLock { $0.perAddress.count } }
}
