import Foundation

/// Runs `openssl s_client` against a server (OpenSSL's own client as an independent TLS peer).
enum OpenSSLClient {
    static let executable = "/usr/bin/openssl"

    /// The outcome of one `s_client` run.
    struct Result: CustomStringConvertible {
        var exitCode: Int32
        var stdout: String
        var stderr: String
        var timedOut: Bool
        /// stdout and stderr together (s_client splits its report between them).
        var output: String { stdout + "\n" + stderr }
        /// s_client reached "CONNECTION ESTABLISHED" (-brief) or printed a session (full output).
        var handshakeCompleted: Bool {
            output.contains("CONNECTION ESTABLISHED") || output.contains("New, TLSv") || output.contains("Protocol version: TLS")
        }
        var description: String { "exit \(exitCode)\(timedOut ? " (timed out)" : "")\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
    }

    /// `openssl s_client -connect 127.0.0.1:PORT` plus `options`, with `input` on stdin followed by
    /// EOF. With `-brief` s_client stops at EOF; with `-quiet` (which implies `-ign_eof`) it keeps
    /// reading until the server closes.
    static func connect(port: UInt16, _ options: [String], input: String = "", timeout: Double = 20) throws -> Result {
        let result = try Subprocess.run(executable, ["s_client", "-connect", "127.0.0.1:\(port)"] + options, input: Array(input.utf8), timeout: timeout)
        return Result(exitCode: result.status, stdout: result.stdoutText, stderr: result.stderrText, timedOut: result.timedOut)
    }

    /// The SHA-256 fingerprint (lowercase hex) of the leaf certificate a new connection is shown.
    static func presentedCertificateFingerprint(port: UInt16) throws -> String {
        let result = try connect(port: port, ["-servername", "localhost"])
        guard let pem = E2ECertificate.firstPEMCertificate(in: result.stdout) else {
            throw E2EError("s_client showed no certificate: \(result)")
        }
        return try E2ECertificate.fingerprint(ofPEM: Array(pem.utf8))
    }
}
