/// The certificate's dates against the clock: `serve` refuses an expired certificate (browsers
/// would refuse every connection) or one not valid yet, and warns inside the renewal window.
public enum CertificateExpiry {
    /// Days before `notAfter` from which a warning is given.
    public static let warningDays = 14

    /// The finding for a leaf valid from `notBefore` to `notAfter` (epoch seconds) at `now`, or nil.
    public static func finding(notBefore: Int64, notAfter: Int64, now: Int64, path: String) -> ConfigCheckReport.Finding? {
        if now >= notAfter {
            return .error(
                "tls", "the certificate \(path) expired \(Timestamp.rfc3339(seconds: Int(notAfter), nanoseconds: 0, fractionalDigits: false));"
                    + " renew it (then send SIGHUP to a running server)")
        }
        if now < notBefore {
            return .error(
                "tls", "the certificate \(path) is not valid before \(Timestamp.rfc3339(seconds: Int(notBefore), nanoseconds: 0, fractionalDigits: false));"
                    + " check this host's clock")
        }
        let daysLeft = (notAfter - now) / 86_400
        if daysLeft < Int64(warningDays) {
            return .warning(
                "tls", "the certificate \(path) expires in \(daysLeft) day\(daysLeft == 1 ? "" : "s")"
                    + " (\(Timestamp.rfc3339(seconds: Int(notAfter), nanoseconds: 0, fractionalDigits: false))); renew it soon")
        }
        return nil
    }
}
