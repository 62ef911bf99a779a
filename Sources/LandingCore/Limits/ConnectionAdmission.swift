import Synchronization

/// Counts open connections per client address and in total, and refuses a new one beyond either
/// limit (`--max-connections`, `--max-connections-per-address`; 0 = no limit). Addresses are
/// counted under `ClientAddressKey` (IPv6 per /64). Thread-safe: every event loop's acceptor
/// shares one instance; each call holds a `Mutex` for a dictionary update, nothing more.
///
/// Call `admit` once per accepted connection and, when it says `.admitted`, `release` exactly once
/// when that connection closes. A refused connection is not counted and must not be released.
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

    /// Counts a new connection from `address` when both limits allow it.
    public func admit(_ address: String) -> Verdict {
        let key = maxPerAddress > 0 ? ClientAddressKey.key(for: address) : ""
        return state.withLock { state in
            if maxTotal > 0, state.total >= maxTotal { return .tooManyTotal }
            if maxPerAddress > 0 {
                let open = state.perAddress[key, default: 0]
                guard open < maxPerAddress else { return .tooManyFromAddress }
                state.perAddress[key] = open + 1
            }
            state.total += 1
            return .admitted
        }
    }

    /// Uncounts a connection `admit` admitted, when it closes.
    public func release(_ address: String) {
        let key = maxPerAddress > 0 ? ClientAddressKey.key(for: address) : ""
        state.withLock { state in
            assert(state.total > 0, "ConnectionAdmission.release without a matching admit")
            state.total = max(0, state.total - 1)
            guard maxPerAddress > 0, let open = state.perAddress[key] else { return }
            if open <= 1 {
                state.perAddress[key] = nil
            } else {
                state.perAddress[key] = open - 1
            }
        }
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
