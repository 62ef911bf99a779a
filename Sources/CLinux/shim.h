// Linux calls that Swift's Glibc module does not expose: epoll, eventfd, accept4, signal masks,
// CPU affinity. Only declarations and tiny inline wrappers live here.
#ifndef LANDING_CLINUX_SHIM_H
#define LANDING_CLINUX_SHIM_H
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <pthread.h>
#include <sched.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/random.h>

// why: accept4 is declared only under _GNU_SOURCE, and defining that here changes glibc's
// struct layouts (fd_set) against the other modules; declare the one prototype instead.
extern int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

static inline int landing_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
    return accept4(fd, addr, len, flags);
}
static inline int landing_SOCK_NONBLOCK(void) { return SOCK_NONBLOCK; }
static inline int landing_SOCK_CLOEXEC(void) { return SOCK_CLOEXEC; }
static inline int landing_errno(void) { return errno; }

/// Blocks `signo` in the calling thread's mask (threads created afterwards inherit it).
static inline int landing_block_signals(const int *signals, int count) {
    sigset_t set; sigemptyset(&set);
    for (int i = 0; i < count; i++) sigaddset(&set, signals[i]);
    return pthread_sigmask(SIG_BLOCK, &set, NULL);
}
/// Waits for one of `signals` (which must be blocked); returns the signal number or -1.
static inline int landing_wait_signal(const int *signals, int count) {
    sigset_t set; sigemptyset(&set);
    for (int i = 0; i < count; i++) sigaddset(&set, signals[i]);
    int sig = 0;
    int rc = sigwait(&set, &sig);
    return rc == 0 ? sig : -1;
}
#endif
