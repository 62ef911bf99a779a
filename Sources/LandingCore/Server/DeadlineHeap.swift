/// A binary min-heap of deadlines, one event loop's timers: `push` and `popExpired` are O(log n),
/// `earliest` is O(1). Entries are never removed early; the owner of `id` checks on pop whether the
/// entry is still its current one (lazy deletion), so a deadline that moves costs no search.
public struct DeadlineHeap<ID: Sendable & Equatable>: Sendable {
    public struct Entry: Sendable {
        public var deadline: Double
        public var id: ID
    }

    private var entries: [Entry] = []

    public init() {}

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// The earliest deadline, if any.
    public var earliest: Double? { entries.first?.deadline }

    /// Empties the heap (its owner then pushes the entries that are still current).
    public mutating func removeAll() {
        entries = []
    }

    public mutating func push(_ deadline: Double, id: ID) {
        entries.append(Entry(deadline: deadline, id: id))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadline < entries[parent].deadline else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry when its deadline is at or before `now`.
    public mutating func popExpired(now: Double) -> Entry? {
        guard let first = entries.first, first.deadline <= now else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < entries.count && entries[left].deadline < entries[smallest].deadline { smallest = left }
                if right < entries.count && entries[right].deadline < entries[smallest].deadline { smallest = right }
                if smallest == parent { break }
                entries.swapAt(parent, smallest)
                parent = smallest
            }
        }
        if entries.capacity > 1024 && entries.count < entries.capacity / 4 {
            // why: give the memory of a past burst back.
            entries = Array(entries)
        }
        return first
    }
}
