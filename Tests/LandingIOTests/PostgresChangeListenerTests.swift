import Foundation
import LandingCore
import Synchronization
import Testing

@testable import LandingIO

/// A listener under test with what it reported: the changes for this test's ids (LISTEN/NOTIFY
/// is database-wide, so other tests' changes arrive too and are filtered out by `marker`) and its
/// reconnect calls. Its connections carry a unique `application_name`, so the test can terminate
/// exactly its backend.
private final class ListenerProbe: Sendable {
    let marker: String
    let applicationName: String
    let health: StoreHealth
    let changes: Tally<RecordChange>
    let reconnects: Tally<Int>
    let refuse: TestFlag
    let listener: PostgresChangeListener

    init(policy: PostgresStore.LinkPolicy = PostgresStore.LinkPolicy()) throws {
        let marker = PGTestEnvironment.uniqueName("listen")
        let applicationName = PGTestEnvironment.uniqueName("landing_listener")
        let changes = Tally<RecordChange>()
        let reconnects = Tally<Int>()
        let refuse = TestFlag()
        let health = StoreHealth()
        let connector = try PGBackends.connector(nil, applicationName: applicationName, refuse: refuse)
        let count = TestCounter()
        self.marker = marker
        self.applicationName = applicationName
        self.changes = changes
        self.reconnects = reconnects
        self.refuse = refuse
        self.health = health
        listener = PostgresChangeListener(
            connector: connector, health: health, policy: policy,
            onChanges: { batch in
                for change in batch {
                    switch change.key {
                    case .item(let id), .session(let id): if id.hasPrefix(marker) { changes.add(change) }
                    }
                }
            },
            onReconnect: { reconnects.add(count.increment()) })
    }

    /// Starts the listener and waits for its first `onReconnect` (LISTEN is in force then).
    func start() throws {
        listener.start()
        try #require(reconnects.wait(for: 1, timeout: 5) != nil, "the listener never connected")
    }

    func id(_ suffix: String) -> String { "\(marker)-\(suffix)" }
}

private func callback(_ itemId: String, sessionId: String? = nil) -> CallbackEvent {
    CallbackEvent(itemId: itemId, sessionId: sessionId, error: nil, receivedAt: 1_000)
}

@Suite("PostgreSQL change listener", .enabled(if: PGTestEnvironment.shouldRun, PGTestEnvironment.skipReason))
struct PostgresChangeListenerTests {
    /// Changes committed by a PostgresStore reach the listener's `onChanges` as decoded records with their versions.
    @Test func listener_ReceivesChangesCommittedByStore() throws {
        let schema = try PostgresTestSchema()
        defer { schema.remove() }
        let probe = try ListenerProbe()
        try probe.start()
        defer { probe.listener.stop() }
        #expect(probe.listener.isListening)
        #expect(probe.reconnects.all == [1])
        let store = try schema.store()
        let session = probe.id("s")
        _ = try store.createSession(NewSession(id: session, clientUserId: nil, returnURL: nil, createdAt: 1_000, expiresAt: 9_000_000_000_000))
        _ = try store.recordCallback(callback(probe.id("i")))
        _ = try store.recordCallback(callback(probe.id("i")))
        let got = try #require(probe.changes.wait(for: 3, timeout: 5), "got \(probe.changes.all)")
        #expect(Set(got) == [
            RecordChange(key: .session(session), version: 1), RecordChange(key: .item(probe.id("i")), version: 1),
            RecordChange(key: .item(probe.id("i")), version: 2),
        ])
        #expect(probe.listener.received >= 3)
        #expect(probe.health.isAvailable && probe.health.losses == 0)
        #expect((0...1).contains(probe.listener.queueUsage))
    }

    /// Malformed payloads and other channels are counted as received but never handed to `onChanges`.
    @Test func listener_DropsMalformedPayloads() throws {
        let probe = try ListenerProbe()
        try probe.start()
        defer { probe.listener.stop() }
        let sender = try PGTestEnvironment.connect()
        let before = probe.listener.received
        for payload in ["item:\(probe.id("bad")):0", "widget:\(probe.id("bad")):1", "\(probe.id("bad"))", "item:\(probe.id("ok")):5"] {
            try sender.notify(PostgresStore.changeChannel, payload: payload)
        }
        try sender.notify(PGTestEnvironment.uniqueName("other_channel"), payload: "item:\(probe.id("elsewhere")):1")
        let got = try #require(probe.changes.wait(for: 1, timeout: 5))
        Thread.sleep(forTimeInterval: 0.1)  // anything wrongly passed on would show up now
        #expect(got == [RecordChange(key: .item(probe.id("ok")), version: 5)])
        #expect(probe.changes.all == got)
        #expect(probe.listener.received >= before + 4)
    }

    /// After its backend is terminated the listener reconnects, listens again, calls `onReconnect` a second time and still receives changes; health records one loss and one restore.
    @Test func listener_Reconnects_AfterBackendTerminated() throws {
        let schema = try PostgresTestSchema()
        defer { schema.remove() }
        let probe = try ListenerProbe()
        try probe.start()
        defer { probe.listener.stop() }
        let before = try PGBackends.pids(applicationName: probe.applicationName)
        #expect(before.count == 1)
        #expect(try PGBackends.terminate(applicationName: probe.applicationName) == 1)
        #expect(probe.reconnects.wait(for: 2, timeout: 5) == [1, 2])
        #expect(probe.listener.isListening)
        #expect(probe.health.losses == 1)
        #expect(probe.health.reconnects == 1)
        #expect(probe.health.isAvailable)
        let after = try PGBackends.pids(applicationName: probe.applicationName)
        #expect(after.count == 1 && after != before)
        let store = try schema.store()
        _ = try store.recordCallback(callback(probe.id("after")))
        #expect(probe.changes.wait(for: 1, timeout: 5) == [RecordChange(key: .item(probe.id("after")), version: 1)])
        #expect(probe.reconnects.all == [1, 2])
    }

    /// A listener that cannot connect at start reports the store down, and connects (calling `onReconnect`) once the database is reachable.
    @Test func listener_ConnectsLater_WhenDatabaseUnreachableAtStart() throws {
        var policy = PostgresStore.LinkPolicy()
        policy.backoff = ReconnectBackoff.Policy(initialDelay: 0.01, multiplier: 1, maximumDelay: 0.01)
        let probe = try ListenerProbe(policy: policy)
        probe.refuse.set(true)
        probe.listener.start()
        defer { probe.listener.stop() }
        let deadline = monotonicNow() + 5
        while probe.health.losses == 0 && monotonicNow() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        #expect(!probe.health.isAvailable)
        #expect(!probe.listener.isListening)
        Thread.sleep(forTimeInterval: 0.05)
        #expect(probe.reconnects.all.isEmpty)
        #expect(probe.health.losses == 1, "every failed attempt must not count as another loss")
        probe.refuse.set(false)
        #expect(probe.reconnects.wait(for: 1, timeout: 5) == [1])
        #expect(probe.listener.isListening)
        #expect(probe.health.isAvailable && probe.health.reconnects == 1)
    }

    /// `stop()` returns promptly (within about the poll interval) and leaves the listener not listening, its backend gone.
    @Test func listener_StopsPromptly() throws {
        let probe = try ListenerProbe()
        try probe.start()
        let started = monotonicNow()
        probe.listener.stop()
        let took = monotonicNow() - started
        #expect(took < 1.0, "stop took \(took) s")
        #expect(!probe.listener.isListening)
        let deadline = monotonicNow() + 2
        while try !PGBackends.pids(applicationName: probe.applicationName).isEmpty && monotonicNow() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(try PGBackends.pids(applicationName: probe.applicationName).isEmpty, "the listener's connection is still open")
    }
}
