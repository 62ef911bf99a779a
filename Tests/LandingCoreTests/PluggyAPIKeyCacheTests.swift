import Testing
@testable import LandingCore

@Suite struct PluggyAPIKeyCacheTests {
    /// The first caller refreshes; once the key arrives every caller uses it without another /auth.
    @Test func cache_RefreshesOnce_ThenReusesTheKey() {
        var cache = PluggyAPIKeyCache()
        #expect(cache.acquire(now: 0) == .refresh(ticket: 1, current: nil))
        cache.refreshed(ticket: 1, key: "k1", requestedAt: 0)
        for t in stride(from: 1.0, to: 6600, by: 500) { #expect(cache.acquire(now: t) == .use("k1")) }
    }

    /// While the first refresh is in flight and there is no key, other callers wait.
    @Test func cache_OthersWait_WhileTheFirstRefreshRuns() {
        var cache = PluggyAPIKeyCache()
        #expect(cache.acquire(now: 0) == .refresh(ticket: 1, current: nil))
        #expect(cache.acquire(now: 0.1) == .wait)
        #expect(cache.acquire(now: 0.2) == .wait)
        cache.refreshed(ticket: 1, key: "k1", requestedAt: 0)
        #expect(cache.acquire(now: 0.3) == .use("k1"))
    }

    /// At 1 h 50 min one caller refreshes while the others keep using the current key.
    @Test func cache_RefreshesBeforeExpiry_OthersUseTheCurrentKey() {
        var cache = PluggyAPIKeyCache()
        _ = cache.acquire(now: 0)
        cache.refreshed(ticket: 1, key: "k1", requestedAt: 0)
        #expect(cache.acquire(now: 6599) == .use("k1"))
        #expect(cache.acquire(now: 6600) == .refresh(ticket: 2, current: "k1"))
        #expect(cache.acquire(now: 6601) == .use("k1"))
        cache.refreshed(ticket: 2, key: "k2", requestedAt: 6600)
        #expect(cache.acquire(now: 6602) == .use("k2"))
    }

    /// A key past its usable life (2 h minus the margin) is never handed out: callers refresh or wait.
    @Test func cache_NeverUsesAnExpiredKey() {
        var cache = PluggyAPIKeyCache()
        _ = cache.acquire(now: 0)
        cache.refreshed(ticket: 1, key: "k1", requestedAt: 0)
        #expect(cache.acquire(now: 7140) == .refresh(ticket: 2, current: nil))
        #expect(cache.acquire(now: 7141) == .wait)
    }

    /// A 401 with the current key forgets it, so the next caller refreshes; a newer key is not forgotten for an older key's 401.
    @Test func cache_ForgetsARejectedKey_OnlyIfCurrent() {
        var cache = PluggyAPIKeyCache()
        _ = cache.acquire(now: 0)
        cache.refreshed(ticket: 1, key: "k1", requestedAt: 0)
        cache.rejected(key: "k1")
        #expect(cache.acquire(now: 1) == .refresh(ticket: 2, current: nil))
        cache.refreshed(ticket: 2, key: "k2", requestedAt: 1)
        cache.rejected(key: "k1")
        #expect(cache.acquire(now: 2) == .use("k2"))
    }

    /// A failed refresh blocks further ones for the cooldown (or a longer Retry-After); callers without a key get `unavailable`.
    @Test func cache_CoolsDown_AfterAFailedRefresh() {
        var cache = PluggyAPIKeyCache()
        _ = cache.acquire(now: 0)
        cache.refreshFailed(ticket: 1, now: 1)
        #expect(cache.acquire(now: 2) == .unavailable(until: 6))
        #expect(cache.acquire(now: 6) == .refresh(ticket: 2, current: nil))
        cache.refreshFailed(ticket: 2, now: 7, retryAfter: 60)
        #expect(cache.acquire(now: 30) == .unavailable(until: 67))
    }

    /// During a cooldown a still-usable key keeps working, and the refresh is retried after it.
    @Test func cache_KeepsUsingTheKey_DuringCooldown() {
        var cache = PluggyAPIKeyCache()
        _ = cache.acquire(now: 0)
        cache.refreshed(ticket: 1, key: "k1", requestedAt: 0)
        #expect(cache.acquire(now: 6600) == .refresh(ticket: 2, current: "k1"))
        cache.refreshFailed(ticket: 2, now: 6601)
        #expect(cache.acquire(now: 6602) == .use("k1"))
        #expect(cache.acquire(now: 6606) == .refresh(ticket: 3, current: "k1"))
    }

    /// A report with a stale ticket is ignored.
    @Test func cache_IgnoresStaleTickets() {
        var cache = PluggyAPIKeyCache()
        _ = cache.acquire(now: 0)
        cache.refreshed(ticket: 7, key: "bogus", requestedAt: 0)
        #expect(cache.isRefreshing)
        #expect(cache.acquire(now: 1) == .wait)
    }
}
