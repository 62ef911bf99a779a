import Glibc
import LandingCore

/// Turns the configured `StoreLocation` into stores.
public enum StoreFactory {
    /// `.memory` → a `MemoryStore`; `.sqlite(path)` → an `SQLiteStore` at `path`, creating its
    /// missing parent directories with mode 0750 first; `.postgres` → one `PostgresStore`.
    public static func makeStore(_ location: StoreLocation) throws(StoreError) -> any LandingStore {
        try makeStores(location, pool: 1)[0]
    }

    /// The stores for `StoreWorker`'s threads: one for SQLite and memory (one writer, whatever
    /// `pool` says), `pool` connections for PostgreSQL, each reporting its link to `health` and
    /// its losses and recoveries to `log`. The first connection migrates the schema; any failure to
    /// connect at start throws (a misconfigured store is reported at once, not retried forever).
    public static func makeStores(
        _ location: StoreLocation, pool: Int, health: StoreHealth? = nil, log: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(StoreError) -> [any LandingStore] {
        switch location {
        case .memory:
            return [MemoryStore()]
        case .sqlite(let path):
            try createParentDirectories(of: path)
            return [try SQLiteStore(path: path)]
        case .postgres(let database):
            var stores: [any LandingStore] = []
            for _ in 0..<max(1, pool) {
                stores.append(try PostgresStore(location: database, health: health, log: log))
            }
            return stores
        }
    }

    /// Creates every missing directory above `path` (mode 0750 before umask). An existing
    /// directory is left as it is.
    static func createParentDirectories(of path: String) throws(StoreError) {
        let components = path.split(separator: "/", omittingEmptySubsequences: true).dropLast()
        var current = path.hasPrefix("/") ? "" : "."
        for component in components {
            current += "/" + component
            if mkdir(current, 0o750) == 0 { continue }
            let err = errno
            var info = stat()
            // why: EEXIST alone is not enough; a file in the way must fail here, not at open.
            if err == EEXIST, stat(current, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { continue }
            throw StoreError("mkdir(\(current)) failed: \(String(cString: strerror(err))) (errno \(err))")
        }
    }
}
