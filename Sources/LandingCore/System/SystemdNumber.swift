/// The strict reading of the numbers systemd puts in the environment (`LISTEN_PID`, `LISTEN_FDS`,
/// `WATCHDOG_USEC`, `WATCHDOG_PID`): ASCII digits only. No sign, no blank, no hexadecimal, no
/// overflow: a value that is anything else was not written by the service manager.
enum SystemdNumber {
    /// The value of `text`, or nil when it is not a plain decimal number that fits in 64 bits.
    static func parse(_ text: String) -> UInt64? {
        guard !text.isEmpty, text.utf8.count <= 20, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return UInt64(text)
    }

    /// A process id: a positive number that fits in `pid_t`.
    static func parsePID(_ text: String) -> Int32? {
        guard let value = parse(text), value > 0, value <= UInt64(Int32.max) else { return nil }
        return Int32(value)
    }
}
