import Foundation
import Synchronization
import Testing

@testable import LandingCore

/// Every wake a waiter's resume received, in order.
private final class Wakes: Sendable {
    private let list = Mutex<[RecordWaiters.Wake]>([])
    var all: [RecordWaiters.Wake] { list.withLock { $0 } }
    var resume: @Sendable (RecordWaiters.Wake) -> Void { { wake in self.list.withLock { $0.append(wake) } } }
}

private func ticket(_ waiters: RecordWaiters, owner: String = "k") throws -> RecordWaiters.Ticket {
    try #require(try? waiters.reserve(owner: owner).get())
}

@Suite("Record waiters: watch and notifyAll")
struct LandingWaiterWatchTests {
    /// A change announced between `watch` and `wait` makes the wait resume at once with `.changed`.
    @Test func watch_ResumesWaitAtOnce_WhenChangeAnnouncedBeforeWait() throws {
        let waiters = RecordWaiters()
        let t = try ticket(waiters)
        waiters.watch(t, for: .item("a"))
        waiters.notify([.item("a")])
        let wakes = Wakes()
        waiters.wait(t, for: .item("a"), resume: wakes.resume)
        #expect(wakes.all == [.changed])
    }

    /// A change announced through `notify([RecordChange])` (the commit hook's form) also counts for a watch.
    @Test func watch_SeesChangeFromCommitHook() throws {
        let waiters = RecordWaiters()
        let t = try ticket(waiters)
        waiters.watch(t, for: .session("s"))
        waiters.notify([RecordChange(key: .session("s"), version: 2)])
        let wakes = Wakes()
        waiters.wait(t, for: .session("s"), resume: wakes.resume)
        #expect(wakes.all == [.changed])
    }

    /// Without a change since `watch`, `wait` registers and resumes only when a change comes.
    @Test func watch_WaitBlocks_UntilChange_WhenNothingAnnounced() throws {
        let waiters = RecordWaiters()
        let t = try ticket(waiters)
        waiters.watch(t, for: .item("a"))
        let wakes = Wakes()
        waiters.wait(t, for: .item("a"), resume: wakes.resume)
        #expect(wakes.all.isEmpty)
        waiters.notify([.item("a")])
        #expect(wakes.all == [.changed])
    }

    /// Many waiters on one record (the key's ticket list grows from one to many and back): a
    /// cancelled one is never resumed, every other is woken once, and the record's list is gone after.
    @Test func manyWaitersOnOneKey_CancelledSkipped_RestWokenOnce() throws {
        let waiters = RecordWaiters()
        let tickets = try (0..<50).map { _ in try ticket(waiters) }
        let wakes = tickets.map { _ in Wakes() }
        for (t, w) in zip(tickets, wakes) { waiters.wait(t, for: .item("a"), resume: w.resume) }
        // Cancel all but two, leaving the list to shrink back to one ticket and then grow again.
        for t in tickets[2...] { waiters.cancel(t) }
        let late = try ticket(waiters)
        let lateWakes = Wakes()
        waiters.wait(late, for: .item("a"), resume: lateWakes.resume)
        waiters.notify([.item("a")])
        #expect(wakes[0].all == [.changed])
        #expect(wakes[1].all == [.changed])
        #expect(lateWakes.all == [.changed])
        for w in wakes[2...] { #expect(w.all.isEmpty) }
        // Nothing is left registered on the key: another change wakes nobody again.
        waiters.notify([.item("a")])
        #expect(wakes[0].all == [.changed])
        #expect(lateWakes.all == [.changed])
    }

    /// A change to another key (or the same id of the other kind) does not mark a watching ticket changed.
    @Test func watch_IgnoresChangesToOtherKeys() throws {
        let waiters = RecordWaiters()
        let t = try ticket(waiters)
        waiters.watch(t, for: .item("a"))
        waiters.notify([.item("b"), .session("a")])
        let wakes = Wakes()
        waiters.wait(t, for: .item("a"), resume: wakes.resume)
        #expect(wakes.all.isEmpty)
    }

    /// A change announced before `watch` is not carried into the watch: the read after `watch` sees it.
    @Test func watch_IgnoresChangesAnnouncedBeforeIt() throws {
        let waiters = RecordWaiters()
        let t = try ticket(waiters)
        waiters.notify([.item("a")])
        waiters.watch(t, for: .item("a"))
        let wakes = Wakes()
        waiters.wait(t, for: .item("a"), resume: wakes.resume)
        #expect(wakes.all.isEmpty)
    }

    /// Watching again (before a new read) forgets a change seen by the previous watch.
    @Test func watch_Again_ClearsEarlierChange() throws {
        let waiters = RecordWaiters()
        let t = try ticket(waiters)
        waiters.watch(t, for: .item("a"))
        waiters.notify([.item("a")])
        waiters.watch(t, for: .item("a"))
        let wakes = Wakes()
        waiters.wait(t, for: .item("a"), resume: wakes.resume)
        #expect(wakes.all.isEmpty)
    }

    /// Watching a new key stops watching the old one.
    @Test func watch_OtherKey_StopsWatchingOldKey() throws {
        let waiters = RecordWaiters()
        let t = try ticket(waiters)
        waiters.watch(t, for: .item("a"))
        waiters.watch(t, for: .item("b"))
        waiters.notify([.item("a")])
        let wakes = Wakes()
        waiters.wait(t, for: .item("b"), resume: wakes.resume)
        #expect(wakes.all.isEmpty)
        waiters.notify([.item("b")])
        #expect(wakes.all == [.changed])
    }

    /// The change flag is consumed by the wait it resumes: the next wait on the ticket waits for a new change.
    @Test func watch_ChangeIsConsumed_ByOneWait() throws {
        let waiters = RecordWaiters()
        let t = try ticket(waiters)
        waiters.watch(t, for: .item("a"))
        waiters.notify([.item("a")])
        let first = Wakes()
        waiters.wait(t, for: .item("a"), resume: first.resume)
        #expect(first.all == [.changed])
        let second = Wakes()
        waiters.wait(t, for: .item("a"), resume: second.resume)
        #expect(second.all.isEmpty)
        waiters.notify([.item("a")])
        #expect(second.all == [.changed])
        #expect(first.all == [.changed])
    }

    /// Watching a cancelled ticket does nothing: a later wait never resumes and no ticket is counted.
    @Test func watch_DoesNothing_ForCancelledTicket() throws {
        let waiters = RecordWaiters()
        let t = try ticket(waiters)
        waiters.cancel(t)
        waiters.watch(t, for: .item("a"))
        waiters.notify([.item("a")])
        let wakes = Wakes()
        waiters.wait(t, for: .item("a"), resume: wakes.resume)
        waiters.notifyAll()
        #expect(wakes.all.isEmpty)
        #expect(waiters.count == 0)
    }

    /// A watching ticket that is released is forgotten: notifying its key afterwards changes nothing.
    @Test func watch_ReleasedTicket_IsForgotten() throws {
        let waiters = RecordWaiters()
        let t = try ticket(waiters)
        waiters.watch(t, for: .item("a"))
        waiters.release(t)
        waiters.notify([.item("a")])
        waiters.notifyAll()
        #expect(waiters.count == 0)
        #expect(waiters.count(owner: "k") == 0)
    }

    /// A deadline passing while watching makes the wait resume with `.timedOut`.
    @Test func watch_ThenTimeOut_ResumesWaitTimedOut() throws {
        let waiters = RecordWaiters()
        let t = try ticket(waiters)
        waiters.watch(t, for: .item("a"))
        waiters.timeOut(t)
        let wakes = Wakes()
        waiters.wait(t, for: .item("a"), resume: wakes.resume)
        #expect(wakes.all == [.timedOut])
    }

    /// Shutdown while watching makes the wait resume with `.shutdown`, even if a change was announced too.
    @Test func watch_ThenShutdown_ResumesWaitWithShutdown() throws {
        let waiters = RecordWaiters()
        let t = try ticket(waiters)
        waiters.watch(t, for: .item("a"))
        waiters.notify([.item("a")])
        waiters.shutdownAll()
        let wakes = Wakes()
        waiters.wait(t, for: .item("a"), resume: wakes.resume)
        #expect(wakes.all == [.shutdown])
    }

    /// `notifyAll` wakes every registered waiter, whatever its key, with `.changed` exactly once; tickets stay held.
    @Test func notifyAll_WakesEveryWaiter_Once() throws {
        let waiters = RecordWaiters()
        let keys: [LandingRecord.Key] = [.item("a"), .item("a"), .item("b"), .session("a"), .session("z")]
        var all: [Wakes] = []
        for (index, key) in keys.enumerated() {
            let t = try ticket(waiters, owner: "o\(index % 2)")
            let wakes = Wakes()
            waiters.wait(t, for: key, resume: wakes.resume)
            all.append(wakes)
        }
        #expect(all.allSatisfy { $0.all.isEmpty })
        waiters.notifyAll()
        #expect(all.map(\.all) == Array(repeating: [.changed], count: keys.count))
        #expect(waiters.count == keys.count)
        waiters.notifyAll()
        waiters.notify(keys)
        #expect(all.map(\.all) == Array(repeating: [.changed], count: keys.count))
    }

    /// `notifyAll` marks a watching ticket changed, so its following wait resumes at once.
    @Test func notifyAll_MarksWatchingTicketsChanged() throws {
        let waiters = RecordWaiters()
        let watching = try ticket(waiters)
        let waiting = try ticket(waiters)
        waiters.watch(watching, for: .item("w"))
        let waitingWakes = Wakes()
        waiters.wait(waiting, for: .session("s"), resume: waitingWakes.resume)
        waiters.notifyAll()
        #expect(waitingWakes.all == [.changed])
        let watchingWakes = Wakes()
        waiters.wait(watching, for: .item("w"), resume: watchingWakes.resume)
        #expect(watchingWakes.all == [.changed])
    }

    /// `notifyAll` does not resume tickets that are neither watching nor waiting (between waits), nor a later wait of theirs.
    @Test func notifyAll_SkipsIdleTickets() throws {
        let waiters = RecordWaiters()
        let t = try ticket(waiters)
        waiters.notifyAll()
        let wakes = Wakes()
        waiters.wait(t, for: .item("a"), resume: wakes.resume)
        #expect(wakes.all.isEmpty)
        waiters.notify([.item("a")])
        #expect(wakes.all == [.changed])
    }

    /// `notifyAll` with nobody waiting changes nothing.
    @Test func notifyAll_WithNoWaiters_DoesNothing() throws {
        let waiters = RecordWaiters()
        waiters.notifyAll()
        #expect(waiters.count == 0)
        let t = try ticket(waiters)
        waiters.notifyAll()
        #expect(waiters.count == 1)
        waiters.release(t)
        #expect(waiters.count == 0)
    }

    /// A change announced from another thread at any moment after `watch` is never lost: every wait resumes exactly once with `.changed`.
    @Test func watch_NeverLosesChange_RacingWithNotifier() throws {
        let waiters = RecordWaiters()
        for round in 0..<500 {
            let t = try ticket(waiters)
            let key = LandingRecord.Key.item("race-\(round % 7)")
            waiters.watch(t, for: key)
            let notified = DispatchSemaphore(value: 0)
            let useAll = round % 2 == 0
            DispatchQueue.global().async {
                if useAll { waiters.notifyAll() } else { waiters.notify([key]) }
                notified.signal()
            }
            let wakes = Wakes()
            waiters.wait(t, for: key, resume: wakes.resume)
            notified.wait()
            #expect(wakes.all == [.changed], "round \(round)")
            waiters.release(t)
        }
        #expect(waiters.count == 0)
    }
}
