// Shim for OpenSSL 3: the headers Swift imports, and tiny `static inline` wrappers for the macros
// Swift cannot import (SSL_CTX_set_min_proto_version, BIO retry flags, ...), plus an in-memory BIO
// whose buffers are owned by the caller, so the TLS engine does no I/O and holds no buffer while idle.
#ifndef LANDING_COPENSSL_SHIM_H
#define LANDING_COPENSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/rand.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <string.h>

static inline int landing_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline int landing_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long landing_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long landing_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline long landing_SSL_CTX_sess_set_cache_size(SSL_CTX *ctx, long size) {
    return SSL_CTX_sess_set_cache_size(ctx, size);
}
static inline int landing_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return (int)SSL_CTX_set1_groups_list(ctx, list);
}
static inline long landing_SSL_session_reused(const SSL *ssl) { return SSL_session_reused(ssl); }
static inline long landing_SSL_CTX_sess_hits(SSL_CTX *ctx) { return SSL_CTX_sess_hits(ctx); }
static inline long landing_SSL_CTX_set_tlsext_servername_callback_null(SSL_CTX *ctx) {
    return SSL_CTX_set_tlsext_servername_callback(ctx, NULL);
}
static inline long landing_SSL_CTX_set_dh_auto(SSL_CTX *ctx) { return SSL_CTX_set_dh_auto(ctx, 1); }
static inline const char *landing_OPENSSL_VERSION_TEXT(void) { return OPENSSL_VERSION_TEXT; }

static inline long landing_SSL_OP_NO_RENEGOTIATION(void) { return (long)SSL_OP_NO_RENEGOTIATION; }
static inline long landing_SSL_OP_CIPHER_SERVER_PREFERENCE(void) { return (long)SSL_OP_CIPHER_SERVER_PREFERENCE; }
static inline long landing_SSL_OP_NO_COMPRESSION(void) { return (long)SSL_OP_NO_COMPRESSION; }
static inline long landing_SSL_OP_IGNORE_UNEXPECTED_EOF(void) { return (long)SSL_OP_IGNORE_UNEXPECTED_EOF; }
static inline long landing_SSL_MODE_RELEASE_BUFFERS(void) { return (long)SSL_MODE_RELEASE_BUFFERS; }
static inline long landing_SSL_MODE_ENABLE_PARTIAL_WRITE(void) { return (long)SSL_MODE_ENABLE_PARTIAL_WRITE; }
static inline long landing_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER(void) {
    return (long)SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
}

// MARK: - Caller-owned memory BIO

/// The buffers a `landing` BIO reads from and writes to. The Swift TLS engine points `in` at the
/// ciphertext it received and `out` at scratch space before each OpenSSL call, then collects what
/// was consumed and produced. Between calls both pointers are NULL: nothing is held while idle.
typedef struct landing_bio_buffers {
    const unsigned char *in;
    size_t in_len;
    size_t in_used;
    unsigned char *out;
    size_t out_cap;
    size_t out_len;
} landing_bio_buffers;

static inline int landing_bio_write(BIO *bio, const char *data, int len) {
    landing_bio_buffers *b = (landing_bio_buffers *)BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (b == NULL || b->out == NULL || len < 0) { BIO_set_retry_write(bio); return -1; }
    size_t room = b->out_cap - b->out_len;
    if (room == 0) { BIO_set_retry_write(bio); return -1; }
    size_t n = (size_t)len < room ? (size_t)len : room;
    memcpy(b->out + b->out_len, data, n);
    b->out_len += n;
    return (int)n;
}

static inline int landing_bio_read(BIO *bio, char *data, int len) {
    landing_bio_buffers *b = (landing_bio_buffers *)BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (b == NULL || b->in == NULL || b->in_used >= b->in_len || len <= 0) {
        BIO_set_retry_read(bio);
        return -1;
    }
    size_t avail = b->in_len - b->in_used;
    size_t n = (size_t)len < avail ? (size_t)len : avail;
    memcpy(data, b->in + b->in_used, n);
    b->in_used += n;
    return (int)n;
}

static inline int landing_bio_puts(BIO *bio, const char *str) {
    return landing_bio_write(bio, str, (int)strlen(str));
}

static inline long landing_bio_ctrl(BIO *bio, int cmd, long num, void *ptr) {
    (void)num; (void)ptr;
    landing_bio_buffers *b = (landing_bio_buffers *)BIO_get_data(bio);
    switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_PENDING: return (b && b->in) ? (long)(b->in_len - b->in_used) : 0;
    case BIO_CTRL_WPENDING: return 0;
    case BIO_CTRL_EOF: return 0;
    case BIO_CTRL_DUP: return 1;
    default: return 0;
    }
}

static inline int landing_bio_create(BIO *bio) { BIO_set_init(bio, 1); return 1; }
static inline int landing_bio_destroy(BIO *bio) { BIO_set_data(bio, NULL); return 1; }

/// Creates the BIO_METHOD once; the caller keeps it for the life of the process.
static inline BIO_METHOD *landing_bio_method_new(void) {
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "landing-buffers");
    if (m == NULL) return NULL;
    BIO_meth_set_write(m, landing_bio_write);
    BIO_meth_set_read(m, landing_bio_read);
    BIO_meth_set_puts(m, landing_bio_puts);
    BIO_meth_set_ctrl(m, landing_bio_ctrl);
    BIO_meth_set_create(m, landing_bio_create);
    BIO_meth_set_destroy(m, landing_bio_destroy);
    return m;
}

#endif
