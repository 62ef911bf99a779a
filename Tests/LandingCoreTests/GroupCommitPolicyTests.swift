import Testing

@testable import LandingCore

/// A policy fed `count` writes `gap` seconds apart from `start`; returns it and the last arrival.
private func fed(_ policy: GroupCommitPolicy, count: Int, gap: Double, from start: Double = 100) -> (GroupCommitPolicy, Double) {
    var policy = policy
    var now = start
    for n in 0..<count {
        if n > 0 { now += gap }
        policy.writeArrived(at: now)
    }
    return (policy, now)
}

@Suite("Group commit policy")
struct GroupCommitPolicyTests {
    /// Before any write, and after the first write of a quiet server, nothing is held.
    @Test func groupCommit_HoldsNothing_WhenQuiet() {
        var policy = GroupCommitPolicy(maxWait: 0.002)
        #expect(!policy.isLoaded(now: 5))
        #expect(policy.holdDeadline(queuedWrites: 0, start: 5, now: 5) == nil)
        policy.writeArrived(at: 5)
        #expect(policy.holdDeadline(queuedWrites: 1, start: 5, now: 5) == nil)
        // Writes a second apart never make it loaded.
        let (slow, last) = fed(policy, count: 50, gap: 1)
        #expect(slow.holdDeadline(queuedWrites: 1, start: last, now: last) == nil)
    }

    /// Writes 0.4 ms apart (2,500/s) with a 2 ms wait hold a batch until 2 ms after its oldest write.
    @Test func groupCommit_HoldsUntilMaxWaitAfterOldest_WhenLoaded() throws {
        let (policy, last) = fed(GroupCommitPolicy(maxWait: 0.002), count: 60, gap: 0.0004)
        #expect(policy.isLoaded(now: last))
        #expect(abs(policy.averageGap - 0.0004) < 0.00001)
        let deadline = try #require(policy.holdDeadline(queuedWrites: 1, start: last - 0.0005, now: last))
        #expect(abs(deadline - (last + 0.0015)) < 1e-9)
        // An empty queue (after a commit) holds from now.
        #expect(policy.holdDeadline(queuedWrites: 0, start: last, now: last) == last + 0.002)
        // Never past the wait: once the oldest write has waited it, the batch goes.
        #expect(policy.holdDeadline(queuedWrites: 3, start: last - 0.002, now: last) == nil)
    }

    /// Fewer than two writes expected within the wait (a gap of 0.8 ms against 1 ms) means no hold.
    @Test func groupCommit_HoldsNothing_WhenFewerThanTwoWritesExpected() {
        let (policy, last) = fed(GroupCommitPolicy(maxWait: 0.001), count: 60, gap: 0.0008)
        #expect(!policy.isLoaded(now: last))
        let (busier, busierLast) = fed(GroupCommitPolicy(maxWait: 0.001), count: 60, gap: 0.0004)
        #expect(busier.isLoaded(now: busierLast))
    }

    /// A full batch (the target) is taken at once, however loaded.
    @Test func groupCommit_TakesBatch_WhenTargetQueued() {
        let (policy, last) = fed(GroupCommitPolicy(maxWait: 0.002, target: 8), count: 40, gap: 0.0001)
        #expect(policy.holdDeadline(queuedWrites: 7, start: last, now: last) != nil)
        #expect(policy.holdDeadline(queuedWrites: 8, start: last, now: last) == nil)
        #expect(policy.holdDeadline(queuedWrites: 500, start: last, now: last) == nil)
    }

    /// When writes stop, the policy stops holding once the last one is older than the wait.
    @Test func groupCommit_StopsHolding_WhenWritesStop() {
        let (policy, last) = fed(GroupCommitPolicy(maxWait: 0.002), count: 40, gap: 0.0001)
        #expect(policy.isLoaded(now: last + 0.002))
        #expect(!policy.isLoaded(now: last + 0.0021))
        #expect(policy.holdDeadline(queuedWrites: 0, start: last + 0.0021, now: last + 0.0021) == nil)
    }

    /// PostgreSQL stores get the larger target; SQLite and memory the smaller one.
    @Test func groupCommit_TargetsByStore() throws {
        #expect(GroupCommitPolicy.target(for: .postgres(try PostgresLocation(parsing: "postgres://u@db/landing"))) == GroupCommitPolicy.postgresTarget)
        #expect(GroupCommitPolicy.target(for: .sqlite(path: "x.db")) == GroupCommitPolicy.sqliteTarget)
        #expect(GroupCommitPolicy.target(for: .memory) == GroupCommitPolicy.sqliteTarget)
        #expect(GroupCommitPolicy.postgresTarget > GroupCommitPolicy.sqliteTarget)
    }

    /// A wait of 0 never holds, whatever the load.
    @Test func groupCommit_NeverHolds_WhenWaitIsZero() {
        let (policy, last) = fed(GroupCommitPolicy(maxWait: 0), count: 100, gap: 0.00001)
        #expect(!policy.isLoaded(now: last))
        #expect(policy.holdDeadline(queuedWrites: 1, start: last, now: last) == nil)
    }

    /// One long pause weighs like a second, so load comes back within a few dozen fast writes.
    @Test func groupCommit_RecoversFromLongPause_WithinAFewDozenWrites() {
        var (policy, last) = fed(GroupCommitPolicy(maxWait: 0.002), count: 40, gap: 0.0002)
        policy.writeArrived(at: last + 86_400)
        #expect(policy.averageGap <= 0.26)
        #expect(!policy.isLoaded(now: last + 86_400))
        let (again, againLast) = fed(policy, count: 25, gap: 0.0002, from: last + 86_400)
        #expect(again.isLoaded(now: againLast))
        // A clock that steps back counts as no gap, not a negative one.
        var back = again
        back.writeArrived(at: againLast - 10)
        #expect(back.averageGap >= 0)
    }
}
