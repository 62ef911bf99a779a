/*
 * longpoll-load: the long-poll load client for bench/run.sh (oauth-landing only; nginx has no
 * long-poll). One thread, non-blocking sockets, one edge-triggered epoll loop; every connection is
 * a keep-alive TLS connection (full handshake) that carries one request at a time.
 *
 *   longpoll-load --port P --key K --prepare N --prefix PFX --out FILE [--concurrency 16]
 *       Creates N items: for i = 1..N, a browser callback "GET /oauth/callback?itemId=PFX-i" (the
 *       item becomes completed, callbacks=1), then "GET /v1/items/PFX-i" with the key to read its
 *       ETag. Writes "PFX-i ETAG" lines to FILE and prints "prepared items=... errors=...".
 *
 *   longpoll-load --port P --key K --longpoll FILE [--rate 200] [--wait 60] [--callers 8]
 *                 [--concurrency 64] [--pause] [--establish-timeout 90] [--pause-timeout 120]
 *                 [--callback-host H] [--callback-port P2]
 *       One waiter per line of FILE ("ID ETAG"):
 *       1. opens a connection per waiter (at most --concurrency handshakes in flight) and sends one
 *          keep-alive "GET /" on it, plus --callers connections for the callbacks; prints
 *          "idle established=..." once all are up. With --pause it then waits for SIGUSR1 (run.sh
 *          reads the server's memory with N idle connections meanwhile).
 *       2. sends every waiter its long-poll: "GET /v1/items/ID" with "Authorization: Bearer K",
 *          "Prefer: wait=W" and "If-None-Match: ETAG"; prints "waiting sent=...". With --pause it
 *          waits for SIGUSR1 again (run.sh checks that the server counts N waiting and reads its
 *          memory). A long-poll answered before its callback was sent counts as early=.
 *       3. sends one repeat callback per waiter, "GET /oauth/callback?itemId=ID", in file order at
 *          --rate per second (callback i due at start + i/rate) on the --callers connections (a
 *          callback due while all are busy waits for one: late_max_ms=, late_over_5ms=). A repeat callback does not
 *          change the status of a completed item, but it does change `callbacks` (and `updatedAt`)
 *          and so the ETag: it wakes the waiter, whose 200 must show "callbacks":2.
 *       With --callback-port (and --callback-host) the callers connect there instead: another
 *       instance sharing the store (bench/run.sh's pg_wake: waiters on instance B, callbacks to
 *       instance A, both on one PostgreSQL database), so every wake crosses instances.
 *       Wake latency of a waiter = when its long-poll's 200 was read - when its callback's 200 was
 *       read, both on this process's monotonic clock (negative if the long-poll's answer came first;
 *       such values are kept, and counted as negative=). Prints one "done ..." line with the
 *       distribution (p50/p99/max of the wake latency, of callback-sent -> wake, and of the
 *       callbacks' own latency) and every count. Bounded: it gives up --wait + 15 s after the last
 *       callback was due, and each pause after --pause-timeout.
 *
 * Only a numeric IPv4 --host and --callback-host (default 127.0.0.1). Build:
 *   gcc -O2 -Wall -o longpoll-load longpoll-load.c -lssl -lcrypto
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdarg.h>
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

enum state { FREE, CONNECTING, HANDSHAKE, BUSY, READY, DEAD };
enum role { WAITER, CALLER, PREPARER };
/* What a waiter's request in flight is. */
enum wstep { W_WARMUP, W_LONGPOLL, W_DONE };

struct conn {
    int fd;
    SSL *ssl;
    enum state state;
    enum role role;
    int index;     /* waiter index, or caller / preparer number */
    int item;      /* caller / preparer: the item of the request in flight (-1: none) */
    int step;      /* waiter: enum wstep; preparer: 0 = callback, 1 = status read */
    char req[1024];
    size_t req_len, sent;
    /* the response being read */
    char head[8192];
    size_t got;
    long header_end, content_length;
    int status;
};

static SSL_CTX *ctx;
static struct sockaddr_in target;    /* waiters and preparers */
static struct sockaddr_in cb_target; /* callers: target, or --callback-host/--callback-port */
static int epfd;
static volatile sig_atomic_t stop_requested, go_signals;
static const char *api_key = "";
static int wait_seconds = 60;

static long errors, err_connect, err_handshake, err_io, closed_by_server, bad_response;

static void on_stop(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void on_go(int sig) {
    (void)sig;
    go_signals++;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size);
    if (!p) die("calloc");
    return p;
}

/* ---- connections ---------------------------------------------------------------------------- */

static void release(struct conn *c, enum state end) {
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }
    c->state = end;
}

static void fail(struct conn *c, long *kind) {
    errors++;
    (*kind)++;
    ERR_clear_error();
    release(c, DEAD);
}

static int start(struct conn *c) {
    c->fd = -1;
    c->ssl = NULL;
    int fd;
    int rc = load_connect(c->role == CALLER ? &cb_target : &target, epfd, c, &fd);
    if (rc == -1) {
        errors++;
        err_connect++;
        c->state = DEAD;
        return -1;
    }
    c->fd = fd;
    if (rc != 0) {
        fail(c, &err_connect);
        return -1;
    }
    c->state = CONNECTING;
    return 0;
}

/* Finds the end of the header section and reads the status code and Content-Length. */
static void parse_head(struct conn *c) {
    size_t n = c->got < sizeof c->head ? c->got : sizeof c->head;
    for (size_t i = 3; i < n; i++) {
        if (c->head[i - 3] == '\r' && c->head[i - 2] == '\n' && c->head[i - 1] == '\r' && c->head[i] == '\n') {
            c->header_end = (long)i + 1;
            break;
        }
    }
    if (c->header_end < 0) return;
    c->status = 0;
    if (strncmp(c->head, "HTTP/1.1 ", 9) == 0) c->status = atoi(c->head + 9);
    for (long i = 0; i + 16 < c->header_end; i++) {
        if ((i == 0 || c->head[i - 1] == '\n') && strncasecmp(c->head + i, "content-length:", 15) == 0) {
            c->content_length = strtol(c->head + i + 15, NULL, 10);
            break;
        }
    }
    /* RFC 9110: 1xx, 204 and 304 have no content. */
    if (c->content_length < 0 && (c->status == 304 || c->status == 204)) c->content_length = 0;
}

/* The value of a header in a complete response head (copied into out), or 0. */
static int header_value(const struct conn *c, const char *name, char *out, size_t size) {
    size_t len = strlen(name);
    for (long i = 0; i + (long)len + 1 < c->header_end; i++) {
        if ((i == 0 || c->head[i - 1] == '\n') && strncasecmp(c->head + i, name, len) == 0 && c->head[i + len] == ':') {
            const char *v = c->head + i + len + 1;
            while (*v == ' ') v++;
            size_t k = 0;
            while (v[k] && v[k] != '\r' && v[k] != '\n' && k + 1 < size) {
                out[k] = v[k];
                k++;
            }
            out[k] = 0;
            return 1;
        }
    }
    return 0;
}

static void on_response(struct conn *c); /* per mode */
static void on_ready(struct conn *c);    /* per mode: the handshake finished */
static void on_closed(struct conn *c);   /* per mode: the server closed, or an error */

static void drive(struct conn *c) {
    if (c->state == CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            if (err == EINPROGRESS || err == EALREADY) return;
            fail(c, &err_connect);
            on_closed(c);
            return;
        }
        c->ssl = load_tls_client(ctx, c->fd);
        if (!c->ssl) {
            fail(c, &err_handshake);
            on_closed(c);
            return;
        }
        c->state = HANDSHAKE;
    }
    if (c->state == HANDSHAKE) {
        int r = load_tls_handshake(c->ssl);
        if (r == 0) return;
        if (r < 0) {
            fail(c, &err_handshake);
            on_closed(c);
            return;
        }
        c->state = READY;
        on_ready(c);
        return; /* on_ready sent a request (and drove it) or left the connection ready */
    }
    if (c->state == BUSY && c->sent < c->req_len) {
        while (c->sent < c->req_len) {
            ERR_clear_error();
            int r = SSL_write(c->ssl, c->req + c->sent, (int)(c->req_len - c->sent));
            if (r <= 0) {
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
                fail(c, &err_io);
                on_closed(c);
                return;
            }
            c->sent += (size_t)r;
        }
    }
    if (c->state == BUSY || c->state == READY) {
        char buf[16384];
        for (;;) {
            ERR_clear_error();
            int r = SSL_read(c->ssl, buf, sizeof buf);
            if (r > 0) {
                if (c->state == READY) {
                    /* Nothing was asked: the server sent something unrequested. */
                    bad_response++;
                    continue;
                }
                if (c->got < sizeof c->head) {
                    size_t room = sizeof c->head - c->got;
                    memcpy(c->head + c->got, buf, (size_t)r < room ? (size_t)r : room);
                }
                c->got += (size_t)r;
                if (c->header_end < 0) {
                    parse_head(c);
                    if (c->header_end < 0 && c->got >= sizeof c->head) {
                        bad_response++;
                        fail(c, &err_io);
                        on_closed(c);
                        return;
                    }
                }
                if (c->header_end >= 0 && c->content_length < 0) {
                    bad_response++; /* every answer here has a Content-Length */
                    fail(c, &err_io);
                    on_closed(c);
                    return;
                }
                if (c->header_end >= 0 && (long)c->got >= c->header_end + c->content_length) {
                    if ((long)c->got > c->header_end + c->content_length) bad_response++;
                    c->state = READY;
                    on_response(c);
                    /* on_response may have sent the next request; its read continues the loop. */
                    if (c->state != BUSY && c->state != READY) return;
                }
                continue;
            }
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
            closed_by_server++;
            ERR_clear_error();
            release(c, DEAD);
            on_closed(c);
            return;
        }
    }
}

/* Sends a request on a READY connection (and drives it as far as it goes). */
static void send_request(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void send_request(struct conn *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->req, sizeof c->req, fmt, ap);
    va_end(ap);
    if (n <= 0 || (size_t)n >= sizeof c->req) {
        fprintf(stderr, "longpoll-load: request too long\n");
        exit(1);
    }
    c->req_len = (size_t)n;
    c->sent = 0;
    c->got = 0;
    c->header_end = -1;
    c->content_length = -1;
    c->status = 0;
    c->state = BUSY;
    drive(c);
}

/* ---- results -------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* p in [0,1] of a sorted array, in ms. */
static double pct_ms(const double *v, size_t n, double p) {
    if (n == 0) return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    if (i >= n) i = n - 1;
    return v[i] * 1000;
}

/* ---- mode: prepare -------------------------------------------------------------------------- */

static int mode_prepare;
static int prep_count, prep_next, prep_done, prep_failed;
static const char *prefix = "lp";
static char (*prep_etags)[72];

static void prep_next_item(struct conn *c) {
    if (prep_next >= prep_count) {
        c->item = -1;
        return;
    }
    c->item = prep_next++;
    c->step = 0;
    send_request(c, "GET /oauth/callback?itemId=%s-%d HTTP/1.1\r\nHost: x\r\n\r\n", prefix, c->item + 1);
}

/* ---- mode: longpoll ------------------------------------------------------------------------- */

static int n_waiters, n_callers = 8;
static char (*ids)[132];
static char (*etags)[72];
static double *cb_sent, *cb_done, *lp_done;
static int *lp_status, *cb_status;
static int *lp_body_ok;
static char *lp_early; /* answered before its callback was sent */
static struct conn *waiters, *callers;
static long warm_ok, lp_sent, early, lp_answers;
static int phase; /* 1 establish, 2 waiting, 3 callbacks */
static double idle_callers_ready;

static void send_longpoll(struct conn *c) {
    c->step = W_LONGPOLL;
    lp_sent++;
    send_request(c,
                 "GET /v1/items/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nPrefer: wait=%d\r\n"
                 "If-None-Match: %s\r\n\r\n",
                 ids[c->index], api_key, wait_seconds, etags[c->index]);
}

static void on_ready(struct conn *c) {
    if (mode_prepare) {
        prep_next_item(c);
        return;
    }
    /* Waiters and callers: one keep-alive GET / first, like an idle browser connection. */
    c->step = W_WARMUP;
    send_request(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
}

static void on_response(struct conn *c) {
    double t = now();
    if (mode_prepare) {
        if (c->step == 0) {
            if (c->status != 200) {
                prep_failed++;
                prep_next_item(c);
                return;
            }
            c->step = 1;
            send_request(c, "GET /v1/items/%s-%d HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", prefix,
                         c->item + 1, api_key);
            return;
        }
        char etag[72];
        if (c->status == 200 && header_value(c, "ETag", etag, sizeof etag) && etag[0] == '"') {
            strcpy(prep_etags[c->item], etag);
            prep_done++;
        } else {
            prep_failed++;
        }
        prep_next_item(c);
        return;
    }
    if (c->role == CALLER) {
        if (c->step == W_WARMUP) {
            c->step = W_DONE;
            if (c->status == 200) idle_callers_ready++;
            else bad_response++;
            return;
        }
        if (c->item >= 0) {
            cb_done[c->item] = t;
            cb_status[c->item] = c->status;
            c->item = -1;
        }
        return;
    }
    /* a waiter */
    if (c->step == W_WARMUP) {
        if (c->status == 200) warm_ok++;
        else bad_response++;
        c->step = W_DONE;
        if (phase >= 2) send_longpoll(c); /* a straggler finished after the pause */
        return;
    }
    if (c->step == W_LONGPOLL) {
        c->step = W_DONE;
        lp_answers++;
        lp_done[c->index] = t;
        lp_status[c->index] = c->status;
        if (cb_sent[c->index] == 0) {
            early++;
            lp_early[c->index] = 1;
        }
        /* The woken state must be the one after the repeat callback. */
        if (c->status == 200) {
            size_t end = c->got < sizeof c->head ? c->got : sizeof c->head;
            c->head[end < sizeof c->head ? end : sizeof c->head - 1] = 0;
            lp_body_ok[c->index] = strstr(c->head + c->header_end, "\"callbacks\":2") != NULL;
        }
    }
}

static void on_closed(struct conn *c) {
    if (mode_prepare) {
        if (c->item >= 0) prep_failed++;
        c->item = -1;
        return;
    }
    if (c->role == CALLER && c->item >= 0) {
        cb_status[c->item] = -1;
        cb_done[c->item] = now();
        c->item = -1;
    }
    if (c->role == WAITER && c->step == W_LONGPOLL) {
        lp_status[c->index] = -1;
        lp_answers++;
        c->step = W_DONE;
    }
}

/* ---- main ----------------------------------------------------------------------------------- */

static void usage(void) {
    fprintf(stderr,
            "usage: longpoll-load --port P --key K --prepare N --prefix PFX --out FILE [--concurrency 16]\n"
            "       longpoll-load --port P --key K --longpoll FILE [--rate 200] [--wait 60] [--callers 8]\n"
            "                     [--concurrency 64] [--pause] [--establish-timeout 90] [--pause-timeout 120]\n"
            "                     [--callback-host H] [--callback-port P2]\n");
    exit(2);
}

static struct epoll_event events[1024];

static void pump(int timeout_ms) {
    int n = epoll_wait(epfd, events, 1024, timeout_ms);
    for (int i = 0; i < n; i++) {
        struct conn *c = events[i].data.ptr;
        if (c->state == FREE || c->state == DEAD) continue;
        drive(c);
    }
}

/* With --pause: keeps serving connections until SIGUSR1 number `want` (or the timeout). */
static int await_go(int want, double timeout) {
    double until = now() + timeout;
    while (!stop_requested && go_signals < want && now() < until) pump(50);
    return go_signals >= want;
}

static int read_waiters(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) die(path);
    int cap = 1024, n = 0;
    ids = xcalloc((size_t)cap, sizeof *ids);
    etags = xcalloc((size_t)cap, sizeof *etags);
    char id[256], etag[256];
    while (fscanf(f, "%255s %255s", id, etag) == 2) {
        if (strlen(id) >= sizeof ids[0] || strlen(etag) >= sizeof etags[0]) {
            fprintf(stderr, "longpoll-load: line %d: id or etag too long\n", n + 1);
            exit(2);
        }
        if (n == cap) {
            cap *= 2;
            ids = realloc(ids, (size_t)cap * sizeof *ids);
            etags = realloc(etags, (size_t)cap * sizeof *etags);
            if (!ids || !etags) die("realloc");
        }
        strcpy(ids[n], id);
        strcpy(etags[n], etag);
        n++;
    }
    fclose(f);
    return n;
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *cb_host = NULL, *out_path = NULL, *waiters_path = NULL;
    int port = 0, cb_port = 0, concurrency = -1, pause_mode = 0;
    double rate = 200, establish_timeout = 90, pause_timeout = 120;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--pause")) {
            pause_mode = 1;
            continue;
        }
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--host")) host = v;
        else if (!strcmp(a, "--port")) port = atoi(v);
        else if (!strcmp(a, "--callback-host")) cb_host = v;
        else if (!strcmp(a, "--callback-port")) cb_port = atoi(v);
        else if (!strcmp(a, "--key")) api_key = v;
        else if (!strcmp(a, "--prepare")) mode_prepare = 1, prep_count = atoi(v);
        else if (!strcmp(a, "--prefix")) prefix = v;
        else if (!strcmp(a, "--out")) out_path = v;
        else if (!strcmp(a, "--longpoll")) waiters_path = v;
        else if (!strcmp(a, "--rate")) rate = atof(v);
        else if (!strcmp(a, "--wait")) wait_seconds = atoi(v);
        else if (!strcmp(a, "--callers")) n_callers = atoi(v);
        else if (!strcmp(a, "--concurrency")) concurrency = atoi(v);
        else if (!strcmp(a, "--establish-timeout")) establish_timeout = atof(v);
        else if (!strcmp(a, "--pause-timeout")) pause_timeout = atof(v);
        else usage();
    }
    if (port <= 0 || port > 65535 || mode_prepare == !!waiters_path || rate <= 0 || n_callers <= 0 ||
        wait_seconds <= 0)
        usage();
    if (mode_prepare && (prep_count <= 0 || !out_path)) usage();
    if (cb_port < 0 || cb_port > 65535 || (mode_prepare && (cb_host || cb_port))) usage();
    if (concurrency <= 0) concurrency = mode_prepare ? 16 : 64;
    if (load_setup("longpoll-load", host, port, &target, on_stop) != 0) return 2;
    if (load_target("longpoll-load", "--callback-host", cb_host ? cb_host : host, cb_port ? cb_port : port, &cb_target) != 0)
        return 2;
    signal(SIGUSR1, on_go);
    ctx = load_client_ctx();
    if (!ctx) return 1;
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) die("epoll_create1");
    double t0 = now();

    if (mode_prepare) {
        prep_etags = xcalloc((size_t)prep_count, sizeof *prep_etags);
        int nconn = concurrency < prep_count ? concurrency : prep_count;
        struct conn *conns = xcalloc((size_t)nconn, sizeof *conns);
        for (int i = 0; i < nconn; i++) {
            conns[i].role = PREPARER;
            conns[i].index = i;
            conns[i].item = -1;
            start(&conns[i]);
        }
        double give_up = t0 + establish_timeout + prep_count / 50.0;
        while (!stop_requested && now() < give_up) {
            int busy = 0;
            for (int i = 0; i < nconn; i++) busy += conns[i].state != DEAD && conns[i].state != FREE &&
                                                    !(conns[i].state == READY && conns[i].item < 0);
            if (!busy) break;
            pump(100);
        }
        FILE *f = fopen(out_path, "w");
        if (!f) die(out_path);
        for (int i = 0; i < prep_count; i++)
            if (prep_etags[i][0]) fprintf(f, "%s-%d %s\n", prefix, i + 1, prep_etags[i]);
        fclose(f);
        printf("prepared items=%d requested=%d failed=%d errors=%ld closed_by_server=%ld seconds=%.2f\n", prep_done,
               prep_count, prep_failed, errors, closed_by_server, now() - t0);
        return prep_done == prep_count ? 0 : 1;
    }

    n_waiters = read_waiters(waiters_path);
    if (n_waiters == 0) {
        fprintf(stderr, "longpoll-load: %s holds no waiters\n", waiters_path);
        return 2;
    }
    cb_sent = xcalloc((size_t)n_waiters, sizeof *cb_sent);
    cb_done = xcalloc((size_t)n_waiters, sizeof *cb_done);
    lp_done = xcalloc((size_t)n_waiters, sizeof *lp_done);
    lp_status = xcalloc((size_t)n_waiters, sizeof *lp_status);
    cb_status = xcalloc((size_t)n_waiters, sizeof *cb_status);
    lp_body_ok = xcalloc((size_t)n_waiters, sizeof *lp_body_ok);
    lp_early = xcalloc((size_t)n_waiters, sizeof *lp_early);
    waiters = xcalloc((size_t)n_waiters, sizeof *waiters);
    callers = xcalloc((size_t)n_callers, sizeof *callers);

    /* Phase 1: the callers, then every waiter's connection with one GET / each. */
    phase = 1;
    for (int i = 0; i < n_callers; i++) {
        callers[i].role = CALLER;
        callers[i].index = i;
        callers[i].item = -1;
        start(&callers[i]);
    }
    for (int i = 0; i < n_waiters; i++) {
        waiters[i].role = WAITER;
        waiters[i].index = i;
        waiters[i].item = -1;
        waiters[i].state = FREE;
        waiters[i].fd = -1;
    }
    int next = 0;
    double give_up = t0 + establish_timeout;
    for (;;) {
        int in_flight = 0, settled = 0;
        for (int i = 0; i < next; i++) {
            struct conn *c = &waiters[i];
            if (c->state == DEAD || (c->state == READY && c->step == W_DONE)) settled++;
            else in_flight++;
        }
        while (next < n_waiters && in_flight < concurrency) {
            start(&waiters[next++]);
            in_flight++;
        }
        int callers_up = 0;
        for (int i = 0; i < n_callers; i++) callers_up += callers[i].state == DEAD || (callers[i].state == READY && callers[i].step == W_DONE);
        if ((settled == n_waiters && callers_up == n_callers) || stop_requested || now() >= give_up) break;
        pump(50);
    }
    long established = 0;
    for (int i = 0; i < n_waiters; i++) established += waiters[i].state == READY && waiters[i].step == W_DONE;
    printf("idle established=%ld waiters=%d callers=%.0f/%d errors=%ld err_connect=%ld err_handshake=%ld seconds=%.2f%s\n",
           established, n_waiters, idle_callers_ready, n_callers, errors, err_connect, err_handshake, now() - t0,
           established == n_waiters ? "" : " incomplete=1");
    fflush(stdout);
    if (pause_mode && !await_go(1, pause_timeout)) {
        printf("gave up: no SIGUSR1 within %.0f s\n", pause_timeout);
        return 1;
    }

    /* Phase 2: every waiter's long-poll. */
    phase = 2;
    for (int i = 0; i < n_waiters && !stop_requested; i++) {
        struct conn *c = &waiters[i];
        if (c->state == READY && c->step == W_DONE) send_longpoll(c);
        /* Connections still warming up send theirs when the GET / is answered. */
    }
    pump(0);
    printf("waiting sent=%ld early=%ld errors=%ld closed_by_server=%ld\n", lp_sent, early, errors, closed_by_server);
    fflush(stdout);
    if (pause_mode && !await_go(2, pause_timeout)) {
        printf("gave up: no second SIGUSR1 within %.0f s\n", pause_timeout);
        return 1;
    }

    /* Phase 3: one repeat callback per waiter at `rate`. */
    phase = 3;
    double start_cb = now(), late_max = 0;
    long callbacks_sent = 0, late_5ms = 0;
    int all_callers_busy = 0;
    double end_by = start_cb + n_waiters / rate + wait_seconds + 15;
    int next_cb = 0;
    while (!stop_requested) {
        double t = now();
        while (next_cb < n_waiters) {
            double due = start_cb + next_cb / rate;
            if (due > t) break;
            struct conn *free_caller = NULL;
            for (int k = 0; k < n_callers; k++) {
                if (callers[k].state == READY && callers[k].item < 0) {
                    free_caller = &callers[k];
                    break;
                }
            }
            if (!free_caller) {
                all_callers_busy = 1; /* wait for one to answer (an epoll event) */
                break;
            }
            all_callers_busy = 0;
            if (t - due > late_max) late_max = t - due;
            if (t - due > 0.005) late_5ms++;
            int i = next_cb++;
            free_caller->item = i;
            free_caller->step = W_LONGPOLL;
            cb_sent[i] = t;
            callbacks_sent++;
            send_request(free_caller, "GET /oauth/callback?itemId=%s HTTP/1.1\r\nHost: x\r\n\r\n", ids[i]);
            t = now();
        }
        int callers_alive = 0, callbacks_out = 0;
        for (int k = 0; k < n_callers; k++) {
            callers_alive += callers[k].state == READY || callers[k].state == BUSY;
            callbacks_out += callers[k].item >= 0;
        }
        if (next_cb < n_waiters && callers_alive == 0) break; /* nothing left to send them on */
        if (next_cb >= n_waiters && callbacks_out == 0 && lp_answers >= lp_sent) break;
        if (t >= end_by) break;
        int timeout = 100;
        if (next_cb < n_waiters && !all_callers_busy) {
            double due = start_cb + next_cb / rate;
            int ms = (int)ceil((due - now()) * 1000);
            if (ms < timeout) timeout = ms < 0 ? 0 : ms;
        }
        pump(timeout);
    }
    double cb_elapsed = now() - start_cb;

    /* The distribution. */
    double *wake = xcalloc((size_t)n_waiters, sizeof *wake);
    double *sent_to_wake = xcalloc((size_t)n_waiters, sizeof *sent_to_wake);
    double *cb_lat = xcalloc((size_t)n_waiters, sizeof *cb_lat);
    size_t nw = 0, ns = 0, nc = 0;
    long woken = 0, negative = 0, timed_out = 0, other = 0, unanswered = 0, cb_ok = 0, cb_bad = 0, body_bad = 0,
         not_woken_cb_missing = 0;
    for (int i = 0; i < n_waiters; i++) {
        if (cb_done[i] > 0) {
            if (cb_status[i] == 200) {
                cb_ok++;
                cb_lat[nc++] = cb_done[i] - cb_sent[i];
            } else {
                cb_bad++;
            }
        }
        if (lp_done[i] == 0) {
            if (waiters[i].step == W_LONGPOLL) unanswered++;
            continue;
        }
        if (lp_status[i] == 304) timed_out++;
        else if (lp_status[i] != 200) other++;
        if (lp_status[i] != 200 || lp_early[i]) continue; /* early ones are counted apart */
        if (cb_done[i] == 0 || cb_status[i] != 200) {
            not_woken_cb_missing++;
            continue;
        }
        woken++;
        if (!lp_body_ok[i]) body_bad++;
        wake[nw] = lp_done[i] - cb_done[i];
        if (wake[nw] < 0) negative++;
        nw++;
        sent_to_wake[ns++] = lp_done[i] - cb_sent[i];
    }
    qsort(wake, nw, sizeof *wake, cmp_double);
    qsort(sent_to_wake, ns, sizeof *sent_to_wake, cmp_double);
    qsort(cb_lat, nc, sizeof *cb_lat, cmp_double);
    printf("done waiters=%d callback_port=%d sent=%ld woken=%ld early=%ld timed_out=%ld other_status=%ld unanswered=%ld "
           "wake_p50_ms=%.2f wake_p99_ms=%.2f wake_max_ms=%.2f wake_min_ms=%.2f negative=%ld "
           "sent_to_wake_p50_ms=%.2f sent_to_wake_p99_ms=%.2f sent_to_wake_max_ms=%.2f "
           "callbacks=%ld cb_ok=%ld cb_failed=%ld cb_p50_ms=%.2f cb_p99_ms=%.2f cb_max_ms=%.2f "
           "cb_seconds=%.2f cb_rate=%.1f late_max_ms=%.2f late_over_5ms=%ld body_without_callbacks_2=%ld "
           "woken_without_callback_200=%ld errors=%ld closed_by_server=%ld bad_response=%ld\n",
           n_waiters, cb_port ? cb_port : port, lp_sent, woken, early, timed_out, other, unanswered, pct_ms(wake, nw, 0.5),
           pct_ms(wake, nw, 0.99), nw ? wake[nw - 1] * 1000 : 0.0, nw ? wake[0] * 1000 : 0.0, negative,
           pct_ms(sent_to_wake, ns, 0.5), pct_ms(sent_to_wake, ns, 0.99), ns ? sent_to_wake[ns - 1] * 1000 : 0.0,
           callbacks_sent, cb_ok, cb_bad, pct_ms(cb_lat, nc, 0.5), pct_ms(cb_lat, nc, 0.99),
           nc ? cb_lat[nc - 1] * 1000 : 0.0, cb_elapsed, cb_elapsed > 0 ? callbacks_sent / cb_elapsed : 0.0,
           late_max * 1000, late_5ms, body_bad, not_woken_cb_missing, errors, closed_by_server,
           bad_response);
    fflush(stdout);
    return 0;
}
