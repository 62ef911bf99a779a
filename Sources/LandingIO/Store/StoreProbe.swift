import CSQLite
import Glibc
import LandingCore

/// What `check-config` can learn about the store without changing it: that `serve` will be able
/// to open it and write. Creates nothing (a database file created by `check-config` run as root
/// would then belong to root, not to the service) and migrates nothing.
public enum StoreProbe {
    /// What the probe found: a problem that stops `serve` (`error`), and what `serve` will do
    /// (`note`: create the file, migrate the schema...).
    public struct Outcome: Sendable, Equatable {
        public var error: String?
        public var note: String?
    }

    public static func probe(_ location: StoreLocation) -> Outcome {
        switch location {
        case .memory:
            return Outcome(note: "in memory: nothing survives a restart")
        case .sqlite(let path):
            return probeSQLite(path: path)
        case .postgres(let database):
            return probePostgres(database)
        }
    }

    static func probeSQLite(path: String) -> Outcome {
        let directory = parentDirectory(of: path)
        var info = stat()
        guard stat(path, &info) == 0 else {
            // The file is created at start: the nearest existing directory above it must let us.
            var ancestor = directory
            while stat(ancestor, &info) != 0 && ancestor != "/" && ancestor != "." {
                ancestor = parentDirectory(of: ancestor)
            }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                return Outcome(error: "\(path): \(ancestor) is not a directory")
            }
            guard access(ancestor, W_OK | X_OK) == 0 else {
                return Outcome(error: "\(path) does not exist and \(ancestor) is not writable by this user, so it cannot be created")
            }
            return Outcome(note: "\(path) will be created at start")
        }
        guard info.st_mode & S_IFMT == S_IFREG else { return Outcome(error: "\(path) is not a regular file") }
        // why: WAL mode writes PATH-wal and PATH-shm beside the file, so the directory must be
        // writable too, not only the file.
        guard access(path, R_OK | W_OK) == 0, access(directory, W_OK | X_OK) == 0 else {
            return Outcome(error: "\(path) (or its directory \(directory)) is not writable by this user")
        }
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE, nil)
        defer { sqlite3_close_v2(handle) }
        guard rc == SQLITE_OK, let handle else {
            return Outcome(error: "cannot open \(path): \(String(cString: sqlite3_errstr(rc)))")
        }
        sqlite3_busy_timeout(handle, 2_000)
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, "PRAGMA user_version", -1, &statement, nil) == SQLITE_OK,
            sqlite3_step(statement) == SQLITE_ROW
        else {
            sqlite3_finalize(statement)
            return Outcome(error: "\(path) is not a usable SQLite database: \(String(cString: sqlite3_errmsg(handle)))")
        }
        let version = sqlite3_column_int(statement, 0)
        sqlite3_finalize(statement)
        let known = Int32(SQLiteStore.migrations.count)
        if version > known {
            return Outcome(error: "\(path) has schema version \(version), newer than this build supports (\(known))")
        }
        // A write lock taken and released proves the file can be written (a read-only mount would say no).
        guard sqlite3_exec(handle, "BEGIN IMMEDIATE; ROLLBACK", nil, nil, nil) == SQLITE_OK else {
            return Outcome(error: "cannot write \(path): \(String(cString: sqlite3_errmsg(handle)))")
        }
        return Outcome(note: version < known ? "\(path): schema \(version) will be migrated to \(known) at start" : "\(path): schema \(known), writable")
    }

    static func probePostgres(_ database: PostgresLocation) -> Outcome {
        let connection: PGConnection
        do {
            connection = try PGConnection(location: database)
        } catch {
            return Outcome(error: "cannot connect to \(database): \(error)")
        }
        do {
            let known = PostgresSchema.latestVersion
            guard let version = try PostgresSchema.currentVersionWithoutDDL(connection) else {
                return Outcome(note: "\(database): reachable; no schema yet, created at start (the role needs CREATE on the schema)")
            }
            if version > known {
                return Outcome(error: "\(database) has schema version \(version), newer than this build supports (\(known))")
            }
            return Outcome(note: version < known ? "\(database): reachable; schema \(version) will be migrated to \(known) at start" : "\(database): reachable; schema \(known)")
        } catch {
            return Outcome(error: "\(database): \(error)")
        }
    }

    private static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }
}
