// Shim for the system SQLite 3: the header Swift imports, and `static inline` wrappers for the
// macros Swift cannot import (the SQLITE_TRANSIENT / SQLITE_STATIC destructor sentinels are casts
// of integers to function pointers).
#ifndef LANDING_CSQLITE_SHIM_H
#define LANDING_CSQLITE_SHIM_H

#include <sqlite3.h>

/// Binds text that SQLite copies before returning (SQLITE_TRANSIENT), so Swift's temporary buffer
/// may go away right after the call.
static inline int landing_sqlite3_bind_text_transient(sqlite3_stmt *stmt, int index, const char *text, int length) {
    return sqlite3_bind_text(stmt, index, text, length, SQLITE_TRANSIENT);
}

#endif
