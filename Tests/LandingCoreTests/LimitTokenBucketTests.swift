import Testing

@testable import LandingCore

/// A `TokenBucket` behind a reference, for `#expect`, which cannot call a mutating method.
private final class BucketBox {
    var value: TokenBucket
    init(ratePerSecond: Double, burst: Double, now: Double) {
        value = TokenBucket(ratePerSecond: ratePerSecond, burst: burst, now: now)
    }
    func take(_ now: Double) -> Bool { value.take(now: now) }
}

@Suite struct LimitTokenBucketTests {
    /// A new bucket is full: `burst` takes pass at once, the next fails.
    @Test func take_AllowsBurst_ThenRefuses() {
        let bucket = BucketBox(ratePerSecond: 10, burst: 5, now: 100)
        for _ in 0..<5 { #expect(bucket.take(100)) }
        #expect(!bucket.take(100))
    }

    /// Tokens come back at the rate: 4/s gives one every 0.25 s.
    @Test func take_Refills_AtRate() {
        let bucket = BucketBox(ratePerSecond: 4, burst: 1, now: 0)
        #expect(bucket.take(0))
        #expect(!bucket.take(0.125))
        #expect(bucket.take(0.25))
        #expect(!bucket.take(0.25))
        #expect(bucket.value.secondsUntilAvailable(now: 0.375) == 0.125)
    }

    /// A long quiet spell refills only up to `burst`, never more.
    @Test func take_CapsRefill_AtBurst() {
        let bucket = BucketBox(ratePerSecond: 100, burst: 3, now: 0)
        for _ in 0..<3 { #expect(bucket.take(0)) }
        var passed = 0
        for _ in 0..<10 where bucket.take(3600) { passed += 1 }
        #expect(passed == 3)
    }

    /// Partial tokens accumulate across calls (refusals do not waste elapsed time).
    @Test func take_AccumulatesFractions_AcrossRefusals() {
        let bucket = BucketBox(ratePerSecond: 2, burst: 1, now: 0)
        #expect(bucket.take(0))
        #expect(!bucket.take(0.2))
        #expect(!bucket.take(0.4))
        #expect(bucket.take(0.5))
    }

    /// A clock reading that goes back earns nothing and cannot mint tokens.
    @Test func take_EarnsNothing_WhenClockGoesBack() {
        let bucket = BucketBox(ratePerSecond: 1, burst: 1, now: 10)
        #expect(bucket.take(10))
        #expect(!bucket.take(5))
        #expect(!bucket.take(10.5))
        #expect(bucket.take(11))
    }

    /// A rate of 0 means no limit.
    @Test func take_AlwaysSucceeds_WhenRateIsZero() {
        let bucket = BucketBox(ratePerSecond: 0, burst: 0, now: 0)
        for _ in 0..<10_000 { #expect(bucket.take(0)) }
        #expect(bucket.value.isUnlimited)
        #expect(bucket.value.secondsUntilAvailable(now: 0) == 0)
    }

    /// A burst below 1 still lets one event through per token earned.
    @Test func init_RaisesBurstToOne_WhenBelowOne() {
        let bucket = BucketBox(ratePerSecond: 1, burst: 0.2, now: 0)
        #expect(bucket.value.burst == 1)
        #expect(bucket.take(0))
        #expect(!bucket.take(0.5))
    }

    /// The shared bucket enforces the same arithmetic across threads: exactly `burst` of many
    /// concurrent takes at one instant pass.
    @Test func sharedBucket_PassesExactlyBurst_UnderConcurrency() async {
        let shared = SharedTokenBucket(ratePerSecond: 2000, burst: 2000, now: 0)
        let passed = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<1000).reduce(0) { n, _ in n + (shared.take(now: 0) ? 1 : 0) } }
            }
            return await group.reduce(0, +)
        }
        #expect(passed == 2000)
        #expect(!shared.take(now: 0))
        #expect(shared.take(now: 0.5))
    }

    /// The shared bucket with rate 0 takes no lock and always passes.
    @Test func sharedBucket_AlwaysSucceeds_WhenUnlimited() {
        let shared = SharedTokenBucket(ratePerSecond: 0, burst: 0, now: 0)
        #expect(shared.isUnlimited)
        for _ in 0..<100 { #expect(shared.take(now: 0)) }
    }
}
