import Foundation
import Glibc
import LandingCore
import Testing

@testable import LandingIO

/// The `landing-store-writer` helper built next to the test bundle (`<scratch>/debug/`, whatever
/// `--scratch-path` says). `LANDING_STORE_WRITER` overrides the search.
private func writerPath() throws -> String {
    let name = "landing-store-writer"
    var candidates: [String] = []
    if let override = ProcessInfo.processInfo.environment["LANDING_STORE_WRITER"], !override.isEmpty {
        candidates.append(override)
    }
    let cwd = FileManager.default.currentDirectoryPath
    func absolute(_ path: String) -> URL {
        URL(fileURLWithPath: path.hasPrefix("/") ? path : cwd + "/" + path).standardizedFileURL
    }
    if let argv0 = CommandLine.arguments.first, argv0.contains("/") {
        let runner = absolute(argv0)
        candidates.append(runner.deletingLastPathComponent().appendingPathComponent(name).path)
        // macOS: the runner sits inside `X.xctest/Contents/MacOS/`.
        if let bundle = runner.pathComponents.lastIndex(where: { $0.hasSuffix(".xctest") }) {
            candidates.append(NSString.path(withComponents: Array(runner.pathComponents[..<bundle])) + "/" + name)
        }
    }
    let bundle = absolute(Bundle.main.bundlePath)
    candidates.append(bundle.appendingPathComponent(name).path)
    candidates.append(bundle.deletingLastPathComponent().appendingPathComponent(name).path)
    if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent(name).path)
    }
    if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
    throw StoreError("\(name) not found; looked at \(candidates). Build it first (swift build --build-tests).")
}

/// The item ids of the complete "acked ITEMID" lines in `text` (a line cut short by the kill is ignored).
private func ackedItems(_ text: String) -> [String] {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    lines.removeLast()  // why: the text after the last newline is incomplete (or empty).
    return lines.compactMap { $0.hasPrefix("acked ") ? String($0.dropFirst("acked ".count)) : nil }
}

@Suite("Store crash")
struct StoreCrashTests {
    /// Every callback the writer acknowledged is in the database, completed, after the writer is SIGKILLed mid-stream.
    @Test
    func storeCrash_KeepsEveryAckedCallback_WhenWriterIsKilled() throws {
        let writer = try writerPath()
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        for (round, threshold) in [200, 333, 517].enumerated() {
            let path = directory.file("round-\(round)/landing.db")
            let child = try Subprocess(writer, ["--store", "sqlite:\(path)"])
            let reached = child.stdout.wait(timeout: 60) { ackedItems($0).count >= threshold }
            child.kill()
            child.stdout.waitForEnd(timeout: 10)
            let acked = ackedItems(child.stdout.text)
            #expect(reached, "round \(round): \(acked.count) acks before the writer stopped; stderr: \(child.stderr.text)")
            #expect(child.exitedBySignal, "round \(round): the writer exited on its own; stderr: \(child.stderr.text)")
            #expect(acked.count >= threshold)
            // why: the -wal file still holding commits shows the kill came mid-stream, not after a clean close.
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))

            let store = try SQLiteStore(path: path)
            var missing: [String] = []
            for id in acked where try store.item(id: id)?.status != .completed { missing.append(id) }
            #expect(missing.isEmpty, "round \(round): \(missing.count) of \(acked.count) acked callbacks lost: \(missing.prefix(10))")
            #expect(Set(acked).count == acked.count, "round \(round): an item was acked twice")
        }
    }
}
