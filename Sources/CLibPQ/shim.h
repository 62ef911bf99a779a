// Shim for the system libpq (PostgreSQL's client library): the header Swift imports, and
// `static inline` wrappers for the macros Swift cannot import as typed constants.
#ifndef LANDING_CLIBPQ_SHIM_H
#define LANDING_CLIBPQ_SHIM_H

// why: only libpq-fe.h, which includes nothing but <stdio.h> and postgres_ext.h; no socket
// headers, so this module owns no system declarations that Glibc's module also exports.
#include <libpq-fe.h>

/// The SQLSTATE (five characters) of a failed result, or NULL when libpq has none (a client-side
/// failure such as a lost connection). PG_DIAG_SQLSTATE is a character-literal macro.
static inline const char *landing_pq_sqlstate(const PGresult *result) {
    return PQresultErrorField(result, PG_DIAG_SQLSTATE);
}

/// The server's primary message of a failed result, or NULL.
static inline const char *landing_pq_primary_message(const PGresult *result) {
    return PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
}

#endif
