import Testing

@testable import LandingCore

@Suite struct LimitConnectionAdmissionTests {
    /// Connections from one address are admitted up to the per-address limit, then refused.
    @Test func admit_RefusesFromAddress_WhenPerAddressLimitReached() {
        let admission = ConnectionAdmission(maxTotal: 100, maxPerAddress: 2)
        #expect(admission.admit("192.0.2.1") == .admitted)
        #expect(admission.admit("192.0.2.1") == .admitted)
        #expect(admission.admit("192.0.2.1") == .tooManyFromAddress)
        #expect(admission.admit("192.0.2.2") == .admitted)
        #expect(admission.openCount == 3)
        #expect(admission.openCount(from: "192.0.2.1") == 2)
    }

    /// The total limit refuses any address once that many connections are open.
    @Test func admit_RefusesTotal_WhenTotalLimitReached() {
        let admission = ConnectionAdmission(maxTotal: 2, maxPerAddress: 10)
        #expect(admission.admit("192.0.2.1") == .admitted)
        #expect(admission.admit("192.0.2.2") == .admitted)
        #expect(admission.admit("192.0.2.3") == .tooManyTotal)
        #expect(admission.openCount == 2)
    }

    /// A refused connection is not counted: refusing many times does not use up the budget.
    @Test func admit_DoesNotCount_WhenRefused() {
        let admission = ConnectionAdmission(maxTotal: 0, maxPerAddress: 1)
        #expect(admission.admit("a") == .admitted)
        for _ in 0..<10 { #expect(admission.admit("a") == .tooManyFromAddress) }
        #expect(admission.openCount == 1)
        admission.release("a")
        #expect(admission.admit("a") == .admitted)
    }

    /// Releasing a connection frees its slot, and an address with none open leaves the table.
    @Test func release_FreesSlotAndForgetsAddress_WhenLastConnectionCloses() {
        let admission = ConnectionAdmission(maxTotal: 1, maxPerAddress: 1)
        #expect(admission.admit("192.0.2.1") == .admitted)
        #expect(admission.admit("192.0.2.9") == .tooManyTotal)
        admission.release("192.0.2.1")
        #expect(admission.openCount == 0)
        #expect(admission.trackedAddressCount == 0)
        #expect(admission.admit("192.0.2.9") == .admitted)
    }

    /// 0 means no limit, for the total and per address.
    @Test func admit_AdmitsEverything_WhenLimitsAreZero() {
        let admission = ConnectionAdmission(maxTotal: 0, maxPerAddress: 0)
        for _ in 0..<1000 { #expect(admission.admit("192.0.2.1") == .admitted) }
        #expect(admission.openCount == 1000)
        #expect(admission.trackedAddressCount == 0)
        for _ in 0..<1000 { admission.release("192.0.2.1") }
        #expect(admission.openCount == 0)
    }

    /// IPv6 addresses of one /64 share a budget; an IPv4-mapped address shares its IPv4 budget.
    @Test func admit_CountsPerPrefix_ForIPv6AndMappedIPv4() {
        let admission = ConnectionAdmission(maxTotal: 0, maxPerAddress: 1)
        #expect(admission.admit("2001:db8:1:2::1") == .admitted)
        #expect(admission.admit("2001:db8:1:2:ffff::9") == .tooManyFromAddress)
        #expect(admission.admit("2001:db8:1:3::1") == .admitted)
        #expect(admission.admit("192.0.2.7") == .admitted)
        #expect(admission.admit("::ffff:192.0.2.7") == .tooManyFromAddress)
    }

    /// A balancer's connection admitted with no address counts toward the total only, until
    /// attributed to its client, whose per-address limit then applies; it is released under the
    /// address it was last counted under.
    @Test func attribute_CountsRelayedClient_AfterUnattributedAdmit() {
        let admission = ConnectionAdmission(maxTotal: 3, maxPerAddress: 1)
        #expect(admission.admit(nil) == .admitted)
        #expect(admission.admit(nil) == .admitted)
        #expect(admission.trackedAddressCount == 0)
        #expect(admission.attribute("203.0.113.7") == .admitted)
        #expect(admission.openCount(from: "203.0.113.7") == 1)
        // The second relayed connection names the same client: over its limit, it stays unattributed.
        #expect(admission.attribute("203.0.113.7") == .tooManyFromAddress)
        #expect(admission.openCount == 2)
        // The total still counts unattributed connections.
        #expect(admission.admit(nil) == .admitted)
        #expect(admission.admit(nil) == .tooManyTotal)
        admission.release(nil)
        admission.release(nil)
        #expect(admission.openCount == 1)
        #expect(admission.openCount(from: "203.0.113.7") == 1)
        admission.release("203.0.113.7")
        #expect(admission.openCount == 0)
        #expect(admission.trackedAddressCount == 0)
        #expect(admission.admit("203.0.113.7") == .admitted)
    }

    /// Without a per-address limit, attributing always admits and tracks nothing.
    @Test func attribute_AdmitsAndTracksNothing_WithoutPerAddressLimit() {
        let admission = ConnectionAdmission(maxTotal: 0, maxPerAddress: 0)
        #expect(admission.admit(nil) == .admitted)
        for _ in 0..<10 { #expect(admission.attribute("203.0.113.7") == .admitted) }
        #expect(admission.trackedAddressCount == 0)
        admission.release("203.0.113.7")
        #expect(admission.openCount == 0)
    }

    /// Concurrent admits and releases from many threads leave exact counts.
    @Test func admission_KeepsExactCounts_UnderConcurrency() async {
        let admission = ConnectionAdmission(maxTotal: 0, maxPerAddress: 100_000)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for i in 0..<2000 {
                        let address = "10.0.\(task).\(i % 7)"
                        #expect(admission.admit(address) == .admitted)
                        if i % 2 == 0 { admission.release(address) }
                    }
                }
            }
        }
        #expect(admission.openCount == 8 * 1000)
    }
}
