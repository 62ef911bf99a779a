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
};

static SSL_CTX *ctx;
static struct sockaddr_in target;
static int epfd;
static volatile sig_atomic_t stop_requested;

/* results */
static long completed, errors, reused, bad_status, short_body, no_close_notify, closed_by_server;
static long err_connect, err_handshake, err_io;
static double *latencies;
static size_t latency_count, latency_cap;

static const char request_close[] = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
static const char request_keepalive[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

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
        c->phase = WRITING;
    }
    if (c->phase == WRITING) {
        const char *req = keepalive ? request_keepalive : request_close;
        size_t len = keepalive ? sizeof request_keepalive - 1 : sizeof request_close - 1;
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
            "       handshake-load --port P --hold N [--hold-seconds 300] [--establish-timeout 60]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 0, concurrency = 32, hold = 0;
    double duration = 10, hold_seconds = 300, establish_timeout = 60;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--host")) host = v;
        else if (!strcmp(a, "--port")) port = atoi(v);
        else if (!strcmp(a, "--concurrency")) concurrency = atoi(v);
        else if (!strcmp(a, "--duration")) duration = atof(v);
        else if (!strcmp(a, "--hold")) hold = atoi(v);
        else if (!strcmp(a, "--hold-seconds")) hold_seconds = atof(v);
        else if (!strcmp(a, "--establish-timeout")) establish_timeout = atof(v);
        else usage();
    }
    if (port <= 0 || port > 65535 || concurrency <= 0 || duration <= 0 || hold < 0) usage();
    if (load_setup("handshake-load", host, port, &target, on_signal) != 0) return 2;

    ctx = load_client_ctx();
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
           "unfinished=%ld\n",
           completed, errors, reused, elapsed, completed / elapsed, percentile(0.5) * 1000, percentile(0.99) * 1000,
           latency_count ? latencies[latency_count - 1] * 1000 : 0.0, err_connect, err_handshake, err_io, bad_status,
           short_body, no_close_notify, unfinished);
    return 0;
}
