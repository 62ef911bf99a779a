/*
 * pipeline-flood: the pipelining-amplification attack and its /healthz probe, for bench/run.sh
 * (scenario `amplification`). One thread, non-blocking sockets, one edge-triggered epoll loop.
 *
 *   pipeline-flood --port P [--connections 150] [--bytes 62464] [--path /oauth/callback]
 *                  [--concurrency 50] [--hold-seconds 10] [--close close|reset|fin]
 *                  [--establish-timeout 60] [--pause-timeout 120]
 *       Opens N TLS connections (full handshakes, at most --concurrency in flight). On each, as
 *       soon as its handshake is done, writes --bytes worth of pipelined
 *       "GET PATH HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" requests (whole requests only) and never
 *       reads a byte after the handshake. Prints "established ..." once every handshake finished
 *       (or the establish timeout passed), "written ..." once every request is in the kernel,
 *       then holds the connections --hold-seconds (counted from "established") and prints
 *       "held ..." with what went where (below). Then it waits for SIGUSR1 (run.sh reads the
 *       server's sockets and memory meanwhile) and closes every connection:
 *         close  close() (Linux sends an RST instead of a FIN when unread bytes sit in the
 *                receive buffer, which is the case for every connection the server answered at
 *                all; with_unread= counts them)
 *         reset  SO_LINGER 0 then close(): an RST in every case
 *         fin    shutdown(SHUT_WR): a FIN, the socket stays open (still never read) until
 *                SIGTERM/SIGINT or --pause-timeout, then close()
 *       and prints "closed ...".
 *       "held" fields, summed over the connections: plain= request bytes SSL_write took;
 *       wire= TLS bytes written to the sockets after the handshakes; outq= of those, still in
 *       this side's send queues (SIOCOUTQ: unsent or unacknowledged); inq= bytes the server sent
 *       that wait unread in this side's receive queues (SIOCINQ: responses, plus TLS 1.3 session
 *       tickets). So the server's kernel got wire - outq bytes; run.sh takes off what its sockets
 *       still hold unread (ss Recv-Q) to get what the server read.
 *
 *   pipeline-flood --probe --port P [--path /healthz] [--interval-ms 10] [--duration 0]
 *       One keep-alive TLS connection; after one unmeasured request prints "ready", then sends
 *       GET PATH on a fixed schedule, one every --interval-ms, one at a time (a slot that comes
 *       while a request is out is skipped: slots_skipped=), until --duration seconds (0: until
 *       SIGTERM/SIGINT). SIGUSR1 starts the numbers afresh (run.sh: the moment the flood starts).
 *       svc_p50_ms, svc_p99_ms, svc_max_ms, svc_over_50ms: send-to-response times of the requests
 *       answered (what a health checker sees). p50_ms, p99_ms, max_ms, over_50ms: the same
 *       corrected for coordinated omission (as HdrHistogram's recordValueWithExpectedInterval: a
 *       request that took t also stands for the ones due meanwhile, t - interval, t - 2 interval,
 *       ...), i.e. what independent clients arriving every --interval-ms would have waited. The
 *       request unanswered at the end counts with its age (unanswered=1, also in
 *       service_max_ms). Reconnects (with a full handshake) if the server closes. Prints one
 *       "probe ..." line.
 *
 * Only a numeric IPv4 --host (default 127.0.0.1). Build:
 *   gcc -O2 -Wall -Wextra -o pipeline-flood pipeline-flood.c -lssl -lcrypto
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sockios.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/ioctl.h>

#include "load-common.h"

static SSL_CTX *ctx;
static struct sockaddr_in target;
static int epfd;
static volatile sig_atomic_t stop_requested, go_signals;

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

/* ---- flood ---------------------------------------------------------------------------------- */

enum fstate { F_FREE, F_CONNECTING, F_HANDSHAKE, F_WRITING, F_WRITTEN, F_DEAD };

struct fconn {
    int fd;
    SSL *ssl;
    enum fstate state;
    size_t plain;           /* request bytes SSL_write took */
    unsigned long wire0;    /* bytes written to the socket when the handshake finished */
    int server_fin, server_err;
};

static const char *path = NULL;
static char *flood_buf;
static size_t flood_len, req_len;
static long err_connect, err_handshake, err_io, server_fins, server_errs;

static void fdrop(struct fconn *c, long *kind) {
    (*kind)++;
    ERR_clear_error();
    if (c->ssl) SSL_free(c->ssl);
    c->ssl = NULL;
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->state = F_DEAD;
}

static void fstart(struct fconn *c) {
    int fd;
    int rc = load_connect(&target, epfd, c, &fd);
    c->fd = fd;
    if (rc != 0) {
        if (rc == -2) close(fd);
        c->fd = -1;
        err_connect++;
        c->state = F_DEAD;
        return;
    }
    c->state = F_CONNECTING;
}

/* Drives a flood connection: connect, handshake, write everything; never reads after the
 * handshake. `ev` is the epoll event mask (0 when called outside an event). */
static void fdrive(struct fconn *c, uint32_t ev) {
    if (c->state == F_WRITTEN || c->state == F_WRITING) {
        /* Not read, only noticed: the server half-closed or reset. */
        if ((ev & EPOLLRDHUP) && !c->server_fin) {
            c->server_fin = 1;
            server_fins++;
        }
        if ((ev & (EPOLLERR | EPOLLHUP)) && !c->server_err) {
            c->server_err = 1;
            server_errs++;
        }
    }
    if (c->state == F_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            if (err == EINPROGRESS || err == EALREADY) return;
            fdrop(c, &err_connect);
            return;
        }
        c->ssl = load_tls_client(ctx, c->fd);
        if (!c->ssl) {
            fdrop(c, &err_handshake);
            return;
        }
        c->state = F_HANDSHAKE;
    }
    if (c->state == F_HANDSHAKE) {
        int r = load_tls_handshake(c->ssl);
        if (r == 0) return;
        if (r < 0) {
            fdrop(c, &err_handshake);
            return;
        }
        c->wire0 = BIO_number_written(SSL_get_wbio(c->ssl));
        c->state = F_WRITING;
    }
    if (c->state == F_WRITING) {
        while (c->plain < flood_len) {
            ERR_clear_error();
            int r = SSL_write(c->ssl, flood_buf + c->plain, (int)(flood_len - c->plain));
            if (r <= 0) {
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) return;
                fdrop(c, &err_io);
                return;
            }
            c->plain += (size_t)r;
        }
        c->state = F_WRITTEN;
    }
}

static void fpump(struct epoll_event *events, int max, int timeout_ms) {
    int n = epoll_wait(epfd, events, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        struct fconn *c = events[i].data.ptr;
        if (c->state == F_FREE || c->state == F_DEAD) continue;
        fdrive(c, events[i].events);
    }
}

static int run_flood(int n, size_t bytes, int concurrency, double hold_seconds, const char *close_mode,
                     double establish_timeout, double pause_timeout) {
    char req[512];
    int rl = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (rl <= 0 || (size_t)rl >= sizeof req) {
        fprintf(stderr, "pipeline-flood: --path too long\n");
        return 2;
    }
    req_len = (size_t)rl;
    size_t count = bytes / req_len;
    if (count == 0) count = 1;
    flood_len = count * req_len;
    flood_buf = malloc(flood_len);
    if (!flood_buf) die("malloc");
    for (size_t i = 0; i < count; i++) memcpy(flood_buf + i * req_len, req, req_len);

    struct fconn *conns = calloc((size_t)n, sizeof *conns);
    if (!conns) die("calloc");
    for (int i = 0; i < n; i++) {
        conns[i].fd = -1;
        conns[i].state = F_FREE;
    }
    static struct epoll_event events[1024];
    double t0 = now(), give_up = t0 + establish_timeout;
    int next = 0;
    for (;;) {
        int in_flight = 0;
        for (int i = 0; i < next; i++) in_flight += conns[i].state == F_CONNECTING || conns[i].state == F_HANDSHAKE;
        while (next < n && in_flight < concurrency) {
            fstart(&conns[next++]);
            if (conns[next - 1].state == F_CONNECTING) in_flight++;
        }
        if ((next >= n && in_flight == 0) || stop_requested || now() >= give_up) break;
        fpump(events, 1024, 50);
    }
    long established = 0;
    for (int i = 0; i < n; i++) established += conns[i].state == F_WRITING || conns[i].state == F_WRITTEN;
    double t_est = now();
    printf("established connections=%ld of=%d errors=%ld err_connect=%ld err_handshake=%ld seconds=%.2f "
           "requests_per_connection=%zu request_bytes=%zu bytes_per_connection=%zu%s\n",
           established, n, err_connect + err_handshake + err_io, err_connect, err_handshake, t_est - t0, count,
           req_len, flood_len, established == n ? "" : " incomplete=1");
    fflush(stdout);

    /* Hold: keep writing what the server's side still accepts; never read. */
    double until = t_est + hold_seconds;
    int written_printed = 0;
    while (!stop_requested && now() < until) {
        fpump(events, 1024, 20);
        if (!written_printed) {
            long pending = 0;
            for (int i = 0; i < n; i++) pending += conns[i].state == F_WRITING;
            if (pending == 0) {
                written_printed = 1;
                printf("written seconds_after_established=%.2f\n", now() - t_est);
                fflush(stdout);
            }
        }
    }
    unsigned long long plain = 0, wire = 0, outq = 0, inq = 0;
    long complete = 0, open_conns = 0;
    for (int i = 0; i < n; i++) {
        struct fconn *c = &conns[i];
        if (c->state != F_WRITING && c->state != F_WRITTEN) continue;
        open_conns++;
        complete += c->state == F_WRITTEN;
        plain += c->plain;
        wire += BIO_number_written(SSL_get_wbio(c->ssl)) - c->wire0;
        int q = 0;
        if (ioctl(c->fd, SIOCOUTQ, &q) == 0) outq += (unsigned)q;
        q = 0;
        if (ioctl(c->fd, SIOCINQ, &q) == 0) inq += (unsigned)q;
    }
    printf("held connections=%ld fully_written=%ld plain=%llu wire=%llu outq=%llu inq=%llu requests_sent=%llu "
           "server_fin=%ld server_reset=%ld err_io=%ld seconds=%.2f\n",
           open_conns, complete, plain, wire, outq, inq, plain / req_len, server_fins, server_errs, err_io,
           now() - t_est);
    fflush(stdout);

    /* Wait for run.sh's go (it reads the server meanwhile), then close. */
    double pause_until = now() + pause_timeout;
    while (!stop_requested && go_signals < 1 && now() < pause_until) fpump(events, 1024, 50);
    int fin = !strcmp(close_mode, "fin"), reset = !strcmp(close_mode, "reset");
    long with_unread = 0, closed = 0;
    for (int i = 0; i < n; i++) {
        struct fconn *c = &conns[i];
        if (c->fd < 0) continue;
        int q = 0;
        if (ioctl(c->fd, SIOCINQ, &q) == 0 && q > 0) with_unread++;
        if (fin) {
            shutdown(c->fd, SHUT_WR);
            continue;
        }
        if (reset) {
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(c->fd); /* SSL_free below must not touch the socket: no close_notify, on purpose */
        c->fd = -1;
        closed++;
    }
    printf("closed mode=%s connections=%ld with_unread=%ld\n", close_mode, fin ? open_conns : closed, with_unread);
    fflush(stdout);
    if (fin) {
        /* Half-closed, still unread, until told to stop. */
        double fin_until = now() + pause_timeout;
        while (!stop_requested && now() < fin_until) {
            int r = epoll_wait(epfd, events, 1024, 100);
            (void)r;
        }
        for (int i = 0; i < n; i++)
            if (conns[i].fd >= 0) close(conns[i].fd);
    }
    return 0;
}

/* ---- probe ---------------------------------------------------------------------------------- */

enum pstate { P_CONNECTING, P_HANDSHAKE, P_IDLE, P_WRITING, P_READING, P_DOWN };

struct pconn {
    int fd;
    SSL *ssl;
    enum pstate state;
    char req[512];
    size_t req_len, sent;
    char head[4096];
    size_t got;
    long header_end, content_length;
    int status;
};

static struct pconn pc;
static long p_reconnects, p_bad_status, p_errors;

static void pdown(void) {
    if (pc.ssl) SSL_free(pc.ssl);
    pc.ssl = NULL;
    if (pc.fd >= 0) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, pc.fd, NULL);
        close(pc.fd);
    }
    pc.fd = -1;
    pc.state = P_DOWN;
}

static void pconnect(void) {
    int fd;
    int rc = load_connect(&target, epfd, &pc, &fd);
    pc.fd = fd;
    if (rc != 0) {
        if (rc == -2) close(fd);
        pc.fd = -1;
        pc.state = P_DOWN;
        p_errors++;
        return;
    }
    pc.state = P_CONNECTING;
}

static void pparse(void) {
    size_t n = pc.got < sizeof pc.head ? pc.got : sizeof pc.head;
    for (size_t i = 3; i < n; i++) {
        if (pc.head[i - 3] == '\r' && pc.head[i - 2] == '\n' && pc.head[i - 1] == '\r' && pc.head[i] == '\n') {
            pc.header_end = (long)i + 1;
            break;
        }
    }
    if (pc.header_end < 0) return;
    pc.status = strncmp(pc.head, "HTTP/1.1 ", 9) == 0 ? atoi(pc.head + 9) : 0;
    for (long i = 0; i + 16 < pc.header_end; i++) {
        if ((i == 0 || pc.head[i - 1] == '\n') && strncasecmp(pc.head + i, "content-length:", 15) == 0) {
            pc.content_length = strtol(pc.head + i + 15, NULL, 10);
            break;
        }
    }
}

/* Drives the probe connection; returns 1 when a response was completed. */
static int pdrive(void) {
    if (pc.state == P_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(pc.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            if (err == EINPROGRESS || err == EALREADY) return 0;
            p_errors++;
            pdown();
            return 0;
        }
        pc.ssl = SSL_new(ctx);
        if (!pc.ssl) {
            p_errors++;
            pdown();
            return 0;
        }
        SSL_set_fd(pc.ssl, pc.fd);
        SSL_set_connect_state(pc.ssl);
        pc.state = P_HANDSHAKE;
    }
    if (pc.state == P_HANDSHAKE) {
        ERR_clear_error();
        int r = SSL_do_handshake(pc.ssl);
        if (r != 1) {
            int e = SSL_get_error(pc.ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
            p_errors++;
            ERR_clear_error();
            pdown();
            return 0;
        }
        pc.state = pc.req_len > 0 && pc.sent < pc.req_len ? P_WRITING : P_IDLE;
    }
    if (pc.state == P_WRITING) {
        while (pc.sent < pc.req_len) {
            ERR_clear_error();
            int r = SSL_write(pc.ssl, pc.req + pc.sent, (int)(pc.req_len - pc.sent));
            if (r <= 0) {
                int e = SSL_get_error(pc.ssl, r);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
                p_errors++;
                ERR_clear_error();
                pdown();
                return 0;
            }
            pc.sent += (size_t)r;
        }
        pc.state = P_READING;
    }
    if (pc.state == P_READING || pc.state == P_IDLE) {
        /* Edge-triggered: always read until WANT_READ, also past a completed response. */
        char buf[16384];
        int done = 0;
        for (;;) {
            ERR_clear_error();
            int r = SSL_read(pc.ssl, buf, sizeof buf);
            if (r > 0) {
                if (pc.state == P_IDLE) continue; /* unrequested bytes: ignored */
                if (pc.got < sizeof pc.head) {
                    size_t room = sizeof pc.head - pc.got;
                    memcpy(pc.head + pc.got, buf, (size_t)r < room ? (size_t)r : room);
                }
                pc.got += (size_t)r;
                if (pc.header_end < 0) pparse();
                if (pc.header_end >= 0 && pc.content_length >= 0 &&
                    (long)pc.got >= pc.header_end + pc.content_length) {
                    if (pc.status != 200) p_bad_status++;
                    pc.state = P_IDLE;
                    pc.req_len = 0;
                    done = 1;
                }
                continue;
            }
            int e = SSL_get_error(pc.ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return done;
            /* The server closed (or an error): reconnect; a request in flight is sent again. */
            ERR_clear_error();
            int resend = pc.state == P_READING;
            pdown();
            p_reconnects++;
            if (resend) {
                pc.sent = 0;
                pc.got = 0;
                pc.header_end = -1;
                pc.content_length = -1;
            }
            pconnect();
            return done;
        }
    }
    return 0;
}

/* Sends the request (connecting first if need be) and drives it as far as it goes; returns 1 if
 * its whole response was read already (a fast server, or this process descheduled meanwhile). */
static int psend(void) {
    pc.req_len = (size_t)snprintf(pc.req, sizeof pc.req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
    pc.sent = 0;
    pc.got = 0;
    pc.header_end = -1;
    pc.content_length = -1;
    pc.status = 0;
    if (pc.state == P_DOWN) pconnect();
    if (pc.state == P_IDLE) {
        pc.state = P_WRITING;
        return pdrive();
    }
    return 0;
}

/* Waits for events (at most timeout_ms); returns 1 when a response was completed. */
static int ppump(int timeout_ms) {
    struct epoll_event ev[4];
    int n = epoll_wait(epfd, ev, 4, timeout_ms);
    int done = 0;
    for (int i = 0; i < n; i++)
        if (pc.state != P_DOWN) done |= pdrive();
    /* Down with a request to send: reconnect, at most every 10 ms (a refused port fails at once). */
    static double next_try;
    if (pc.state == P_DOWN && pc.req_len > 0 && now() >= next_try) {
        next_try = now() + 0.01;
        pconnect();
    }
    return done;
}

/* Growable array of doubles. */
struct samples {
    double *v;
    size_t n, cap;
};

static void add_sample(struct samples *s, double x) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1 << 16;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v) die("realloc");
    }
    s->v[s->n++] = x;
}

/* A request that took `t` s while one was due every `interval` s: t itself, and (coordinated
 * omission, as HdrHistogram's recordValueWithExpectedInterval) the requests that would have been
 * sent meanwhile: t - interval, t - 2 interval, ... down to interval. */
static void add_corrected(struct samples *s, double t, double interval) {
    add_sample(s, t);
    for (double m = t - interval; m >= interval; m -= interval) add_sample(s, m);
}

static int run_probe(double interval, double duration) {
    pc.fd = -1;
    pc.state = P_DOWN;
    /* One unmeasured request: handshake and first response. */
    double t0 = now();
    int ok = psend();
    while (!ok && !stop_requested && now() < t0 + 30) {
        if (ppump(50)) {
            ok = 1;
            break;
        }
    }
    if (!ok) {
        printf("probe failed: no first response within 30 s errors=%ld\n", p_errors);
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    struct samples svc = {0}, lat = {0};
    double start = now(), due = start, sent_at = 0, service_max = 0, end = duration > 0 ? start + duration : 0;
    int busy = 0, skip_current = 0, seen_go = 0, unanswered = 0;
    long sent = 0, skipped = 0;
    p_bad_status = 0;
    for (;;) {
        double t = now();
        if (stop_requested || (end > 0 && t >= end)) break;
        if (go_signals != seen_go) {
            /* Start afresh; a request in flight is not counted. */
            seen_go = go_signals;
            svc.n = lat.n = 0;
            sent = skipped = 0;
            service_max = 0;
            p_bad_status = p_reconnects = p_errors = 0;
            start = t;
            due = t;
            skip_current = busy;
            if (end > 0) end = start + duration;
        }
        int answered = 0;
        if (!busy && t >= due) {
            sent++;
            sent_at = t;
            busy = 1;
            answered = psend();
        }
        int timeout = 100;
        if (!busy) {
            timeout = (int)((due - t) * 1000);
            if (timeout < 0) timeout = 0;
            if (timeout > 100) timeout = 100;
        }
        if (!answered) answered = ppump(timeout);
        if (answered && busy) {
            double r = now();
            busy = 0;
            /* The next request goes at the next slot of the schedule; slots that passed while this
             * one was out are skipped (one request at a time, like a health checker). */
            due += interval;
            while (due < r) {
                due += interval;
                if (!skip_current) skipped++;
            }
            if (skip_current) {
                skip_current = 0;
                continue;
            }
            add_sample(&svc, r - sent_at);
            add_corrected(&lat, r - sent_at, interval);
            if (r - sent_at > service_max) service_max = r - sent_at;
        }
    }
    double t_end = now();
    if (busy && !skip_current) {
        /* Still unanswered: it counts with its age so far (and so do the slots it held up). */
        unanswered = 1;
        if (t_end - sent_at > service_max) service_max = t_end - sent_at;
        add_corrected(&lat, t_end - sent_at, interval);
    }
    qsort(lat.v, lat.n, sizeof *lat.v, cmp_double);
    qsort(svc.v, svc.n, sizeof *svc.v, cmp_double);
    size_t over_50 = 0, svc_over_50 = 0;
    for (size_t i = 0; i < lat.n; i++) over_50 += lat.v[i] > 0.050;
    for (size_t i = 0; i < svc.n; i++) svc_over_50 += svc.v[i] > 0.050;
    printf("probe requests=%ld answered=%zu unanswered=%d slots_skipped=%ld seconds=%.2f slots=%.0f "
           "svc_p50_ms=%.2f svc_p99_ms=%.2f svc_max_ms=%.2f svc_over_50ms=%zu p50_ms=%.2f p99_ms=%.2f max_ms=%.2f "
           "over_50ms=%zu service_max_ms=%.2f bad_status=%ld reconnects=%ld errors=%ld\n",
           sent, svc.n, unanswered, skipped, t_end - start, (t_end - start) / interval, pct_ms(svc.v, svc.n, 0.5),
           pct_ms(svc.v, svc.n, 0.99), svc.n ? svc.v[svc.n - 1] * 1000 : 0.0, svc_over_50, pct_ms(lat.v, lat.n, 0.5),
           pct_ms(lat.v, lat.n, 0.99), lat.n ? lat.v[lat.n - 1] * 1000 : 0.0, over_50, service_max * 1000,
           p_bad_status, p_reconnects, p_errors);
    return 0;
}

static void usage(void) {
    fprintf(stderr,
            "usage: pipeline-flood --port P [--connections 150] [--bytes 62464] [--path /oauth/callback]\n"
            "                      [--concurrency 50] [--hold-seconds 10] [--close close|reset|fin]\n"
            "                      [--establish-timeout 60] [--pause-timeout 120]\n"
            "       pipeline-flood --probe --port P [--path /healthz] [--interval-ms 10] [--duration 0]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *close_mode = "close";
    int port = 0, n = 150, concurrency = 50, probe = 0;
    long bytes = 62464;
    double hold = 10, establish_timeout = 60, pause_timeout = 120, interval_ms = 10, duration = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--probe")) {
            probe = 1;
            continue;
        }
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--host")) host = v;
        else if (!strcmp(a, "--port")) port = atoi(v);
        else if (!strcmp(a, "--connections")) n = atoi(v);
        else if (!strcmp(a, "--bytes")) bytes = atol(v);
        else if (!strcmp(a, "--path")) path = v;
        else if (!strcmp(a, "--concurrency")) concurrency = atoi(v);
        else if (!strcmp(a, "--hold-seconds")) hold = atof(v);
        else if (!strcmp(a, "--close")) close_mode = v;
        else if (!strcmp(a, "--establish-timeout")) establish_timeout = atof(v);
        else if (!strcmp(a, "--pause-timeout")) pause_timeout = atof(v);
        else if (!strcmp(a, "--interval-ms")) interval_ms = atof(v);
        else if (!strcmp(a, "--duration")) duration = atof(v);
        else usage();
    }
    if (port <= 0 || port > 65535 || n <= 0 || bytes <= 0 || concurrency <= 0 || hold < 0 || interval_ms <= 0 ||
        duration < 0)
        usage();
    if (strcmp(close_mode, "close") && strcmp(close_mode, "reset") && strcmp(close_mode, "fin")) usage();
    if (!path) path = probe ? "/healthz" : "/oauth/callback";
    if (load_setup("pipeline-flood", host, port, &target, on_stop) != 0) return 2;
    signal(SIGUSR1, on_go);
    ctx = load_client_ctx();
    if (!ctx) return 1;
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) die("epoll_create1");
    if (probe) return run_probe(interval_ms / 1000, duration);
    return run_flood(n, (size_t)bytes, concurrency, hold, close_mode, establish_timeout, pause_timeout);
}
