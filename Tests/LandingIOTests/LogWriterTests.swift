import Foundation
import Glibc
import Synchronization
import Testing

@testable import LandingIO

/// The log writer thread: every submitted line reaches the descriptor whole and in order, promptly,
/// without a flush, however many threads submit at once; bounded, never blocking the caller.
@Suite struct LogWriterTests {
    @Test("a line submitted to an idle writer is written without waiting for more (flush returns it)")
    func idleWriter_WritesASingleLine() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let writer = LogWriter(fd: fds[1], coalescing: 0.005)
        for round in 0..<3 {
            writer.submit(Array("line \(round)\n".utf8))
            writer.flush(timeout: 2)
            var ready = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
            #expect(poll(&ready, 1, 0) == 1, "flush returned before the line was written")
            guard ready.revents & Int16(POLLIN) != 0 else { break }
            var buffer = [UInt8](repeating: 0, count: 64)
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            #expect(String(decoding: buffer[0..<max(n, 0)], as: UTF8.self) == "line \(round)\n")
            // An idle gap: the writer goes back to sleep and must be woken again.
            usleep(20_000)
        }
        close(fds[1])
        close(fds[0])
    }

    @Test("beyond its capacity the writer drops whole lines and counts them, never blocking")
    func overCapacity_DropsAndCounts() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        // Nobody reads the pipe yet: the writer thread blocks on it once its 64 KiB fill up.
        let writer = LogWriter(fd: fds[1], capacity: 4096, coalescing: 0.001)
        let line = Array(repeating: UInt8(ascii: "x"), count: 99) + [0x0A]
        for _ in 0..<5_000 { writer.submit(line) }
        #expect(writer.droppedLines > 0)
        #expect(writer.droppedLines <= 5_000)
        // why: drain the pipe and let the writer finish before closing, so it never writes into a
        // descriptor number another test has reused since. A thread of its own, not a task: the
        // test pool's few threads may all be busy with other (blocking) tests.
        let readFD = fds[0]
        let total = Mutex(0)
        let finished = DispatchSemaphore(value: 0)
        Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                total.withLock { $0 += n }
            }
            finished.signal()
        }.start()
        writer.flush(timeout: 60)
        close(fds[1])
        finished.wait()
        close(fds[0])
        #expect(total.withLock { $0 } / line.count + writer.droppedLines == 5_000)
    }
}

@Suite struct LogWriterFileTests {
    /// A temporary file open for writing, and its path.
    static func temporaryFile() throws -> (fd: Int32, path: String) {
        let path = NSTemporaryDirectory() + "logwriter-\(getpid())-\(UUID().uuidString).log"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        try #require(fd >= 0)
        return (fd, path)
    }

    static func contents(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// Lines from several threads at once all arrive, none torn or lost, each thread's in its order; `flush` waits for them.
    @Test func submit_FromManyThreads_WritesEveryLineWholeAndInOrder() throws {
        let file = try Self.temporaryFile()
        defer {
            close(file.fd)
            unlink(file.path)
        }
        let writer = LogWriter(fd: file.fd)
        let threads = 4
        let perThread = 2000
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in 0..<perThread {
                writer.submit(Array("{\"t\":\(thread),\"i\":\(index),\"pad\":\"\(String(repeating: "x", count: index % 97))\"}\n".utf8))
            }
        }
        writer.flush(timeout: 10)
        let lines = Self.contents(file.path).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == threads * perThread)
        #expect(writer.droppedLines == 0)
        var next = [Int](repeating: 0, count: threads)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            let thread = try #require(object["t"] as? Int)
            #expect(object["i"] as? Int == next[thread], "thread \(thread) out of order")
            next[thread] += 1
        }
        #expect(next == [Int](repeating: perThread, count: threads))
    }

    /// A line submitted alone, and one submitted after the writer went idle again, are written without anyone calling `flush`.
    @Test func submit_WritesPromptly_WithoutFlush() throws {
        let file = try Self.temporaryFile()
        defer {
            close(file.fd)
            unlink(file.path)
        }
        let writer = LogWriter(fd: file.fd)
        for (round, expected) in ["{\"n\":1}\n", "{\"n\":1}\n{\"n\":2}\n"].enumerated() {
            writer.submit(Array("{\"n\":\(round + 1)}\n".utf8))
            let deadline = Date(timeIntervalSinceNow: 5)
            while Self.contents(file.path) != expected && Date() < deadline { usleep(2000) }
            #expect(Self.contents(file.path) == expected)
        }
    }
}
