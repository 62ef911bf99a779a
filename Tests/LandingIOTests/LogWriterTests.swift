import Foundation
import Glibc
import Testing

@testable import LandingIO

/// The log writer that carries the access log and the application log: batched, bounded, in order.
@Suite struct LogWriterTests {
    @Test("lines submitted from four threads at once all arrive, whole, each thread's in its order")
    func burstFromFourThreads_ArrivesWholeAndInOrder() async throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let writer = LogWriter(fd: fds[1], coalescing: 0.005)
        let reader = Task.detached { [fds] in
            var out: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
                if n <= 0 { return out }
                out.append(contentsOf: buffer[0..<n])
            }
        }
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for i in 0..<2_000 { writer.submit(Array("t\(thread) \(i)\n".utf8)) }
        }
        writer.flush(timeout: 10)
        close(fds[1])
        let text = String(decoding: await reader.value, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 8_000)
        #expect(writer.droppedLines == 0)
        for thread in 0..<4 {
            let mine = lines.filter { $0.hasPrefix("t\(thread) ") }.map { Int($0.split(separator: " ")[1]) ?? -1 }
            #expect(mine == Array(0..<2_000))
        }
        close(fds[0])
    }

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
    func overCapacity_DropsAndCounts() async throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        // Nobody reads the pipe yet: the writer thread blocks on it once its 64 KiB fill up.
        let writer = LogWriter(fd: fds[1], capacity: 4096, coalescing: 0.001)
        let line = Array(repeating: UInt8(ascii: "x"), count: 99) + [0x0A]
        for _ in 0..<5_000 { writer.submit(line) }
        #expect(writer.droppedLines > 0)
        #expect(writer.droppedLines <= 5_000)
        // why: drain the pipe and let the writer finish before closing, so it never writes into a
        // descriptor number another test has reused since.
        let reader = Task.detached { [fds] in
            var total = 0
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
                if n <= 0 { return total }
                total += n
            }
        }
        writer.flush(timeout: 10)
        close(fds[1])
        let written = await reader.value
        close(fds[0])
        #expect(written / line.count + writer.droppedLines == 5_000)
    }
}
