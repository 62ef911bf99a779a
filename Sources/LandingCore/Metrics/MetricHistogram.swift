import Synchronization

/// Observations counted into fixed buckets, with their sum: an observation is one atomic add on
/// its bucket and one on the sum, so any thread may observe without a lock. Buckets are kept
/// per bucket (not cumulative) and accumulated when a snapshot is taken.
// why: @unchecked Sendable: `counts` is allocated in `init`, freed in `deinit`, and its elements
// are only ever touched through their atomic operations.
public final class MetricHistogram: @unchecked Sendable {
    /// Request and handler latencies, in seconds: 0.5 ms to 10 s.
    public static let defaultBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// Store commits, in seconds: 0.1 ms (in memory) to 2.5 s (a stalled disk).
    public static let storeWriteBuckets: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

    /// Inclusive upper bounds (`le`), ascending; `+Inf` is implied.
    public let upperBounds: [Double]
    /// Per-bucket counts, one more than `upperBounds` (the last counts observations above every
    /// bound), in one allocation so an observation retains nothing.
    private let counts: UnsafeMutablePointer<Atomic<UInt64>>
    /// The sum's `Double` bit pattern.
    private let sumBits = Atomic<UInt64>(0)

    /// - Parameter upperBounds: ascending, finite; defaults to `defaultBuckets`.
    public init(upperBounds: [Double] = MetricHistogram.defaultBuckets) {
        precondition(zip(upperBounds, upperBounds.dropFirst()).allSatisfy { $0 < $1 }, "histogram bounds must ascend")
        precondition(upperBounds.allSatisfy(\.isFinite), "histogram bounds must be finite (+Inf is implied)")
        self.upperBounds = upperBounds
        self.counts = .allocate(capacity: upperBounds.count + 1)
        for index in 0...upperBounds.count { (counts + index).initialize(to: Atomic(0)) }
    }

    deinit {
        counts.deinitialize(count: upperBounds.count + 1)
        counts.deallocate()
    }

    /// Counts `value` in the first bucket whose bound is at least `value`, and adds it to the sum.
    public func observe(_ value: Double) {
        var index = 0
        while index < upperBounds.count && value > upperBounds[index] { index += 1 }
        counts[index].wrappingAdd(1, ordering: .relaxed)
        // why: there is no atomic add for Double; a compare-exchange loop on its bits is one round
        // when uncontended, which is the common case (one writer thread per histogram).
        var old = sumBits.load(ordering: .relaxed)
        while true {
            let new = (Double(bitPattern: old) + value).bitPattern
            let (exchanged, original) = sumBits.compareExchange(expected: old, desired: new, ordering: .relaxed)
            if exchanged { return }
            old = original
        }
    }

    /// The counts and sum now. Concurrent observations may land in the counts and not yet in the
    /// sum (or the reverse); the count always equals the `+Inf` bucket.
    public func snapshot() -> HistogramSnapshot {
        HistogramSnapshot(
            upperBounds: upperBounds, bucketCounts: (0...upperBounds.count).map { counts[$0].load(ordering: .relaxed) },
            sum: Double(bitPattern: sumBits.load(ordering: .relaxed)))
    }
}

/// A histogram's values at one moment: what a scrape writes, and what per-thread histograms are
/// merged into.
public struct HistogramSnapshot: Sendable, Equatable {
    public var upperBounds: [Double]
    /// Per bucket (not cumulative); one more than `upperBounds`, the last for `+Inf`.
    public var bucketCounts: [UInt64]
    public var sum: Double

    public init(upperBounds: [Double], bucketCounts: [UInt64], sum: Double) {
        precondition(bucketCounts.count == upperBounds.count + 1, "one count per bound, plus +Inf")
        self.upperBounds = upperBounds
        self.bucketCounts = bucketCounts
        self.sum = sum
    }

    /// An empty histogram with these bounds.
    public init(upperBounds: [Double]) {
        self.init(upperBounds: upperBounds, bucketCounts: Array(repeating: 0, count: upperBounds.count + 1), sum: 0)
    }

    public var count: UInt64 { bucketCounts.reduce(0, &+) }

    /// Adds `other`'s observations (same bounds).
    public mutating func merge(_ other: HistogramSnapshot) {
        precondition(other.upperBounds == upperBounds, "only histograms with the same buckets merge")
        for index in bucketCounts.indices { bucketCounts[index] &+= other.bucketCounts[index] }
        sum += other.sum
    }

    /// The `_bucket` lines (cumulative, `le` last among the labels, ending with `+Inf`), then `_sum`
    /// and `_count`, each with `labels` first.
    public func samples(labels: [MetricLabel] = []) -> [MetricSample] {
        var samples: [MetricSample] = []
        samples.reserveCapacity(bucketCounts.count + 2)
        var cumulative: UInt64 = 0
        for (index, count) in bucketCounts.enumerated() {
            cumulative &+= count
            let bound = index < upperBounds.count ? PrometheusText.format(upperBounds[index]) : "+Inf"
            samples.append(MetricSample(suffix: "_bucket", labels: labels + [MetricLabel("le", bound)], value: Double(cumulative)))
        }
        samples.append(MetricSample(suffix: "_sum", labels: labels, value: sum))
        samples.append(MetricSample(suffix: "_count", labels: labels, value: Double(cumulative)))
        return samples
    }
}
