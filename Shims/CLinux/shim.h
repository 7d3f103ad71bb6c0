/* Linux calls Swift cannot import cleanly: variadic syscall(2) and headers the Glibc module
 * leaves out. Each wrapper returns -1 with errno set, like the call it wraps. */
#ifndef BERTH_CLINUX_H
#define BERTH_CLINUX_H

/* No _GNU_SOURCE here: it changes how glibc spells struct fields (fd_set's), and a module that
 * sees them differently from the others (COpenSSL) clashes with them when both are imported.
 * The GNU-only calls go through syscall(2) instead. */

#include <signal.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/sysmacros.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <string.h>
#include <linux/bpf.h>

#ifndef O_PATH
#define O_PATH 010000000
#endif

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
static inline int berth_pipe2(int fds[2], int flags) { return (int)syscall(SYS_pipe2, fds, flags); }

/* Joins a namespace on the calling thread (setns is per thread for CLONE_NEWNET). */
static inline int berth_setns(int fd, int nstype) {
    return (int)syscall(SYS_setns, fd, nstype);
}

static inline int berth_open_path(const char *path) {
    return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* Loads a BPF_PROG_TYPE_CGROUP_DEVICE program of count instructions; returns its fd. With a
 * log buffer the verifier writes what it found there. */
static inline int berth_bpf_prog_load_cgroup_device(const void *insns, unsigned count, char *log, unsigned log_size) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (__u64)(unsigned long)insns;
    attr.insn_cnt = count;
    attr.license = (__u64)(unsigned long)"Apache";
    if (log != NULL && log_size > 0) {
        log[0] = 0;
        attr.log_buf = (__u64)(unsigned long)log;
        attr.log_size = log_size;
        attr.log_level = 1;
    }
    return (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
}

/* Attaches a device program to a cgroup (an fd of its directory), next to any others. */
static inline int berth_bpf_prog_attach(int prog_fd, int cgroup_fd, unsigned flags) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (__u32)cgroup_fd;
    attr.attach_bpf_fd = (__u32)prog_fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = flags;
    return (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr));
}

static inline unsigned berth_bpf_f_allow_multi(void) { return BPF_F_ALLOW_MULTI; }

#endif
