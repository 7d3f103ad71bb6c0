/* Process attributes: limits, the security sequence (no_new_privs, seccomp, capability
 * sets, user and groups) and exec. Everything that allocates is prepared before fork;
 * what runs in the child is system calls. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static void set_flags(cap_t caps, cap_flag_t flag, uint64_t mask, int last) {
    for (int cap = 0; cap <= last && cap < 64; cap++) {
        if (!(mask & (1ULL << cap))) continue;
        cap_value_t value = cap;
        cap_set_flag(caps, flag, 1, &value, CAP_SET);
    }
}

static int read_last_cap(void) {
    char buf[16] = {0};
    int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return CAP_LAST_CAP;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return CAP_LAST_CAP;
    return atoi(buf);
}

int prepare_security(struct plan *p) {
    p->last_cap = read_last_cap();
    p->caps = cap_init();
    if (!p->caps) return fail("cap_init", NULL);
    if (p->has_caps) {
        set_flags(p->caps, CAP_EFFECTIVE, p->cap_effective, p->last_cap);
        set_flags(p->caps, CAP_PERMITTED, p->cap_permitted, p->last_cap);
        set_flags(p->caps, CAP_INHERITABLE, p->cap_inheritable, p->last_cap);
    }
    return 0;
}

int write_oom_score_adj(int value) {
    char text[16];
    char *s = text + sizeof text;
    *--s = '\0';
    s = fmt_u64(s, (unsigned long long)(value < 0 ? -value : value));
    if (value < 0) *--s = '-';
    if (write_file("/proc/self/oom_score_adj", s) == 0) return 0;
    /* Lowering below what this process may set is refused: keep the current value. */
    if (errno == EACCES || errno == EPERM) return 0;
    return fail("oom-score-adj", s);
}

int apply_limits(struct plan *p) {
    for (size_t i = 0; i < p->nrlimits; i++) {
        struct rlimit limit = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
        if (setrlimit(p->rlimits[i].resource, &limit) != 0) return fail_num("setrlimit", (unsigned)p->rlimits[i].resource);
    }
    if (p->has_oom && write_oom_score_adj(p->oom_score_adj) != 0) return -1;
    return 0;
}

static int load_seccomp(struct plan *p) {
    struct sock_fprog prog = {
        .len = (unsigned short)(p->seccomp_len / sizeof(struct sock_filter)),
        .filter = (struct sock_filter *)(uintptr_t)p->seccomp,
    };
    if (p->seccomp_len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
        errno = E2BIG;
        return fail("seccomp", NULL);
    }
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return fail("seccomp", NULL);
    return 0;
}

int apply_security(struct plan *p) {
    if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail("no_new_privs", NULL);
    /* Without no_new_privs loading a filter needs CAP_SYS_ADMIN: load it while privileged. */
    if (p->seccomp && !p->no_new_privs && load_seccomp(p) != 0) return -1;
    if (p->has_caps) {
        for (int cap = 0; cap <= p->last_cap; cap++) {
            if (cap < 64 && (p->cap_bounding & (1ULL << cap))) continue;
            if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
                return fail_num("drop bounding capability", (unsigned)cap);
        }
        /* Keep the permitted set across the uid change; capset below trims it. */
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return fail("keepcaps", NULL);
    }
    if (p->has_user) {
        if (setgroups(p->ngroups, p->groups) != 0) return fail("setgroups", NULL);
        if (setresgid(p->gid, p->gid, p->gid) != 0) return fail_num("setresgid", p->gid);
        if (setresuid(p->uid, p->uid, p->uid) != 0) return fail_num("setresuid", p->uid);
    }
    if (p->has_caps) {
        if (cap_set_proc(p->caps) != 0) return fail("capset", NULL);
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
            return fail("clear ambient capabilities", NULL);
        for (int cap = 0; cap <= p->last_cap && cap < 64; cap++) {
            if (!(p->cap_ambient & (1ULL << cap))) continue;
            if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
                return fail_num("raise ambient capability", (unsigned)cap);
        }
    }
    return 0;
}

int apply_late_seccomp(struct plan *p) {
    if (p->seccomp && p->no_new_privs) return load_seccomp(p);
    return 0;
}

int drop_all_caps(void) {
    cap_t none = cap_init();
    if (!none) return fail("cap_init", NULL);
    int rc = cap_set_proc(none);
    cap_free(none);
    return rc == 0 ? 0 : fail("capset", NULL);
}

/* Candidate paths for args[0]: itself when it has a slash, else each PATH entry from the
 * plan's environment. Tried in order at exec time, inside the container. */
int prepare_exec(struct plan *p) {
    const char *name = p->args[0];
    size_t count = 0;
    if (strchr(name, '/')) {
        p->exec_candidates = calloc(2, sizeof(char *));
        if (!p->exec_candidates) return fail("prepare exec", name);
        p->exec_candidates[0] = (char *)name;
        return 0;
    }
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (size_t i = 0; i < p->nenv; i++)
        if (!strncmp(p->env[i], "PATH=", 5)) path = p->env[i] + 5;
    for (const char *s = path; *s; s++) count += *s == ':';
    p->exec_candidates = calloc(count + 2, sizeof(char *));
    if (!p->exec_candidates) return fail("prepare exec", name);
    size_t n = 0;
    const char *start = path;
    for (;;) {
        const char *end = strchr(start, ':');
        size_t len = end ? (size_t)(end - start) : strlen(start);
        char dir[4096];
        if (len == 0) {
            dir[0] = '.';
            len = 1;
        } else if (len < sizeof dir) {
            memcpy(dir, start, len);
        } else {
            len = 0;
        }
        if (len) {
            dir[len] = '\0';
            if (!(p->exec_candidates[n++] = concat3(dir, "/", name))) return fail("prepare exec", name);
        }
        if (!end) break;
        start = end + 1;
    }
    return 0;
}

void exec_process(struct plan *p) {
    int seen_eacces = 0;
    for (char **c = p->exec_candidates; *c; c++) {
        execve(*c, p->args, p->env);
        if (errno == EACCES) seen_eacces = 1;
        else if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP) break;
    }
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) errno = seen_eacces ? EACCES : ENOENT;
    fail("exec", p->args[0]);
}
