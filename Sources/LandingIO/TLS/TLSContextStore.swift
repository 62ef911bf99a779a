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

    /// Loads the pair again. On failure the old context stays and the error is returned.
    @discardableResult
    public func reload() -> Result<TLSContext, TLSError> {
        do {
            let fresh = try TLSContext(certificateChainPath: certificatePath, privateKeyPath: keyPath)
            current.withLock { $0 = fresh }
            return .success(fresh)
        } catch {
            return .failure(error)
        }
    }
}
