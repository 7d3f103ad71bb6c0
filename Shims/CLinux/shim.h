/* Linux calls Swift cannot import cleanly: variadic syscall(2) and headers the Glibc module
 * leaves out. Each wrapper returns -1 with errno set, like the call it wraps. */
#ifndef BERTH_CLINUX_H
#define BERTH_CLINUX_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <signal.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/sysmacros.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static inline int berth_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

static inline int berth_pidfd_send_signal(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static inline int berth_epoll_add(int epfd, int fd) {
    struct epoll_event event = { .events = EPOLLIN, .data = { .fd = fd } };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

static inline int berth_epoll_del(int epfd, int fd) {
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* Waits for events and writes the ready descriptors to fds; returns their count. */
static inline int berth_epoll_wait_fds(int epfd, int *fds, int max, int timeout_ms) {
    struct epoll_event events[64];
    if (max > 64) max = 64;
    int count = epoll_wait(epfd, events, max, timeout_ms);
    for (int i = 0; i < count; i++) fds[i] = events[i].data.fd;
    return count;
}

static inline int berth_wait_status_exited(int status) { return WIFEXITED(status); }
static inline int berth_wait_status_code(int status) { return WEXITSTATUS(status); }
static inline int berth_wait_status_signaled(int status) { return WIFSIGNALED(status); }
static inline int berth_wait_status_signal(int status) { return WTERMSIG(status); }

static inline unsigned int berth_major(dev_t dev) { return major(dev); }
static inline unsigned int berth_minor(dev_t dev) { return minor(dev); }
static inline int berth_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }

/* Joins a namespace on the calling thread (setns is per thread for CLONE_NEWNET). */
static inline int berth_setns(int fd, int nstype) {
    return (int)syscall(SYS_setns, fd, nstype);
}

static inline int berth_open_path(const char *path) {
    return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

#endif
