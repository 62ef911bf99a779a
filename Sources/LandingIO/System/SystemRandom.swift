import CLinux
import Glibc
import Synchronization

/// Cryptographically secure random bytes (getrandom(2), blocking until the pool is initialised).
public enum SystemRandom {
    /// Bytes fetched from getrandom(2) and not handed out yet: `pool[offset...]`.
    private struct Pool {
        var bytes = [UInt8](repeating: 0, count: SystemRandom.poolSize)
        var offset = SystemRandom.poolSize
    }

    /// How many bytes one getrandom(2) call fetches for `bytes(_:)`.
    static let poolSize = 4096
    private static let pool = Mutex(Pool())

    /// `count` random bytes. Requests up to `poolSize` are served from a pool that one getrandom(2)
    /// call refills, so a request's nonce costs a lock and a copy, not a system call.
    // why: every callback page needs a fresh 16-byte CSP nonce; getrandom per nonce was a system
    // call per request. Bytes handed out are zeroed in the pool, so none is given twice or lingers;
    // the process never forks, so no child can share the pool.
    public static func bytes(_ count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        guard count <= poolSize else { return fresh(count) }
        return pool.withLock { pool in
            if poolSize - pool.offset < count {
                pool.bytes.withUnsafeMutableBytes { fill($0) }
                pool.offset = 0
            }
            let start = pool.offset
            pool.offset += count
            return pool.bytes.withUnsafeMutableBufferPointer { buffer in
                let slice = UnsafeMutableBufferPointer(rebasing: buffer[start..<start + count])
                let out = Array(slice)
                slice.update(repeating: 0)
                return out
            }
        }
    }

    /// `count` bytes straight from getrandom(2).
    static func fresh(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { fill($0) }
        return out
    }

    private static func fill(_ raw: UnsafeMutableRawBufferPointer) {
        var filled = 0
        while filled < raw.count {
            let n = getrandom(raw.baseAddress! + filled, raw.count - filled, 0)
            if n > 0 { filled += n } else if n < 0 && errno == EINTR { continue } else { fatalError("getrandom failed: errno \(errno)") }
        }
    }

    /// Milliseconds since the Unix epoch.
    public static func nowMillis() -> Int64 {
        let wall = wallClockNow()
        return Int64(wall.seconds) * 1000 + Int64(wall.nanoseconds / 1_000_000)
    }
}
