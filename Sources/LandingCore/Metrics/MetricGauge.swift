import Synchronization

/// A value that goes up and down (open connections): relaxed atomic adds, read at scrape time.
public final class MetricGauge: Sendable {
    private let current = Atomic<Int>(0)

    public init() {}

    public func increment() { current.wrappingAdd(1, ordering: .relaxed) }
    public func decrement() { current.wrappingSubtract(1, ordering: .relaxed) }
    public func set(_ value: Int) { current.store(value, ordering: .relaxed) }

    public var value: Int { current.load(ordering: .relaxed) }
}
