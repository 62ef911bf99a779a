// landing-store-writer: a helper for the store's crash test and a hand-run throughput check.
//
//   landing-store-writer --store sqlite:PATH
//       Records callbacks for item-1, item-2, ... through a StoreWorker fed by several submitter
//       threads (so group commit happens), printing "acked ITEMID" on stdout only after the
//       completion reported success. Runs until killed (StoreCrashTests SIGKILLs it), at most 60 s.
//
//   landing-store-writer --bench N [--store sqlite:PATH]
//       Prints callbacks/s: one submitter (one commit per callback), then 64 concurrent submitters
//       (group commit). Without --store it uses a temporary database, removed afterwards.
import Dispatch
import Foundation
import Glibc
import LandingCore
import LandingIO
import Synchronization

/// Writes `text` to `fd` with one unbuffered `write` (a line under PIPE_BUF is never interleaved).
func emit(_ text: String, to fd: Int32 = 1) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { exit(3) }
        offset += n
    }
}

func fail(_ message: String) -> Never {
    emit("landing-store-writer: \(message)\n", to: 2)
    exit(2)
}

func nowMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000 + Int64(ts.tv_nsec) / 1_000_000
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// A callback like the server records: a completed item with a few forensic parameters.
func callback(_ itemID: String) -> CallbackEvent {
    CallbackEvent(
        itemId: itemID, sessionId: nil, error: nil,
        rawParameters: [RawParameter(name: "item_id", value: itemID), RawParameter(name: "scope", value: "accounts")],
        receivedAt: nowMilliseconds())
}

/// Counts `commit` calls, to report the mean group-commit batch.
final class CountingStore: LandingStore {
    let base: any LandingStore
    let batches = Atomic<Int>(0)
    init(_ base: any LandingStore) { self.base = base }
    func commit(_ writes: [StoreWrite]) throws(StoreError) -> StoreCommit {
        batches.add(1, ordering: .relaxed)
        return try base.commit(writes)
    }
    func session(id: String) throws(StoreError) -> LandingRecord? { try base.session(id: id) }
    func item(id: String) throws(StoreError) -> LandingRecord? { try base.item(id: id) }
    func purge(updatedBefore cutoff: Int64) throws(StoreError) -> Int { try base.purge(updatedBefore: cutoff) }
}

/// The next item number, shared by the submitter threads.
final class Counter: Sendable {
    private let value: Atomic<Int>
    init(startingAt start: Int) { value = Atomic(start) }
    func next() -> Int { value.add(1, ordering: .relaxed).newValue }
}

/// Starts `submitters` threads; each takes the next number from `counter` (while below `limit`),
/// records `item-N` through `worker` and waits for the completion before taking another.
/// `acked` runs on the store thread after each successful commit. Returns when all threads end.
func runSubmitters(
    _ submitters: Int, worker: StoreWorker, limit: Int, counter: Counter, acked: @escaping @Sendable (String) -> Void
) {
    let done = DispatchGroup()
    for index in 0..<submitters {
        done.enter()
        let thread = Thread {
            let ready = DispatchSemaphore(value: 0)
            while true {
                let n = counter.next()
                if n > limit { break }
                let itemID = "item-\(n)"
                worker.recordCallback(callback(itemID)) { result in
                    switch result {
                    case .success(.recorded(let record, _)) where record.status == .completed: acked(itemID)
                    case .success(let other): fail("unexpected result for \(itemID): \(other)")
                    case .failure(let error): fail("\(error)")
                    }
                    ready.signal()
                }
                ready.wait()
            }
            done.leave()
        }
        thread.name = "submitter-\(index)"
        thread.start()
    }
    done.wait()
}

func openStore(_ argument: String) -> any LandingStore {
    guard argument.hasPrefix("sqlite:"), argument.count > "sqlite:".count else { fail("--store takes sqlite:PATH") }
    do {
        return try StoreFactory.makeStore(.sqlite(path: String(argument.dropFirst("sqlite:".count))))
    } catch {
        fail("\(error)")
    }
}

func crashWriter(store argument: String) -> Never {
    let worker = StoreWorker(store: openStore(argument))
    let counter = Counter(startingAt: 0)
    let watchdog = Thread {
        // why: if the test that started us dies without killing us, do not write forever.
        sleep(60)
        exit(0)
    }
    watchdog.start()
    runSubmitters(8, worker: worker, limit: Int.max, counter: counter) { emit("acked \($0)\n") }
    exit(0)
}

func bench(count: Int, store argument: String?) {
    let path = argument.map { String($0.dropFirst("sqlite:".count)) } ?? "/tmp/landing-store-bench-\(getpid()).db"
    defer {
        if argument == nil { for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) } }
    }
    let counting = CountingStore(openStore("sqlite:" + path))
    let worker = StoreWorker(store: counting)
    defer { worker.shutdown() }
    var offset = 0
    for submitters in [1, 64] {
        let n = submitters == 1 ? min(count, 500) : count
        let counter = Counter(startingAt: offset)
        let batchesBefore = counting.batches.load(ordering: .relaxed)
        let start = monotonicSeconds()
        runSubmitters(submitters, worker: worker, limit: offset + n, counter: counter) { _ in }
        let elapsed = monotonicSeconds() - start
        let batches = counting.batches.load(ordering: .relaxed) - batchesBefore
        let rate = Double(n) / elapsed
        let label = submitters == 1 ? "1 submitter (a commit per callback)" : "\(submitters) submitters (group commit)"
        emit(String(format: "%@: %d callbacks in %.3f s = %.0f callbacks/s, %d commits, mean batch %.1f\n",
                    label, n, elapsed, rate, batches, Double(n) / Double(max(batches, 1))))
        offset += n
    }
}

// MARK: Arguments

var arguments = CommandLine.arguments.dropFirst()
var storeArgument: String?
var benchCount: Int?
while let flag = arguments.popFirst() {
    guard let value = arguments.popFirst() else { fail("\(flag) needs a value") }
    switch flag {
    case "--store": storeArgument = value
    case "--bench":
        guard let n = Int(value), n > 0 else { fail("--bench takes a positive count") }
        benchCount = n
    default: fail("unknown argument \(flag); usage: --store sqlite:PATH | --bench N [--store sqlite:PATH]")
    }
}
if let benchCount {
    bench(count: benchCount, store: storeArgument)
} else if let storeArgument {
    crashWriter(store: storeArgument)
} else {
    fail("usage: --store sqlite:PATH | --bench N [--store sqlite:PATH]")
}
