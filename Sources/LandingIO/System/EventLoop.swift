import CLinux
import Glibc
import Synchronization

/// Something registered with an event loop: told which epoll events fired on its descriptor.
protocol EventHandler: AnyObject {
    func handle(events: UInt32)
}

/// One thread, one epoll instance. Every connection belongs to exactly one loop and is only touched on
/// that loop's thread; other threads hand it work with `execute`, which wakes the loop via an eventfd.
///
/// One turn (`runOnce`): wait for events (no longer than the next timer, not at all when tasks are
/// queued), dispatch them, run the tasks other threads queued and those the loop queued for itself
/// before the turn began (tasks queued during the turn wait for the next one, so a task that
/// re-queues itself cannot keep the loop from epoll), fire due timers (`onTimers`), then
/// `onIterationEnd`. The clock is injected so tests drive turns
/// by hand with a clock of their own.
final class EventLoop: @unchecked Sendable {  // why: loop-confined state, checked by `assertOnLoop`.
    let index: Int
    let epollFD: Int32
    private let wakeFD: Int32
    /// Tasks from other threads (locked; the eventfd wakes the loop).
    private let remoteTasks = Mutex<[@Sendable () -> Void]>([])
    /// Tasks from the loop thread itself: no lock, no wake-up needed.
    private var localTasks: [() -> Void] = []
    /// Handlers by descriptor number, with the generation registered in the epoll user data, so an
    /// event queued for a closed descriptor never reaches the handler that reuses its number.
    private var handlers: [(generation: UInt32, handler: EventHandler)?] = []
    private var generation: UInt32 = 0
    private var running = true
    /// The thread running the loop, once it runs.
    private let owner = Atomic<UInt>(0)
    /// When the latest turn started (the clock's seconds, as a `Double` bit pattern): the loop's
    /// heartbeat, read by the watchdog from another thread (`secondsSinceLastTurn`).
    private let lastTurnStart = Atomic<UInt64>(0)
    let clock: @Sendable () -> Double
    /// The earliest timer deadline (monotonic seconds), asked before each wait.
    var nextDeadline: (() -> Double?)?
    /// Fires due timers; called every turn with the clock's time.
    var onTimers: ((Double) -> Void)?
    /// Called once at the end of every iteration (flushing the batched access log).
    var onIterationEnd: (() -> Void)?
    /// Called at the start of every turn, before its events (per-turn budgets).
    var onTurnStart: (() -> Void)?
    /// Longest wait when no timer is due sooner (housekeeping such as acceptor re-arming).
    var maxWait: Double = 0.25

    /// Per-loop read buffer, shared by every connection on this loop (used synchronously only).
    let readBuffer: UnsafeMutableRawBufferPointer

    private let maxEvents = 256
    private let events: UnsafeMutablePointer<epoll_event>

    init(index: Int, clock: @escaping @Sendable () -> Double = monotonicNow) throws(SystemError) {
        self.index = index
        self.clock = clock
        epollFD = try syscallBlocking("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        wakeFD = try syscallBlocking("eventfd") { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        events = .allocate(capacity: maxEvents)
        lastTurnStart.store(clock().bitPattern, ordering: .relaxed)
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = UInt64.max
        try syscallBlocking("epoll_ctl(eventfd)") { epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event) }
    }

    deinit {
        Glibc.close(wakeFD)
        Glibc.close(epollFD)
        readBuffer.deallocate()
        events.deallocate()
    }

    /// Whether the caller runs on this loop's thread (true before the loop first runs, while the
    /// thread that builds it sets it up).
    var inLoop: Bool {
        let thread = owner.load(ordering: .relaxed)
        return thread == 0 || thread == currentThread()
    }

    /// Debug builds check loop confinement, the way NIO's `NIOLoopBound` does.
    @inline(__always)
    func assertOnLoop(_ file: StaticString = #fileID, _ line: UInt = #line) {
        assert(inLoop, "loop-confined state touched off its loop thread", file: file, line: line)
    }

    /// Registers `fd` with `events`, for `handler` (loop thread only).
    func register(fd: Int32, events: UInt32, handler: EventHandler) throws(SystemError) {
        assertOnLoop()
        generation &+= 1
        var event = epoll_event()
        event.events = events
        event.data.u64 = UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd))
        try syscallBlocking("epoll_ctl(ADD)") { epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) }
        let i = Int(fd)
        if i >= handlers.count { handlers.append(contentsOf: repeatElement(nil, count: max(i + 1 - handlers.count, 1024))) }
        handlers[i] = (generation, handler)
    }

    /// Removes `fd` from the loop before it is closed (loop thread only).
    func deregister(fd: Int32, closingNext: Bool = false) {
        assertOnLoop()
        // why: closing the last descriptor of an open file removes it from every epoll set
        // (epoll(7)); a caller that closes `fd` next and holds its only reference (our sockets are
        // CLOEXEC and never dup'ed) saves the EPOLL_CTL_DEL syscall, one per connection.
        if !closingNext {
            var event = epoll_event()
            _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, &event)
        }
        if Int(fd) < handlers.count { handlers[Int(fd)] = nil }
    }

    /// Runs `task` on the loop thread soon: on a later turn, after the events of this one. Safe from
    /// any thread; from the loop thread it takes no lock and writes no eventfd.
    func execute(_ task: @escaping @Sendable () -> Void) {
        if owner.load(ordering: .relaxed) == currentThread() {
            localTasks.append(task)
            return
        }
        let wasEmpty = remoteTasks.withLock { queue in
            queue.append(task)
            return queue.count == 1
        }
        if wasEmpty {
            var one: UInt64 = 1
            // why: a full eventfd counter (EAGAIN) still means the loop will wake; nothing to do.
            _ = write(wakeFD, &one, 8)
        }
    }

    /// Stops the loop after the current iteration. Safe from any thread.
    func stop() {
        execute { [unowned self] in self.running = false }
    }

    /// The loop itself, on the calling thread; returns after `stop()`.
    func run() {
        owner.store(currentThread(), ordering: .relaxed)
        while running {
            runOnce()
        }
        runQueuedTasks()
        onIterationEnd?()
    }

    /// One turn. `maxWait` nil: as long as the next timer allows; 0 polls without blocking (tests).
    func runOnce(maxWait: Double? = nil) {
        if owner.load(ordering: .relaxed) == 0 { owner.store(currentThread(), ordering: .relaxed) }
        let now = clock()
        lastTurnStart.store(now.bitPattern, ordering: .relaxed)
        // why: tasks the loop queued for itself (a connection yielding after its per-dispatch
        // budget) run in this turn, after this turn's events; those queued while this turn runs
        // wait for the next one, so every other ready connection is served between two slices of
        // a busy one.
        let local = localTasks
        localTasks = []
        var wait = maxWait ?? self.maxWait
        if let deadline = nextDeadline?() { wait = min(wait, max(0, deadline - now)) }
        if !local.isEmpty { wait = 0 }
        let timeoutMS = Int32(min(wait * 1000, 3_600_000).rounded(.up))
        let count = epoll_wait(epollFD, events, Int32(maxEvents), timeoutMS)
        onTurnStart?()
        var woken = false
        if count > 0 {
            for i in 0..<Int(count) {
                let event = events[i]
                let data = event.data.u64
                if data == UInt64.max {
                    woken = true
                    continue
                }
                deliver(data: data, events: event.events)
            }
        }
        if woken {
            var value: UInt64 = 0
            _ = read(wakeFD, &value, 8)
        }
        runRemoteTasks()
        for task in local { task() }
        onTimers?(clock())
        onIterationEnd?()
    }

    /// Hands an event to the handler registered for its descriptor, if the generation in the user
    /// data is still the registered one.
    func deliver(data: UInt64, events: UInt32) {
        let fd = Int(UInt32(truncatingIfNeeded: data))
        let eventGeneration = UInt32(truncatingIfNeeded: data >> 32)
        guard fd < handlers.count, let entry = handlers[fd], entry.generation == eventGeneration else { return }
        entry.handler.handle(events: events)
    }

    /// The epoll user data registered for `fd` now (tests).
    func userData(fd: Int32) -> UInt64 {
        guard Int(fd) < handlers.count, let entry = handlers[Int(fd)] else { return 0 }
        return UInt64(entry.generation) << 32 | UInt64(UInt32(bitPattern: fd))
    }

    /// Runs the tasks other threads queued before this call (deferred work completing).
    private func runRemoteTasks() {
        let remote = remoteTasks.withLock { queue -> [@Sendable () -> Void] in
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            return batch
        }
        for task in remote { task() }
    }

    /// Runs everything queued (after `stop`).
    private func runQueuedTasks() {
        runRemoteTasks()
        let local = localTasks
        localTasks = []
        for task in local { task() }
    }

    /// Seconds since the latest turn started (since creation before the first). Safe from any
    /// thread. A healthy loop starts one at least every `maxWait`, idle or not, since a turn's work is
    /// bounded; a large value means the loop is stuck in a turn.
    var secondsSinceLastTurn: Double {
        clock() - Double(bitPattern: lastTurnStart.load(ordering: .relaxed))
    }

    /// Whether tasks are waiting (tests).
    var hasQueuedTasks: Bool { !localTasks.isEmpty || !remoteTasks.withLock { $0.isEmpty } }
}

/// The calling thread's identity (`pthread_t`, an integer on Linux).
@inline(__always)
private func currentThread() -> UInt { UInt(pthread_self()) }
