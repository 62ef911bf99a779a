import LandingCore
import Synchronization

/// Holds the current `TLSContext`; a SIGHUP swaps in a freshly loaded one. New connections take
/// the current context; open ones keep the one they started with (each `SSL` holds a reference).
public final class TLSContextStore: Sendable {
    private let current: Mutex<TLSContext>
    public let certificatePath: String
    public let keyPath: String

    public init(certificatePath: String, keyPath: String) throws(TLSError) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        current = Mutex(try TLSContext(certificateChainPath: certificatePath, privateKeyPath: keyPath))
    }

    public var context: TLSContext { current.withLock { $0 } }

    /// Loads the pair again. On failure the old context stays and the error is returned; so it
    /// does when the new certificate has expired or is not valid yet at `now` (epoch seconds).
    @discardableResult
    public func reload(now: Int64? = nil) -> Result<TLSContext, TLSError> {
        do {
            let fresh = try TLSContext(certificateChainPath: certificatePath, privateKeyPath: keyPath)
            if let now, let validity = fresh.leafValidity,
                let finding = CertificateExpiry.finding(
                    notBefore: validity.notBefore, notAfter: validity.notAfter, now: now, path: certificatePath),
                finding.severity == .error
            {
                return .failure(TLSError(operation: finding.message))
            }
            current.withLock { $0 = fresh }
            return .success(fresh)
        } catch {
            return .failure(error)
        }
    }
}
