import CLinux
import Glibc
import Synchronization

/// Something registered with an event loop: told which epoll events fired on its descriptor.
protocol EventHandler: AnyObject {
    func handle(events: UInt32)
}

/// One thread, one epoll instance. Every connection belongs to exactly one loop and is only touched on
/// that loop's thread; other threads hand it work with `execute`, which wakes the loop via an eventfd.
/// Deadlines are checked by a periodic sweep (`tickInterval`), not a timer per connection.
final class EventLoop: @unchecked Sendable {
    let index: Int
    let epollFD: Int32
    private let wakeFD: Int32
    private let tasks = Mutex<[@Sendable () -> Void]>([])
    /// Handlers by descriptor number; descriptors are small integers, so an array beats a dictionary.
    private var handlers: [EventHandler?] = []
    private var running = true
    /// Called on the loop thread at least every `tickInterval` seconds, with the monotonic time.
    var onTick: ((Double) -> Void)?
    var tickInterval: Double = 0.25
    /// Called once at the end of every iteration (flushing the batched access log).
    var onIterationEnd: (() -> Void)?

    // Per-loop scratch buffers, shared by every connection on this loop (used synchronously only).
    let readBuffer: UnsafeMutableRawBufferPointer
    let tlsScratch: UnsafeMutableRawBufferPointer
    var plaintextOut: [UInt8] = []
    var cipherOut: [UInt8] = []

    init(index: Int) throws(SystemError) {
        self.index = index
        epollFD = try syscallBlocking("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        wakeFD = try syscallBlocking("eventfd") { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        tlsScratch = .allocate(byteCount: 80 * 1024, alignment: 16)
        plaintextOut.reserveCapacity(64 * 1024)
        cipherOut.reserveCapacity(80 * 1024)
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeFD
        try syscallBlocking("epoll_ctl(eventfd)") { epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event) }
    }

    deinit {
        Glibc.close(wakeFD)
        Glibc.close(epollFD)
        readBuffer.deallocate()
        tlsScratch.deallocate()
    }

    /// Registers `fd` with `events`, for `handler` (loop thread only).
    func register(fd: Int32, events: UInt32, handler: EventHandler) throws(SystemError) {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        try syscallBlocking("epoll_ctl(ADD)") { epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) }
        let i = Int(fd)
        if i >= handlers.count { handlers.append(contentsOf: repeatElement(nil, count: max(i + 1 - handlers.count, 1024))) }
        handlers[i] = handler
    }

    /// Removes `fd` from the loop before it is closed (loop thread only).
    func deregister(fd: Int32) {
        var event = epoll_event()
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, &event)
        if Int(fd) < handlers.count { handlers[Int(fd)] = nil }
    }

    /// Runs `task` on the loop thread soon. Safe from any thread.
    func execute(_ task: @escaping @Sendable () -> Void) {
        let wasEmpty = tasks.withLock { queue in
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

    /// The loop itself; returns after `stop()`.
    func run() {
        let maxEvents = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: maxEvents)
        defer { events.deallocate() }
        var nextTick = monotonicNow() + tickInterval
        while running {
            let now = monotonicNow()
            let timeoutMS = max(0, Int32(((nextTick - now) * 1000).rounded(.up)))
            let count = epoll_wait(epollFD, events, Int32(maxEvents), timeoutMS)
            if count > 0 {
                for i in 0..<Int(count) {
                    let event = events[i]
                    let fd = event.data.fd
                    if fd == wakeFD {
                        var value: UInt64 = 0
                        _ = read(wakeFD, &value, 8)
                        runTasks()
                    } else if Int(fd) < handlers.count, let handler = handlers[Int(fd)] {
                        handler.handle(events: event.events)
                    }
                }
            }
            let after = monotonicNow()
            if after >= nextTick {
                onTick?(after)
                nextTick = after + tickInterval
            }
            onIterationEnd?()
        }
        runTasks()
        onIterationEnd?()
    }

    private func runTasks() {
        while true {
            let batch = tasks.withLock { queue -> [@Sendable () -> Void] in
                let b = queue
                queue.removeAll(keepingCapacity: true)
                return b
            }
            if batch.isEmpty { return }
            for task in batch { task() }
        }
    }
}
