/*
 * handshake-load: a small TLS load client for bench/run.sh.
 *
 * Two modes, both on non-blocking sockets driven by one epoll loop (edge-triggered, each
 * connection is a little state machine: connect -> handshake -> write request -> read response):
 *
 *   handshake-load --port P [--host 127.0.0.1] [--concurrency 32] [--duration 10]
 *       Keeps C connections in flight for D seconds. Every connection is new: a fresh SSL object,
 *       SSL_OP_NO_TICKET and no client session cache, never SSL_set_session, so every handshake is
 *       a full one (the reused= count printed at the end must be 0). Each sends
 *       "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", reads the whole response until
 *       EOF, and closes. Prints one line of key=value results.
 *
 *       --path P: the request's path instead of "/"; --distinct: a per-request counter (1, 2, ...)
 *       appended to it, e.g. --path "/oauth/callback?itemId=hc-1-" --distinct for a callback on a
 *       new item per connection (issue 12's "full handshake + callback").
 *       --resume: a client like a browser instead (Chromium's offer as far as OpenSSL 3.0 goes):
 *       TLS 1.3 session tickets accepted (every NewSessionTicket the server sends is kept, at most
 *       4,096, newest first) and each new connection resumes with one of them, used once, as
 *       browsers do (SSL_set_session; psk_dhe_ke, OpenSSL's only PSK mode by default, so every
 *       resumption still does an ECDHE); supported groups X25519 and P-256; ALPN "h2,http/1.1".
 *       A connection with no ticket left does a full handshake. Prints offered= (connections that
 *       offered a ticket), reused= (SSL_session_reused: the server accepted it), tickets= (received)
 *       and alpn_http11= (connections where the server picked http/1.1).
 *       why one key share: OpenSSL 3.0's client sends a key share for the first group of its list
 *       only (X25519; P-256 is offered in supported_groups, and a server that wanted it would ask
 *       with a HelloRetryRequest). Chromium sends X25519 (and, lately, its hybrid) plus P-256 key
 *       shares; OpenSSL 3.5 can too ("*X25519:*P-256"), 3.0 cannot. The server ignores a key share
 *       it does not pick (it only parses it), so the server's cost is the same either way.
 *
 *   handshake-load --port P --hold N [--hold-seconds 300] [--establish-timeout 60]
 *       Opens N connections, each completing a full handshake and one keep-alive "GET /", then
 *       leaves them idle. Prints "ready established=... errors=..." once every connection is
 *       established (or the establish timeout passed), then waits until SIGTERM/SIGINT or
 *       --hold-seconds, counting connections the server closes, and prints a final line.
 *
 * Only a numeric IPv4 --host is accepted (the bench uses 127.0.0.1). Build:
 *   gcc -O2 -Wall -o handshake-load handshake-load.c -lssl -lcrypto
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "load-common.h"

enum phase { IDLE_SLOT, CONNECTING, HANDSHAKE, WRITING, READING, HELD };

struct conn {
    int fd;
    SSL *ssl;
    enum phase phase;
    double start;
    size_t sent;
    size_t got;           /* bytes of the response read so far */
    long header_end;      /* offset just past "\r\n\r\n", or -1 */
    long content_length;  /* -1 when unknown */
    char head[4096];      /* the start of the response, for parsing the header section */
    char req[512];        /* the request (handshake mode) */
    size_t req_len;
};

static SSL_CTX *ctx;
static struct sockaddr_in target;
static int epfd;
static volatile sig_atomic_t stop_requested;

/* results */
static long completed, errors, reused, bad_status, short_body, no_close_notify, closed_by_server;
static long err_connect, err_handshake, err_io;
static long offered, tickets, alpn_http11;
static double *latencies;
static size_t latency_count, latency_cap;

static const char request_keepalive[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
/* Handshake mode's request path, and whether a counter is appended to it. */
static const char *req_path = "/";
static int distinct;
static unsigned long req_counter;

/* --resume: the tickets received and not used yet, a stack (newest on top) over a ring: when full,
 * the oldest is dropped. */
#define TICKET_POOL 4096
static SSL_SESSION *pool[TICKET_POOL];
static size_t pool_top, pool_count;

static int on_new_session(SSL *ssl, SSL_SESSION *sess) {
    (void)ssl;
    tickets++;
    if (!SSL_SESSION_is_resumable(sess)) return 0;
    if (pool_count == TICKET_POOL) {
        /* Drop the oldest: the slot just above the top, going round. */
        size_t oldest = (pool_top + TICKET_POOL - pool_count) % TICKET_POOL;
        SSL_SESSION_free(pool[oldest]);
        pool[oldest] = NULL;
        pool_count--;
    }
    pool[pool_top] = sess;
    pool_top = (pool_top + 1) % TICKET_POOL;
    pool_count++;
    return 1; /* the pool keeps the reference */
}

/* The newest unused ticket (the caller owns it), or NULL. */
static SSL_SESSION *pool_pop(void) {
    if (pool_count == 0) return NULL;
    pool_top = (pool_top + TICKET_POOL - 1) % TICKET_POOL;
    pool_count--;
    SSL_SESSION *s = pool[pool_top];
    pool[pool_top] = NULL;
    return s;
}

/* A client context like a browser's (see --resume above). NULL after printing errors. */
static SSL_CTX *resume_client_ctx(void) {
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    if (!c) {
        ERR_print_errors_fp(stderr);
        return NULL;
    }
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_options(c, SSL_OP_IGNORE_UNEXPECTED_EOF);
    /* why: TLS 1.3 tickets come after the handshake; OpenSSL hands them to the client only through
     * the new-session callback, which needs the client cache mode on (the internal store unused). */
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(c, on_new_session);
    if (SSL_CTX_set1_groups_list(c, "X25519:P-256") != 1) {
        ERR_print_errors_fp(stderr);
        SSL_CTX_free(c);
        return NULL;
    }
    static const unsigned char alpn[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_protos(c, alpn, sizeof alpn);
    return c;
}
static int resume_mode;

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void record_latency(double seconds) {
    if (latency_count == latency_cap) {
        latency_cap = latency_cap ? latency_cap * 2 : 65536;
        latencies = realloc(latencies, latency_cap * sizeof(double));
        if (!latencies) {
            perror("realloc");
            exit(1);
        }
    }
    latencies[latency_count++] = seconds;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(double p) {
    if (latency_count == 0) return 0;
    size_t i = (size_t)(p * (double)(latency_count - 1) + 0.5);
    if (i >= latency_count) i = latency_count - 1;
    return latencies[i];
}

static void release(struct conn *c) {
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }
    c->phase = IDLE_SLOT;
}

static void fail(struct conn *c, long *kind) {
    errors++;
    (*kind)++;
    ERR_clear_error();
    release(c);
}

/* Starts a connection in slot c; returns 0, or -1 after counting an error. */
static int start(struct conn *c) {
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->header_end = -1;
    c->content_length = -1;
    c->start = now();
    int fd;
    int rc = load_connect(&target, epfd, c, &fd);
    if (rc == -1) {
        errors++;
        err_connect++;
        return -1;
    }
    c->fd = fd;
    if (rc != 0) {
        fail(c, &err_connect);
        return -1;
    }
    c->phase = CONNECTING;
    if (distinct) {
        c->req_len = (size_t)snprintf(c->req, sizeof c->req, "GET %s%lu HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                      req_path, ++req_counter);
    } else {
        c->req_len = (size_t)snprintf(c->req, sizeof c->req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", req_path);
    }
    return 0;
}

/* Parses the header section once "\r\n\r\n" is in c->head. */
static void parse_head(struct conn *c) {
    size_t n = c->got < sizeof c->head ? c->got : sizeof c->head;
    for (size_t i = 3; i < n; i++) {
        if (c->head[i - 3] == '\r' && c->head[i - 2] == '\n' && c->head[i - 1] == '\r' && c->head[i] == '\n') {
            c->header_end = (long)i + 1;
            break;
        }
    }
    if (c->header_end < 0) return;
    if (strncmp(c->head, "HTTP/1.1 200 ", 13) != 0) bad_status++;
    for (long i = 0; i + 16 < c->header_end; i++) {
        if ((i == 0 || c->head[i - 1] == '\n') && strncasecmp(c->head + i, "content-length:", 15) == 0) {
            c->content_length = strtol(c->head + i + 15, NULL, 10);
            break;
        }
    }
}

/* Drives c as far as it goes without blocking. keepalive: the hold mode's request and end state. */
static void drive(struct conn *c, int keepalive) {
    if (c->phase == CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            if (err == EINPROGRESS || err == EALREADY) return;
            fail(c, &err_connect);
            return;
        }
        c->ssl = load_tls_client(ctx, c->fd);
        if (!c->ssl) {
            fail(c, &err_handshake);
            return;
        }
        if (resume_mode) {
            SSL_SESSION *sess = pool_pop();
            if (sess) {
                if (SSL_set_session(c->ssl, sess) == 1) offered++;
                SSL_SESSION_free(sess);
            }
        }
        c->phase = HANDSHAKE;
    }
    if (c->phase == HANDSHAKE) {
        int r = load_tls_handshake(c->ssl);
        if (r == 0) return;
        if (r < 0) {
            fail(c, &err_handshake);
            return;
        }
        if (SSL_session_reused(c->ssl)) reused++;
        if (resume_mode) {
            const unsigned char *proto = NULL;
            unsigned int plen = 0;
            SSL_get0_alpn_selected(c->ssl, &proto, &plen);
            if (plen == 8 && memcmp(proto, "http/1.1", 8) == 0) alpn_http11++;
        }
        c->phase = WRITING;
    }
    if (c->phase == WRITING) {
        const char *req = keepalive ? request_keepalive : c->req;
        size_t len = keepalive ? sizeof request_keepalive - 1 : c->req_len;
        while (c->sent < len) {
            ERR_clear_error();
            int r = SSL_write(c->ssl, req + c->sent, (int)(len - c->sent));
            if (r <= 0) {
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
                fail(c, &err_io);
                return;
            }
            c->sent += (size_t)r;
        }
        c->phase = READING;
    }
    if (c->phase == READING || c->phase == HELD) {
        char buf[16384];
        for (;;) {
            ERR_clear_error();
            int r = SSL_read(c->ssl, buf, sizeof buf);
            if (r > 0) {
                if (c->phase == HELD) continue; /* nothing is expected; ignore */
                if (c->got < sizeof c->head) {
                    size_t room = sizeof c->head - c->got;
                    memcpy(c->head + c->got, buf, (size_t)r < room ? (size_t)r : room);
                }
                c->got += (size_t)r;
                if (c->header_end < 0) parse_head(c);
                if (keepalive && c->header_end >= 0 && c->content_length >= 0 &&
                    (long)c->got >= c->header_end + c->content_length) {
                    completed++;
                    record_latency(now() - c->start);
                    c->phase = HELD;
                }
                continue;
            }
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
            if (c->phase == HELD) {
                /* The server closed an idle connection. */
                closed_by_server++;
                ERR_clear_error();
                release(c);
                return;
            }
            if (e == SSL_ERROR_ZERO_RETURN && !keepalive) {
                /* EOF (SSL_OP_IGNORE_UNEXPECTED_EOF turns a bare TCP FIN into ZERO_RETURN too). */
                if (!(SSL_get_shutdown(c->ssl) & SSL_RECEIVED_SHUTDOWN)) no_close_notify++;
                if (c->header_end < 0 || (c->content_length >= 0 && (long)c->got < c->header_end + c->content_length)) {
                    short_body++;
                    fail(c, &err_io);
                    return;
                }
                completed++;
                record_latency(now() - c->start);
                /* why: SSL_free of a connection not marked shut down calls SSL_CTX_remove_session on
                 * its current session, which marks it not resumable; in TLS 1.3 that is the last
                 * ticket received, sitting in the pool. Marked (not sent: the full-handshake mode
                 * sends no close_notify either), the ticket stays usable. */
                if (resume_mode) SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
                release(c);
                return;
            }
            fail(c, &err_io);
            return;
        }
    }
}

static void usage(void) {
    fprintf(stderr,
            "usage: handshake-load --port P [--host 127.0.0.1] [--concurrency 32] [--duration 10]\n"
            "                      [--path /] [--distinct] [--resume]\n"
            "       handshake-load --port P --hold N [--hold-seconds 300] [--establish-timeout 60]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 0, concurrency = 32, hold = 0;
    double duration = 10, hold_seconds = 300, establish_timeout = 60;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--distinct")) { distinct = 1; continue; }
        if (!strcmp(a, "--resume")) { resume_mode = 1; continue; }
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--host")) host = v;
        else if (!strcmp(a, "--port")) port = atoi(v);
        else if (!strcmp(a, "--concurrency")) concurrency = atoi(v);
        else if (!strcmp(a, "--duration")) duration = atof(v);
        else if (!strcmp(a, "--hold")) hold = atoi(v);
        else if (!strcmp(a, "--hold-seconds")) hold_seconds = atof(v);
        else if (!strcmp(a, "--establish-timeout")) establish_timeout = atof(v);
        else if (!strcmp(a, "--path")) req_path = v;
        else usage();
    }
    if (port <= 0 || port > 65535 || concurrency <= 0 || duration <= 0 || hold < 0) usage();
    if (req_path[0] != '/' || strlen(req_path) > 400 || strpbrk(req_path, " \r\n")) {
        fprintf(stderr, "handshake-load: --path must start with / and hold no spaces or line breaks (400 bytes at most)\n");
        return 2;
    }
    if (hold > 0 && (resume_mode || distinct || strcmp(req_path, "/") != 0)) {
        fprintf(stderr, "handshake-load: --path, --distinct and --resume are for the handshake mode, not --hold\n");
        return 2;
    }
    if (load_setup("handshake-load", host, port, &target, on_signal) != 0) return 2;

    ctx = resume_mode ? resume_client_ctx() : load_client_ctx();
    if (!ctx) return 1;

    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) {
        perror("epoll_create1");
        return 1;
    }
    int slots = hold > 0 ? hold : concurrency;
    struct conn *conns = calloc((size_t)slots, sizeof *conns);
    if (!conns) {
        perror("calloc");
        return 1;
    }
    for (int i = 0; i < slots; i++) {
        conns[i].fd = -1;
        conns[i].phase = IDLE_SLOT;
    }
    struct epoll_event events[512];
    double t0 = now();

    if (hold > 0) {
        /* Establish `hold` connections, at most `concurrency` handshakes in flight at a time. */
        int next = 0, in_flight = 0;
        double give_up = t0 + establish_timeout;
        while (!stop_requested && now() < give_up) {
            while (next < hold && in_flight < concurrency) {
                if (start(&conns[next]) == 0) in_flight++;
                next++;
            }
            int n = epoll_wait(epfd, events, 512, 100);
            for (int i = 0; i < n; i++) {
                struct conn *c = events[i].data.ptr;
                enum phase before = c->phase;
                if (before == IDLE_SLOT) continue;
                drive(c, 1);
                if (before != HELD && (c->phase == HELD || c->phase == IDLE_SLOT)) in_flight--;
            }
            if (next >= hold && in_flight == 0) break;
        }
        long established = 0;
        for (int i = 0; i < hold; i++) established += conns[i].phase == HELD;
        qsort(latencies, latency_count, sizeof(double), cmp_double);
        printf("ready established=%ld errors=%ld reused=%ld bad_status=%ld seconds=%.2f p99_ms=%.2f%s\n", established,
               errors, reused, bad_status, now() - t0, percentile(0.99) * 1000,
               established == hold ? "" : " incomplete=1");
        fflush(stdout);
        double until = now() + hold_seconds;
        while (!stop_requested && now() < until) {
            int n = epoll_wait(epfd, events, 512, 200);
            for (int i = 0; i < n; i++) {
                struct conn *c = events[i].data.ptr;
                if (c->phase == IDLE_SLOT) continue;
                if (c->phase != HELD) {
                    /* A straggler past the establish timeout: not counted, just dropped. */
                    release(c);
                    continue;
                }
                drive(c, 1);
            }
        }
        established = 0;
        for (int i = 0; i < hold; i++) established += conns[i].phase == HELD;
        printf("done still_open=%ld closed_by_server=%ld errors=%ld\n", established, closed_by_server, errors);
        return 0;
    }

    /* Handshake mode. */
    double deadline = t0 + duration;
    double drain_limit = deadline + 5;
    for (int i = 0; i < slots; i++) start(&conns[i]);
    int active = 1;
    while (active && !stop_requested) {
        double t = now();
        if (t >= drain_limit) break;
        int n = epoll_wait(epfd, events, 512, 50);
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c->phase == IDLE_SLOT) continue;
            drive(c, 0);
        }
        t = now();
        active = 0;
        for (int i = 0; i < slots; i++) {
            if (conns[i].phase == IDLE_SLOT && t < deadline) start(&conns[i]);
            if (conns[i].phase != IDLE_SLOT) active = 1;
        }
        if (!active && t < deadline) active = 1;
    }
    long unfinished = 0;
    for (int i = 0; i < slots; i++) {
        if (conns[i].phase != IDLE_SLOT) {
            unfinished++;
            release(&conns[i]);
        }
    }
    double elapsed = now() - t0;
    qsort(latencies, latency_count, sizeof(double), cmp_double);
    printf("completed=%ld errors=%ld reused=%ld seconds=%.3f rate=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f "
           "err_connect=%ld err_handshake=%ld err_io=%ld bad_status=%ld short_body=%ld no_close_notify=%ld "
           "unfinished=%ld offered=%ld tickets=%ld alpn_http11=%ld\n",
           completed, errors, reused, elapsed, completed / elapsed, percentile(0.5) * 1000, percentile(0.99) * 1000,
           latency_count ? latencies[latency_count - 1] * 1000 : 0.0, err_connect, err_handshake, err_io, bad_status,
           short_body, no_close_notify, unfinished, offered, tickets, alpn_http11);
    return 0;
}
