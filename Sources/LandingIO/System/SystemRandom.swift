import CLinux
import Glibc

/// Cryptographically secure random bytes (getrandom(2), blocking until the pool is initialised).
public enum SystemRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var filled = 0
        out.withUnsafeMutableBytes { raw in
            while filled < count {
                let n = getrandom(raw.baseAddress! + filled, count - filled, 0)
                if n > 0 { filled += n } else if n < 0 && errno == EINTR { continue } else { fatalError("getrandom failed: errno \(errno)") }
            }
        }
        return out
    }

    /// Milliseconds since the Unix epoch.
    public static func nowMillis() -> Int64 {
        let wall = wallClockNow()
        return Int64(wall.seconds) * 1000 + Int64(wall.nanoseconds / 1_000_000)
    }
}
