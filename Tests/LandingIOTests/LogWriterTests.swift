import Foundation
import Glibc
import Testing

@testable import LandingIO

/// The log writer thread: every submitted line reaches the descriptor whole and in order, promptly,
/// without a flush, however many threads submit at once.
@Suite struct LogWriterTests {
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
