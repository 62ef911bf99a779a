import Dispatch
import Glibc
import LandingCore

/// The shell's half of `/metrics`: the queue scrapes run on, and the process basics read from
/// /proc (`process_*`, the names Prometheus client libraries use).
public enum MetricsEndpoint {
    // why: a scrape reads /proc (listing /proc/self/fd is O(open descriptors): milliseconds at
    // 10,000 connections) and renders text; that stays off the event loops, on one serial queue,
    // so concurrent scrapes queue up instead of spawning threads.
    private static let queue = DispatchQueue(label: "landing-metrics")

    /// Runs scrape work on the metrics queue (pass to `MetricsRoutes`).
    public static let offload: MetricsRoutes.Offload = { work in queue.async(execute: work) }

    /// `process_cpu_seconds_total`, `process_open_fds`, `process_max_fds`,
    /// `process_virtual_memory_bytes`, `process_resident_memory_bytes`, `process_start_time_seconds`;
    /// a value that cannot be read is left out.
    public static func processFamilies() -> [MetricFamily] {
        var families: [MetricFamily] = []
        let stat = readProcFile("/proc/self/stat").flatMap(statFields)
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        // /proc/self/stat (proc(5)): utime and stime are fields 14 and 15, in clock ticks.
        if let stat, stat.count > 12, let user = Double(stat[11]), let system = Double(stat[12]), ticks > 0 {
            families.append(.single("process_cpu_seconds_total", help: "User and system CPU time spent, in seconds.", kind: .counter, value: (user + system) / ticks))
        }
        if let open = openDescriptorCount() {
            families.append(.single("process_open_fds", help: "Open file descriptors.", kind: .gauge, value: Double(open)))
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            families.append(.single("process_max_fds", help: "The open file descriptor limit (soft).", kind: .gauge, value: Double(limit.rlim_cur)))
        }
        // /proc/self/statm (proc(5)): total program size and resident set size, in pages.
        if let statm = readProcFile("/proc/self/statm")?.split(separator: " "), statm.count > 1,
            let size = Double(statm[0]), let resident = Double(statm[1])
        {
            let page = Double(sysconf(Int32(_SC_PAGESIZE)))
            families.append(.single("process_virtual_memory_bytes", help: "Virtual memory size, in bytes.", kind: .gauge, value: size * page))
            families.append(.single("process_resident_memory_bytes", help: "Resident memory size, in bytes.", kind: .gauge, value: resident * page))
        }
        if let start = startTime {
            families.append(.single("process_start_time_seconds", help: "Start time of the process since the Unix epoch, in seconds.", kind: .gauge, value: start))
        }
        return families
    }

    /// When the process started, in seconds since the epoch: the boot time (`btime` in /proc/stat)
    /// plus `starttime` (field 22 of /proc/self/stat, clock ticks after boot). Read once.
    static let startTime: Double? = {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard ticks > 0, let fields = readProcFile("/proc/self/stat").flatMap(statFields), fields.count > 19,
            let startTicks = Double(fields[19]),
            let btimeLine = readProcFile("/proc/stat")?.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
            let boot = Double(btimeLine.dropFirst(6))
        else { return nil }
        return boot + startTicks / ticks
    }()

    /// The fields of /proc/self/stat after the command name, which is in parentheses and may itself
    /// contain spaces and parentheses: index 0 is field 3 (state), so field N is at index N - 3.
    static func statFields(_ text: String) -> [Substring]? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
    }

    /// Entries of /proc/self/fd, not counting the descriptor that lists them.
    static func openDescriptorCount() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        let own = dirfd(directory)
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) { String(cString: $0) }
            }
            if name == "." || name == ".." || Int32(name) == own { continue }
            count += 1
        }
        return count
    }

    /// A small /proc file's text (they are generated on read; one 4 KiB read holds these).
    static func readProcFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                bytes += chunk[0..<n]
            } else if n == 0 {
                break
            } else if errno != EINTR {
                return nil
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
