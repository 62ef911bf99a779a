/*
 * zombie-load: the long-poll zombie attack for bench/run.sh (scenario `zombie`; oauth-landing only,
 * nginx has no long-poll). One thread, non-blocking sockets, one edge-triggered epoll loop.
 *
 *   zombie-load --port P --key K [--connections 3000] [--concurrency 64] [--prefix zombie]
 *               [--wait 60] [--close close|shutdown|fin|reset] [--timeout 120]
 *       Opens N TLS connections (full handshakes), at most --concurrency in flight at a time. Each
 *       sends one long-poll for an item nobody created, so it waits:
 *         "GET /v1/items/PREFIX-i HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer K\r\n"
 *         "Prefer: wait=W\r\n\r\n"
 *       and, as soon as SSL_write has taken the whole request, closes without reading anything:
 *         close     close()
 *         shutdown  shutdown(SHUT_RDWR), then close()
 *         fin       reads (and drops) what the server sends for 50 ms first (its TLS 1.3 session
 *                   tickets), then close(): a clean FIN, the server's socket goes to CLOSE-WAIT
 *         reset     SO_LINGER 0, then close(): an RST
 *       (no close_notify in any case). With close and shutdown Linux sends a FIN, but an RST
 *       instead when unread bytes (TLS 1.3 session tickets) already sit in the receive buffer
 *       (counted as with_unread=), and answers with an RST whatever arrives after the close,
 *       which is what the server's session tickets usually do: so those two mostly end in an RST.
 *       Exits right after the last close, printing one "done ..." line; run.sh takes its exit as
 *       the moment of the last close.
 *
 * Only a numeric IPv4 --host (default 127.0.0.1). Build:
 *   gcc -O2 -Wall -Wextra -o zombie-load zombie-load.c -lssl -lcrypto
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sockios.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "load-common.h"

enum state { FREE, CONNECTING, HANDSHAKE, WRITING, DRAINING, CLOSED, DEAD };

struct conn {
    int fd;
    SSL *ssl;
    enum state state;
    int index;
    size_t sent;
    double drain_until; /* fin: when to close */
};

#define DRAIN_SECONDS 0.05

static SSL_CTX *ctx;
static struct sockaddr_in target;
static int epfd;
static volatile sig_atomic_t stop_requested;
static const char *api_key = "", *prefix = "zombie", *close_mode = "close";
static int wait_seconds = 60;
static long closed, with_unread, err_connect, err_handshake, err_io;
static double first_close, last_close;

static void on_stop(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void drop(struct conn *c, long *kind, enum state end) {
    if (kind) (*kind)++;
    ERR_clear_error();
    if (c->ssl) SSL_free(c->ssl);
    c->ssl = NULL;
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->state = end;
}

/* The request is written: close the way --close says, without reading or close_notify. */
static void zombie_close(struct conn *c) {
    int q = 0;
    if (ioctl(c->fd, SIOCINQ, &q) == 0 && q > 0) with_unread++;
    if (!strcmp(close_mode, "shutdown")) {
        shutdown(c->fd, SHUT_RDWR);
    } else if (!strcmp(close_mode, "reset")) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    /* Close the socket first: SSL_free must not write anything (it does not: no SSL_shutdown). */
    close(c->fd);
    c->fd = -1;
    SSL_free(c->ssl);
    c->ssl = NULL;
    c->state = CLOSED;
    closed++;
    last_close = now();
    if (first_close == 0) first_close = last_close;
}

static void drive(struct conn *c) {
    if (c->state == CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            if (err == EINPROGRESS || err == EALREADY) return;
            drop(c, &err_connect, DEAD);
            return;
        }
        c->ssl = load_tls_client(ctx, c->fd);
        if (!c->ssl) {
            drop(c, &err_handshake, DEAD);
            return;
        }
        c->state = HANDSHAKE;
    }
    if (c->state == HANDSHAKE) {
        int r = load_tls_handshake(c->ssl);
        if (r == 0) return;
        if (r < 0) {
            drop(c, &err_handshake, DEAD);
            return;
        }
        c->state = WRITING;
    }
    if (c->state == WRITING) {
        char req[512];
        int n = snprintf(req, sizeof req,
                         "GET /v1/items/%s-%d HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                         "Prefer: wait=%d\r\n\r\n",
                         prefix, c->index + 1, api_key, wait_seconds);
        if (n <= 0 || (size_t)n >= sizeof req) {
            fprintf(stderr, "zombie-load: request too long\n");
            exit(2);
        }
        while (c->sent < (size_t)n) {
            ERR_clear_error();
            int r = SSL_write(c->ssl, req + c->sent, n - (int)c->sent);
            if (r <= 0) {
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
                drop(c, &err_io, DEAD);
                return;
            }
            c->sent += (size_t)r;
        }
        if (strcmp(close_mode, "fin")) {
            zombie_close(c);
            return;
        }
        c->state = DRAINING;
        c->drain_until = now() + DRAIN_SECONDS;
    }
    if (c->state == DRAINING) {
        /* Read whatever comes (session tickets; nothing of the response, which waits) and drop it. */
        char buf[4096];
        for (;;) {
            ERR_clear_error();
            int r = SSL_read(c->ssl, buf, sizeof buf);
            if (r > 0) continue;
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
            drop(c, &err_io, DEAD);
            return;
        }
        if (now() >= c->drain_until) zombie_close(c);
    }
}

static void usage(void) {
    fprintf(stderr, "usage: zombie-load --port P --key K [--connections 3000] [--concurrency 64] [--prefix zombie]\n"
                    "                   [--wait 60] [--close close|shutdown|fin|reset] [--timeout 120]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 0, n = 3000, concurrency = 64;
    double timeout = 120;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--host")) host = v;
        else if (!strcmp(a, "--port")) port = atoi(v);
        else if (!strcmp(a, "--key")) api_key = v;
        else if (!strcmp(a, "--connections")) n = atoi(v);
        else if (!strcmp(a, "--concurrency")) concurrency = atoi(v);
        else if (!strcmp(a, "--prefix")) prefix = v;
        else if (!strcmp(a, "--wait")) wait_seconds = atoi(v);
        else if (!strcmp(a, "--close")) close_mode = v;
        else if (!strcmp(a, "--timeout")) timeout = atof(v);
        else usage();
    }
    if (port <= 0 || port > 65535 || n <= 0 || concurrency <= 0 || wait_seconds <= 0 || timeout <= 0) usage();
    if (strcmp(close_mode, "close") && strcmp(close_mode, "shutdown") && strcmp(close_mode, "fin") &&
        strcmp(close_mode, "reset"))
        usage();
    if (load_setup("zombie-load", host, port, &target, on_stop) != 0) return 2;
    ctx = load_client_ctx();
    if (!ctx) return 1;
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) {
        perror("epoll_create1");
        return 1;
    }
    struct conn *conns = calloc((size_t)n, sizeof *conns);
    if (!conns) {
        perror("calloc");
        return 1;
    }
    static struct epoll_event events[1024];
    double t0 = now(), give_up = t0 + timeout;
    int next = 0;
    for (;;) {
        int in_flight = 0;
        for (int i = 0; i < next; i++) in_flight += conns[i].state == CONNECTING || conns[i].state == HANDSHAKE ||
                                                   conns[i].state == WRITING || conns[i].state == DRAINING;
        while (next < n && in_flight < concurrency) {
            struct conn *c = &conns[next];
            c->index = next++;
            int fd;
            int rc = load_connect(&target, epfd, c, &fd);
            c->fd = fd;
            if (rc != 0) {
                if (rc == -2) close(fd);
                c->fd = -1;
                err_connect++;
                c->state = DEAD;
                continue;
            }
            c->state = CONNECTING;
            in_flight++;
        }
        if ((next >= n && in_flight == 0) || stop_requested || now() >= give_up) break;
        int k = epoll_wait(epfd, events, 1024, strcmp(close_mode, "fin") ? 50 : 5);
        for (int i = 0; i < k; i++) {
            struct conn *c = events[i].data.ptr;
            if (c->state == CONNECTING || c->state == HANDSHAKE || c->state == WRITING || c->state == DRAINING) drive(c);
        }
        /* fin: the drains that are due (no event comes for them). */
        double t = now();
        for (int i = 0; i < next; i++)
            if (conns[i].state == DRAINING && t >= conns[i].drain_until) drive(&conns[i]);
    }
    long unfinished = 0;
    for (int i = 0; i < n; i++) {
        if (conns[i].state == CONNECTING || conns[i].state == HANDSHAKE || conns[i].state == WRITING ||
            conns[i].state == DRAINING) {
            unfinished++;
            drop(&conns[i], NULL, DEAD);
        }
    }
    double t = now();
    printf("done connections=%d closed=%ld mode=%s with_unread=%ld errors=%ld err_connect=%ld err_handshake=%ld "
           "err_io=%ld unfinished=%ld seconds=%.2f close_span_s=%.2f rate=%.1f\n",
           n, closed, close_mode, with_unread, err_connect + err_handshake + err_io, err_connect, err_handshake, err_io,
           unfinished, t - t0, closed ? last_close - first_close : 0.0, closed / (t - t0));
    return 0;
}
