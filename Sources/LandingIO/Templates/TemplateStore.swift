import LandingCore
import Synchronization

/// The current templates; SIGHUP loads the directory again and swaps the new set in only if every
/// template and catalog parses (a broken reload keeps the old set).
public final class TemplateStore: Sendable {
    public let directory: String
    private let current: Mutex<TemplateSet>

    /// Loads the directory at start; throws with file:line:column on the first error.
    public init(directory: String) throws(TemplateError) {
        self.directory = directory
        current = Mutex(try TemplateLoader.load(directory: directory))
    }

    public var templates: TemplateSet { current.withLock { $0 } }

    @discardableResult
    public func reload() -> Result<Void, TemplateError> {
        do {
            let fresh = try TemplateLoader.load(directory: directory)
            current.withLock { $0 = fresh }
            return .success(())
        } catch {
            return .failure(error)
        }
    }
}
