/* Shared by the bench load clients (handshake-load.c, longpoll-load.c, pipeline-flood.c,
 * zombie-load.c): clock, process setup, target addresses, the full-handshake TLS client context,
 * and a non-blocking connect registered with epoll.
 * Header-only: each client is built from one .c file by bench/run.sh. */
#ifndef LOAD_COMMON_H
#define LOAD_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Monotonic seconds. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Fills `target` from a numeric IPv4 `host` and `port` (`option` names the flag in the message).
 * Returns 0, or 2 after printing why. */
static int load_target(const char *tool, const char *option, const char *host, int port, struct sockaddr_in *target) {
    memset(target, 0, sizeof *target);
    target->sin_family = AF_INET;
    target->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &target->sin_addr) != 1) {
        fprintf(stderr, "%s: %s must be a numeric IPv4 address\n", tool, option);
        return 2;
    }
    return 0;
}

/* Fills `target` from a numeric IPv4 `host` and `port`; ignores SIGPIPE, sends SIGTERM/SIGINT to
 * `on_stop`, raises RLIMIT_NOFILE to its hard limit. Returns 0, or 2 after printing why. */
static int load_setup(const char *tool, const char *host, int port, struct sockaddr_in *target, void (*on_stop)(int)) {
    if (load_target(tool, "--host", host, port, target) != 0) return 2;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_stop);
    signal(SIGINT, on_stop);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    return 0;
}

/* A client context for full handshakes only: no verification, no tickets, no client-side session
 * cache (and the clients never call SSL_set_session); ALPN http/1.1. NULL after printing errors. */
static SSL_CTX *load_client_ctx(void) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        ERR_print_errors_fp(stderr);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    static const unsigned char alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn);
    return ctx;
}

/* Starts a non-blocking connect to `target` (TCP_NODELAY) and registers it edge-triggered for both
 * directions with `ptr` as its data. Returns 0; -1 if no socket could be made (*fd = -1); -2 if the
 * connect or registration failed (*fd is the socket, for the caller to close). */
static int load_connect(const struct sockaddr_in *target, int epfd, void *ptr, int *fd) {
    *fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (*fd < 0) return -1;
    int one = 1;
    setsockopt(*fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(*fd, (const struct sockaddr *)target, sizeof *target) != 0 && errno != EINPROGRESS) return -2;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = ptr};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, *fd, &ev) != 0) return -2;
    return 0;
}

/* A client SSL for an open socket, in connect state; NULL if OpenSSL could not make one. */
static SSL *load_tls_client(SSL_CTX *ctx, int fd) {
    SSL *ssl = SSL_new(ctx);
    if (!ssl) return NULL;
    SSL_set_fd(ssl, fd);
    SSL_set_connect_state(ssl);
    return ssl;
}

/* One non-blocking handshake step: 1 done, 0 wants I/O (wait for the next event), -1 failed. */
static int load_tls_handshake(SSL *ssl) {
    ERR_clear_error();
    int r = SSL_do_handshake(ssl);
    if (r == 1) return 1;
    int e = SSL_get_error(ssl, r);
    return (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) ? 0 : -1;
}

#endif
