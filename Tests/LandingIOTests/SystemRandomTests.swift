import Foundation
import Synchronization
import Testing

@testable import LandingIO

/// `SystemRandom.bytes`: the pooled getrandom(2) bytes behind every nonce and session id.
@Suite struct SystemRandomTests {
    /// Every size is served at its length: empty, within the pool, exactly the pool, and beyond it.
    @Test func bytes_HaveTheLengthAsked() {
        for count in [0, 1, 16, SystemRandom.poolSize - 1, SystemRandom.poolSize, SystemRandom.poolSize + 1, 10_000] {
            #expect(SystemRandom.bytes(count).count == count)
        }
    }

    /// 20,000 nonces (about 80 refills of the pool, at odd offsets) never repeat and are never all
    /// zero: no byte is handed out twice, and the zeroing of given bytes happens after the copy.
    @Test func bytes_NeverRepeatAcrossRefills() {
        var seen = Set<[UInt8]>()
        _ = SystemRandom.bytes(7)  // an odd offset, so draws straddle the pool's end
        for _ in 0..<20_000 {
            let nonce = SystemRandom.bytes(16)
            #expect(nonce.contains { $0 != 0 })
            seen.insert(nonce)
        }
        #expect(seen.count == 20_000)
    }

    /// 320,000 bytes in draws of 13 look uniform: each byte value occurs 1,000–1,500 times
    /// (1,250 expected, standard deviation 35), so a stuck, zeroed or reused pool fails.
    @Test func bytes_AreUniform() {
        var counts = [Int](repeating: 0, count: 256)
        var drawn = 0
        while drawn < 320_000 {
            for byte in SystemRandom.bytes(13) { counts[Int(byte)] += 1 }
            drawn += 13
        }
        #expect(counts.min()! >= 1_000)
        #expect(counts.max()! <= 1_500)
    }

    /// Four threads drawing at once get 40,000 distinct nonces: the pool's lock hands each byte to one caller.
    @Test func bytes_DistinctAcrossThreads() {
        let all = Mutex<[[UInt8]]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            var mine: [[UInt8]] = []
            for _ in 0..<10_000 { mine.append(SystemRandom.bytes(16)) }
            all.withLock { $0 += mine }
        }
        let nonces = all.withLock { $0 }
        #expect(nonces.count == 40_000)
        #expect(Set(nonces).count == 40_000)
    }
}
