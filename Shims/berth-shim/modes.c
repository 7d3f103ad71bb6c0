/* The three modes. Each opens everything it can before fork; the children run system
 * calls only and send a failure back over a close-on-exec pipe (EOF means success). */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <grp.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static struct ns_rec *find_ns(struct plan *p, int flag) {
    for (size_t i = 0; i < p->nns; i++)
        if (p->ns[i].flag == flag) return &p->ns[i];
    return NULL;
}

static int open_namespaces(struct plan *p) {
    for (size_t i = 0; i < p->nns; i++) {
        if (!p->ns[i].path) continue;
        p->ns[i].fd = open(p->ns[i].path, O_RDONLY | O_CLOEXEC);
        if (p->ns[i].fd < 0) return fail("open namespace", p->ns[i].path);
    }
    return 0;
}

static int open_cgroup(struct plan *p) {
    if (!p->cgroup) return 0;
    char *procs = concat3(p->cgroup, "/cgroup.procs", "");
    if (!procs) return fail("open cgroup", p->cgroup);
    p->cgroup_fd = open(procs, O_WRONLY | O_CLOEXEC);
    p->cgroup_dir_fd = open(p->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = p->cgroup_fd < 0 ? fail("open", procs) : 0;
    free(procs);
    return rc;
}

/* Set in a child that clone3 already placed in the plan's cgroup. */
static int born_in_cgroup;

static int join_cgroup(struct plan *p) {
    if (born_in_cgroup) return 0;
    if (p->cgroup_fd >= 0 && write(p->cgroup_fd, "0", 1) != 1) return fail("join cgroup", p->cgroup);
    return 0;
}

/* struct clone_args of <linux/sched.h>, which clashes with glibc's <sched.h>. */
struct berth_clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
        cgroup;
};

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* fork(), with the child born in the plan's cgroup when there is one: moving a process into a
 * cgroup afterwards waits for an RCU grace period (about 10 ms), being born there does not.
 * Falls back to fork() (and a later join) where clone3 cannot do it. */
static pid_t fork_into_cgroup(struct plan *p) {
    if (p->cgroup_dir_fd >= 0) {
        struct berth_clone_args args = {.flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD,
                                        .cgroup = (uint64_t)p->cgroup_dir_fd};
        long pid = syscall(SYS_clone3, &args, sizeof args);
        if (pid >= 0) {
            if (pid == 0) born_in_cgroup = 1;
            return (pid_t)pid;
        }
    }
    return fork();
}

/* Joins the namespaces with paths among `flags`, in the order given. */
static int join_namespaces(struct plan *p, const int *order, size_t count) {
    for (size_t i = 0; i < count; i++) {
        struct ns_rec *n = find_ns(p, order[i]);
        if (n && n->fd >= 0 && setns(n->fd, n->flag) != 0) return fail("setns", n->kind);
    }
    return 0;
}

/* The new namespaces among `mask`. */
static int new_namespaces(struct plan *p, int mask) {
    int flags = 0;
    for (size_t i = 0; i < p->nns; i++)
        if (!p->ns[i].path && (p->ns[i].flag & mask)) flags |= p->ns[i].flag;
    return flags;
}

static void reset_signals(void) {
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static int write_hostname_sysctls(struct plan *p) {
    if (p->hostname && sethostname(p->hostname, strlen(p->hostname)) != 0) return fail("sethostname", p->hostname);
    for (size_t i = 0; i < p->nsysctls; i++)
        if (write_file(p->sysctls[i].proc_path, p->sysctls[i].value) != 0) return fail("sysctl", p->sysctls[i].path);
    return 0;
}

static _Noreturn void child_failed(int errfd) {
    send_failure(errfd);
    _exit(127);
}

static int wait_status(pid_t pid) {
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return 125;
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* ---- infra ---- */

static void infra_noop(int sig) { (void)sig; }

/* Ids inside a new user namespace: 0 when the map covers it, so the pod's processes are
 * its root and own its namespaces' files; the supplementary groups are dropped. */
static int become_mapped_root(struct plan *p) {
    int uid0 = 0, gid0 = 0;
    for (size_t i = 0; i < p->nuid_maps; i++) uid0 |= p->uid_maps[i].container == 0;
    for (size_t i = 0; i < p->ngid_maps; i++) gid0 |= p->gid_maps[i].container == 0;
    if (gid0 && setresgid(0, 0, 0) != 0) return fail("setresgid", "0");
    if (gid0 && setgroups(0, NULL) != 0) return fail("setgroups", NULL);
    if (uid0 && setresuid(0, 0, 0) != 0) return fail("setresuid", "0");
    return 0;
}

/* A new network namespace starts with its loopback down. The pod's containers share it and
 * reach each other on 127.0.0.1 with or without a CNI network (whose loopback plugin then
 * finds it up already). */
static int loopback_up(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail("socket", "lo");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, "lo", 3);
    int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
    if (rc == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return rc == 0 ? 0 : fail("set up", "lo");
}

/* `go` (or -1): with a new user namespace, the read end of the pipe on which the parent
 * says that the id maps are written; `flags` are the namespaces still to unshare then,
 * so they belong to the user namespace. */
static _Noreturn void infra_child(struct plan *p, int errfd, int go, int flags) {
    if (setsid() < 0) fail("setsid", NULL), child_failed(errfd);
    /* Before a new cgroup namespace, whose root would not contain the pod's cgroup. */
    if (join_cgroup(p) != 0) child_failed(errfd);
    if (go >= 0) {
        char byte;
        ssize_t n;
        while ((n = read(go, &byte, 1)) < 0 && errno == EINTR) {}
        if (n != 1) _exit(127);  /* the parent failed and reports it */
        close(go);
        if (flags && unshare(flags) != 0) fail("unshare", "namespaces"), child_failed(errfd);
        if (become_mapped_root(p) != 0) child_failed(errfd);
    }
    if (write_hostname_sysctls(p) != 0) child_failed(errfd);
    if (new_namespaces(p, CLONE_NEWNET) && loopback_up() != 0) child_failed(errfd);
    /* In a user namespace of its own the child may not lower it: the shim did. */
    if (go < 0 && p->has_oom && write_oom_score_adj(p->oom_score_adj) != 0) child_failed(errfd);
    if (chdir("/") != 0) fail("chdir", "/"), child_failed(errfd);
    /* As PID 1 only signals with a handler are delivered: handle the ones we act on,
     * ignore the rest. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, noop = {.sa_handler = infra_noop};
    for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &ign, NULL);
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGCHLD);
    sigaddset(&wanted, SIGTERM);
    sigaddset(&wanted, SIGINT);
    sigaction(SIGCHLD, &noop, NULL);
    sigaction(SIGTERM, &noop, NULL);
    sigaction(SIGINT, &noop, NULL);
    sigprocmask(SIG_SETMASK, &wanted, NULL);
    if (cap_set_proc(p->caps) != 0) fail("capset", NULL), child_failed(errfd);
    /* Closing every fd, the failure pipe included, tells the parent we are ready. */
    close_range(0, ~0U, 0);
    for (;;) {
        int sig = sigwaitinfo(&wanted, NULL);
        if (sig == SIGTERM || sig == SIGINT) _exit(0);
        while (waitpid(-1, NULL, WNOHANG) > 0) {}
    }
}

/* Writes /proc/<pid>/<file> (uid_map, gid_map) from the parent: as root in the parent
 * user namespace any map may be written, and setgroups stays allowed. */
static int write_map(pid_t pid, const char *file, const char *text) {
    if (!text) return 0;
    char path[64], digits[24];
    digits[23] = '\0';
    size_t at = append(path, sizeof path, 0, "/proc/");
    at = append(path, sizeof path, at, fmt_u64(digits + 23, (unsigned long long)pid));
    at = append(path, sizeof path, at, "/");
    append(path, sizeof path, at, file);
    return write_file(path, text) == 0 ? 0 : fail("write", file);
}

int mode_infra(struct plan *p) {
    static const int order[] = {CLONE_NEWUSER, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWCGROUP,
                                CLONE_NEWPID, CLONE_NEWNS};
    if (prepare_security(p) != 0 || open_namespaces(p) != 0 || open_cgroup(p) != 0) return -1;
    if (join_namespaces(p, order, sizeof order / sizeof order[0]) != 0) return -1;
    int flags = new_namespaces(p, ~0);
    /* A new user namespace comes first, with the child (and a new PID namespace with it,
     * so the child is its PID 1); the parent writes its maps, then the child unshares the
     * rest, which the user namespace then owns. */
    int user = (flags & CLONE_NEWUSER) != 0;
    int clone_flags = user ? CLONE_NEWUSER | (flags & CLONE_NEWPID) : 0;
    flags &= ~clone_flags;
    if (!user && flags && unshare(flags) != 0) return fail("unshare", "namespaces");
    /* Inherited: inside its own user namespace the child could not lower it. */
    if (user && p->has_oom && write_oom_score_adj(p->oom_score_adj) != 0) return -1;
    char *state_tmp = p->state_file ? concat3(p->state_file, ".tmp", "") : NULL;
    int errpipe[2], go[2] = {-1, -1};
    if (pipe2(errpipe, O_CLOEXEC) != 0) return fail("pipe", NULL);
    if (user && pipe2(go, O_CLOEXEC) != 0) return fail("pipe", NULL);
    /* A raw clone is fork with namespace flags; the child makes system calls only. */
    pid_t pid = user ? (pid_t)syscall(SYS_clone, (unsigned long)(clone_flags | SIGCHLD), NULL, NULL, NULL, NULL)
                     : fork_into_cgroup(p);
    if (pid < 0) return fail(user ? "clone" : "fork", "infra");
    if (pid == 0) {
        if (user) close(go[1]);
        infra_child(p, errpipe[1], go[0], user ? flags : 0);
    }
    close(errpipe[1]);
    if (user) {
        close(go[0]);
        if (write_map(pid, "uid_map", p->uid_map_text) != 0 || write_map(pid, "gid_map", p->gid_map_text) != 0 ||
            write_all(go[1], "g", 1) != 0) {
            struct failure saved = last_failure;
            kill(pid, SIGKILL);
            wait_status(pid);
            last_failure = saved;
            return -1;
        }
        close(go[1]);
    }
    struct failure f;
    if (receive_failure(errpipe[0], &f)) {
        last_failure = f;
        wait_status(pid);
        return -1;
    }
    if (p->state_file) {
        char text[32] = "infra ", digits[24];
        digits[23] = '\0';
        size_t at = append(text, sizeof text, 6, fmt_u64(digits + 23, (unsigned long long)pid));
        append(text, sizeof text, at, "\n");
        if (atomic_write(p->state_file, state_tmp, text, strlen(text)) != 0) {
            fail("write state file", p->state_file);
            kill(pid, SIGKILL);
            wait_status(pid);
            return -1;
        }
    }
    report_ok(pid, 0);
    return 0;
}

/* ---- run ---- */

struct run_fds {
    int in, out, err;     /* the container's stdio */
    int slave;            /* pty slave or -1 */
    int errpipe[2];
};

/* Joins the user namespace the plan names, if any: done last, once everything that needs
 * root in the initial user namespace is done (mounts, rlimits above the hard limit,
 * oom-score-adj), and before the ids, capabilities and seccomp, which then apply inside it. */
static int join_user_namespace(struct plan *p) {
    static const int order[] = {CLONE_NEWUSER};
    return join_namespaces(p, order, 1);
}

static _Noreturn void container_child(struct plan *p, struct run_fds *f) {
    static const int order[] = {CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWCGROUP};
    int errfd = f->errpipe[1];
    reset_signals();
    if (setsid() < 0) fail("setsid", NULL), child_failed(errfd);
    if (join_cgroup(p) != 0) child_failed(errfd);
    if (join_namespaces(p, order, sizeof order / sizeof order[0]) != 0) child_failed(errfd);
    /* The mount namespace is made as root of the initial user namespace, which owns it:
     * the root overlay (with its trusted.* xattrs), proc, sysfs and the binds all work as
     * for a container without a user namespace. */
    int flags = CLONE_NEWNS | new_namespaces(p, CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP);
    if (unshare(flags) != 0) fail("unshare", "namespaces"), child_failed(errfd);
    if (prepare_root(p) != 0) child_failed(errfd);
    /* Before pivot_root: the host's /proc/sys answers for our namespaces and is never
     * among the container's read-only paths. */
    if (write_hostname_sysctls(p) != 0) child_failed(errfd);
    if (enter_root(p) != 0) child_failed(errfd);
    if (apply_limits(p) != 0 || join_user_namespace(p) != 0 || apply_security(p) != 0) child_failed(errfd);
    if (chdir(p->cwd) != 0) fail("chdir", p->cwd), child_failed(errfd);
    if (apply_late_seccomp(p) != 0) child_failed(errfd);
    if (f->slave >= 0 && ioctl(f->slave, TIOCSCTTY, 0) != 0) fail("set controlling terminal", NULL), child_failed(errfd);
    if (dup2(f->in, 0) < 0 || dup2(f->out, 1) < 0 || dup2(f->err, 2) < 0) fail("dup2", "stdio"), child_failed(errfd);
    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    exec_process(p);
    child_failed(errfd);
}

static int open_log(const char *path) {
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

static int write_run_state(struct plan *p, const char *tmp, pid_t init, int64_t started) {
    if (!p->state_file) return 0;
    char text[128], digits[24];
    digits[23] = '\0';
    size_t at = append(text, sizeof text, 0, "init ");
    at = append(text, sizeof text, at, fmt_u64(digits + 23, (unsigned long long)init));
    at = append(text, sizeof text, at, "\nmonitor ");
    at = append(text, sizeof text, at, fmt_u64(digits + 23, (unsigned long long)getpid()));
    at = append(text, sizeof text, at, "\nstarted ");
    at = append(text, sizeof text, at, fmt_u64(digits + 23, (unsigned long long)started));
    at = append(text, sizeof text, at, "\n");
    if (atomic_write(p->state_file, tmp, text, at) != 0) return fail("write state file", p->state_file);
    return 0;
}

/* The monitor: owns the container's pid namespace setup, forks the container, reports. */
static _Noreturn void monitor(struct plan *p, struct run_fds *f, struct monitor_io *io, const char *state_tmp) {
    if (setsid() < 0) fail("setsid", NULL), report_failure(&last_failure), _exit(1);
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) fail("subreaper", NULL), report_failure(&last_failure), _exit(1);
    struct ns_rec *pidns = find_ns(p, CLONE_NEWPID);
    if (pidns && pidns->fd >= 0 && setns(pidns->fd, CLONE_NEWPID) != 0)
        fail("setns", "pid"), report_failure(&last_failure), _exit(1);
    if (pidns && !pidns->path && unshare(CLONE_NEWPID) != 0)
        fail("unshare", "pid"), report_failure(&last_failure), _exit(1);
    /* Blocked before the container exists so no SIGCHLD is lost; read from a signalfd. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    pid_t child = fork_into_cgroup(p);
    if (child < 0) fail("fork", "container"), report_failure(&last_failure), _exit(1);
    if (child == 0) container_child(p, f);
    close(f->errpipe[1]);
    /* The pty slave stays open here until the init exits: output written just before
     * the init (the session leader) exits must still be readable from the master. */
    if (f->slave >= 0) io->slave_keep = f->slave;
    else {
        close(f->out);
        close(f->err);
        if (p->stdin_open) close(f->in);
    }
    struct failure failure;
    if (receive_failure(f->errpipe[0], &failure)) {
        report_failure(&failure);
        wait_status(child);
        _exit(1);
    }
    close(f->errpipe[0]);
    int64_t started = now_nanos();
    if (write_run_state(p, state_tmp, child, started) != 0) {
        report_failure(&last_failure);
        kill(child, SIGKILL);
        wait_status(child);
        _exit(1);
    }
    /* Listening before the start is reported: an Attach right after it finds the socket. */
    if (p->attach && attach_listen(p->attach) != 0) {
        fail("listen on attach socket", p->attach);
        report_failure(&last_failure);
        kill(child, SIGKILL);
        wait_status(child);
        _exit(1);
    }
    report_ok(child, getpid());
    report_close();
    /* Hold nothing of the caller's: no stdio, no working directory. */
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        close(null);
    }
    if (chdir("/") != 0) {}
    _exit(run_monitor(p, io, child, started));
}

int mode_run(struct plan *p) {
    if (prepare_security(p) != 0 || prepare_exec(p) != 0 || open_namespaces(p) != 0 || open_cgroup(p) != 0)
        return -1;
    struct run_fds f = {.in = -1, .out = -1, .err = -1, .slave = -1};
    struct monitor_io io = {.out_fd = -1, .err_fd = -1, .log_fd = -1, .stdin_keep = -1, .slave_keep = -1};
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0) return fail("open", "/dev/null");
    if (p->log && (io.log_fd = open_log(p->log)) < 0) return fail("open log", p->log);
    if (p->tty) {
        int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        char name[128];
        if (master < 0) return fail("open pty", NULL);
        if (grantpt(master) != 0 || unlockpt(master) != 0 || ptsname_r(master, name, sizeof name) != 0)
            return fail("prepare pty", NULL);
        if ((f.slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) return fail("open pty", name);
        f.in = f.out = f.err = f.slave;
        io.out_fd = master;
        if (p->stdin_open) io.stdin_keep = master;
    } else {
        int out[2], err[2], in[2];
        if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return fail("pipe", "stdio");
        io.out_fd = out[0];
        io.err_fd = err[0];
        f.out = out[1];
        f.err = err[1];
        f.in = null;
        if (p->stdin_open) {
            if (pipe2(in, O_CLOEXEC) != 0) return fail("pipe", "stdin");
            f.in = in[0];
            io.stdin_keep = in[1];
        }
    }
    if (p->exit_file && !(io.exit_tmp = concat3(p->exit_file, ".tmp", ""))) return fail("prepare", p->exit_file);
    char *state_tmp = p->state_file ? concat3(p->state_file, ".tmp", "") : NULL;
    if (pipe2(f.errpipe, O_CLOEXEC) != 0) return fail("pipe", NULL);
    pid_t pid = fork();
    if (pid < 0) return fail("fork", "monitor");
    if (pid == 0) monitor(p, &f, &io, state_tmp);
    /* The monitor reports on fd 3; this process only needs reaping. */
    _exit(0);
}

/* ---- exec ---- */

static _Noreturn void exec_child(struct plan *p, int errfd) {
    reset_signals();
    /* In the container's cgroup (already, when clone3 placed it there), then its cgroup
     * namespace: the shim joined every other namespace before forking. */
    struct ns_rec *cgroupns = find_ns(p, CLONE_NEWCGROUP);
    if (join_cgroup(p) != 0) child_failed(errfd);
    if (cgroupns && cgroupns->fd >= 0 && setns(cgroupns->fd, CLONE_NEWCGROUP) != 0)
        fail("setns", cgroupns->kind), child_failed(errfd);
    /* Its own process group, so the whole group can be killed on a timeout. */
    if (setsid() < 0) fail("setsid", NULL), child_failed(errfd);
    if (p->tty && exec_tty_child(&exec_term) != 0) child_failed(errfd);
    if (apply_limits(p) != 0 || join_user_namespace(p) != 0 || apply_security(p) != 0) child_failed(errfd);
    if (chdir(p->cwd) != 0) fail("chdir", p->cwd), child_failed(errfd);
    if (apply_late_seccomp(p) != 0) child_failed(errfd);
    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    exec_process(p);
    child_failed(errfd);
}

int mode_exec(struct plan *p) {
    /* The user namespace is joined last, in the child: joining the mount namespace needs
     * privilege over its owner, the initial user namespace. The cgroup namespace too, once the
     * child is in the container's cgroup. */
    static const int order[] = {CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET,
                                CLONE_NEWPID, CLONE_NEWNS};
    if (p->tty && exec_tty_open(&exec_term) != 0) return -1;
    if (prepare_security(p) != 0 || prepare_exec(p) != 0 || open_namespaces(p) != 0 || open_cgroup(p) != 0)
        return -1;
    if (join_namespaces(p, order, sizeof order / sizeof order[0]) != 0) return -1;
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) != 0) return fail("pipe", NULL);
    pid_t pid = fork_into_cgroup(p);
    if (pid < 0) return fail("fork", "exec");
    if (pid == 0) exec_child(p, errpipe[1]);
    close(errpipe[1]);
    struct failure f;
    if (receive_failure(errpipe[0], &f)) {
        last_failure = f;
        wait_status(pid);
        return -1;
    }
    report_ok(pid, 0);
    report_close();
    exit(p->tty ? exec_tty_relay(&exec_term, pid) : wait_status(pid));
}
