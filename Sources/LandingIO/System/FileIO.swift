import Glibc

/// The file helpers the shell shares: joining a path, writing a whole buffer, reading a whole
/// (bounded) file. Each call goes through the syscall funnel (`syscallBlocking`: EINTR retried,
/// errno captured with the call's name); callers turn a `SystemError` into their own error.
enum FileIO {
    /// `directory/name`, without doubling a trailing slash.
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Writes all of `bytes` to `fd`, however many `write` calls that takes.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            // why: `withUnsafeBytes` rethrows untyped errors; a Result keeps `SystemError`.
            let result = bytes.withUnsafeBytes { buffer in
                Result { () throws(SystemError) in
                    try syscallBlocking("write") { Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset) }
                }
            }
            let written = try result.get()
            // why: a write of 0 bytes for a non-empty buffer would loop forever; report it instead.
            guard written > 0 else { throw SystemError(call: "write", errno: EIO) }
            offset += written
        }
    }

    /// Reads `path` to its end; nil once more than `limit` bytes were read.
    static func readAll(_ path: String, limit: Int) throws(SystemError) -> [UInt8]? {
        let descriptor = try syscallBlocking("open") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            // why: `withUnsafeMutableBytes` rethrows untyped errors; a Result keeps `SystemError`.
            let result = chunk.withUnsafeMutableBytes { buffer in
                Result { () throws(SystemError) in
                    try syscallBlocking("read") { read(descriptor, buffer.baseAddress, buffer.count) }
                }
            }
            let count = try result.get()
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > limit { return nil }
        }
    }
}
