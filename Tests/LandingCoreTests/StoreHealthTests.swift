import Dispatch
import Testing

@testable import LandingCore

@Suite("Store health")
struct StoreHealthTests {
    /// A new health (an embedded store that never reports) is available with no losses or reconnects.
    @Test func storeHealth_IsAvailable_WhenNothingReported() {
        let health = StoreHealth()
        #expect(health.isAvailable)
        #expect(health.connectionsDown == 0)
        #expect(health.losses == 0)
        #expect(health.reconnects == 0)
    }

    /// One lost connection makes the store unavailable and counts one loss, no reconnect.
    @Test func storeHealth_IsUnavailable_AfterOneLoss() {
        let health = StoreHealth()
        health.connectionLost()
        #expect(!health.isAvailable)
        #expect(health.connectionsDown == 1)
        #expect(health.losses == 1)
        #expect(health.reconnects == 0)
    }

    /// Restoring the lost connection makes it available again and counts one reconnect.
    @Test func storeHealth_IsAvailableAgain_AfterRestore() {
        let health = StoreHealth()
        health.connectionLost()
        health.connectionRestored()
        #expect(health.isAvailable)
        #expect(health.connectionsDown == 0)
        #expect(health.losses == 1)
        #expect(health.reconnects == 1)
    }

    /// With two connections down, restoring one leaves the store unavailable until the other is restored too.
    @Test func storeHealth_StaysUnavailable_UntilEveryConnectionRestored() {
        let health = StoreHealth()
        health.connectionLost()
        health.connectionLost()
        #expect(health.connectionsDown == 2)
        health.connectionRestored()
        #expect(!health.isAvailable)
        #expect(health.connectionsDown == 1)
        health.connectionRestored()
        #expect(health.isAvailable)
        #expect(health.losses == 2)
        #expect(health.reconnects == 2)
    }

    /// The loss and reconnect counters only grow across repeated outages, while the down gauge returns to zero.
    @Test func storeHealth_CountersAccumulate_AcrossOutages() {
        let health = StoreHealth()
        for _ in 0..<5 {
            health.connectionLost()
            health.connectionRestored()
        }
        #expect(health.isAvailable)
        #expect(health.losses == 5)
        #expect(health.reconnects == 5)
    }

    /// Losses and restores reported from many threads at once are all counted and balance out.
    @Test func storeHealth_CountsEveryReport_FromManyThreads() {
        let health = StoreHealth()
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            for _ in 0..<1_000 {
                health.connectionLost()
                health.connectionRestored()
            }
        }
        #expect(health.isAvailable)
        #expect(health.connectionsDown == 0)
        #expect(health.losses == 16_000)
        #expect(health.reconnects == 16_000)
    }
}
