/* The plan file parser. The file is mapped privately and values are terminated in
 * place, so records point into the mapping and nothing is copied. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_RECORD (16u << 20)
#define MAX_PLAN (64u << 20)
#define MAX_FIELDS 9

static int plan_error(size_t line, const char *fmt, const char *arg) {
    char reason[300];
    snprintf(reason, sizeof reason, fmt, arg);
    snprintf(last_failure.stage, sizeof last_failure.stage, "plan: line %zu: %s", line, reason);
    last_failure.err = 0;
    return -1;
}

/* Grows an array by one element, returning the new element (zeroed). */
static void *push(void *arrayp, size_t *count, size_t size) {
    void **array = arrayp;
    void *grown = realloc(*array, (*count + 1) * size);
    if (!grown) return NULL;
    *array = grown;
    char *slot = (char *)grown + *count * size;
    memset(slot, 0, size);
    (*count)++;
    return slot;
}

static int parse_u64(const char *s, int base, unsigned long long max, unsigned long long *out) {
    if (*s == '\0') return -1;
    unsigned long long v = 0;
    for (; *s; s++) {
        int d;
        if (*s >= '0' && *s <= '9') d = *s - '0';
        else if (base == 16 && *s >= 'a' && *s <= 'f') d = *s - 'a' + 10;
        else if (base == 16 && *s >= 'A' && *s <= 'F') d = *s - 'A' + 10;
        else return -1;
        if (d >= base) return -1;
        if (v > (max - (unsigned long long)d) / (unsigned long long)base) return -1;
        v = v * (unsigned long long)base + (unsigned long long)d;
    }
    *out = v;
    return 0;
}

static int parse_i64(const char *s, long long *out) {
    int negative = *s == '-';
    unsigned long long v;
    if (parse_u64(s + negative, 10, (unsigned long long)INT64_MAX, &v) != 0) return -1;
    *out = negative ? -(long long)v : (long long)v;
    return 0;
}

static const struct { const char *name; int flag; } ns_kinds[] = {
    {"mnt", CLONE_NEWNS}, {"uts", CLONE_NEWUTS}, {"ipc", CLONE_NEWIPC}, {"net", CLONE_NEWNET},
    {"pid", CLONE_NEWPID}, {"cgroup", CLONE_NEWCGROUP}, {"user", CLONE_NEWUSER},
};

struct cursor {
    size_t line;
    char *f[MAX_FIELDS];
};

#define NUM(field, base, max, dst) do { \
        unsigned long long v_; \
        if (parse_u64(c->f[field], base, max, &v_) != 0) \
            return plan_error(c->line, "not a number: \"%s\"", c->f[field]); \
        dst = v_; \
    } while (0)
#define FLAG01(field, dst) do { \
        if (strcmp(c->f[field], "0") && strcmp(c->f[field], "1")) \
            return plan_error(c->line, "not 0 or 1: \"%s\"", c->f[field]); \
        dst = c->f[field][0] == '1'; \
    } while (0)
#define PUSH(array, count) push(&(array), &(count), sizeof *(array))
#define ONCE(flagexpr) do { if (flagexpr) return plan_error(c->line, "duplicate key \"%s\"", key); } while (0)
#define OOM() plan_error(c->line, "%s", "out of memory")

static int apply_record(struct plan *p, const char *key, struct cursor *c) {
    if (!strcmp(key, "ns")) {
        if (p->nns == sizeof p->ns / sizeof p->ns[0])
            return plan_error(c->line, "%s", "too many namespaces");
        struct ns_rec *n = &p->ns[p->nns];
        n->flag = 0;
        for (size_t i = 0; i < sizeof ns_kinds / sizeof ns_kinds[0]; i++)
            if (!strcmp(ns_kinds[i].name, c->f[0])) n->flag = ns_kinds[i].flag;
        if (!n->flag) return plan_error(c->line, "unknown namespace kind \"%s\"", c->f[0]);
        for (size_t i = 0; i < p->nns; i++)
            if (p->ns[i].flag == n->flag) return plan_error(c->line, "duplicate namespace \"%s\"", c->f[0]);
        n->kind = c->f[0];
        n->path = c->f[1][0] ? c->f[1] : NULL;
        n->fd = -1;
        p->nns++;
    } else if (!strcmp(key, "uid-map") || !strcmp(key, "gid-map")) {
        int uid = key[0] == 'u';
        struct idmap_rec *m = uid ? PUSH(p->uid_maps, p->nuid_maps) : PUSH(p->gid_maps, p->ngid_maps);
        if (!m) return OOM();
        NUM(0, 10, 0xffffffffULL, m->container);
        NUM(1, 10, 0xffffffffULL, m->host);
        NUM(2, 10, 0xffffffffULL, m->size);
        if (m->size == 0) return plan_error(c->line, "%s", "an id map of size 0");
        if (m->container + m->size > 0x100000000ULL || m->host + m->size > 0x100000000ULL)
            return plan_error(c->line, "%s", "an id map runs past the last id");
    } else if (!strcmp(key, "cgroup")) {
        ONCE(p->cgroup);
        p->cgroup = c->f[0];
    } else if (!strcmp(key, "root")) {
        ONCE(p->has_root);
        p->has_root = 1;
        p->root_path = c->f[0];
        if (p->root_path[0] != '/') return plan_error(c->line, "root path not absolute: \"%s\"", p->root_path);
        p->root_overlay = c->f[1][0] ? c->f[1] : NULL;
        p->root_dir = c->f[2][0] ? c->f[2] : NULL;
        NUM(3, 16, ~0ULL, p->root_propagation);
        FLAG01(4, p->root_readonly);
    } else if (!strcmp(key, "mount")) {
        struct mount_rec *m = PUSH(p->mounts, p->nmounts);
        if (!m) return OOM();
        m->source = c->f[0];
        m->destination = c->f[1];
        m->type = c->f[2];
        NUM(3, 16, ~0ULL, m->flags);
        m->data = c->f[4];
        NUM(5, 16, ~0ULL, m->propagation);
        NUM(6, 16, ~0ULL, m->remount_flags);
        if (!strcmp(c->f[7], "file")) m->is_file = 1;
        else if (strcmp(c->f[7], "dir")) return plan_error(c->line, "not dir or file: \"%s\"", c->f[7]);
        FLAG01(8, m->recursive_ro);
    } else if (!strcmp(key, "device")) {
        struct device_rec *d = PUSH(p->devices, p->ndevices);
        if (!d) return OOM();
        d->path = c->f[0];
        if (strcmp(c->f[1], "c") && strcmp(c->f[1], "b") && strcmp(c->f[1], "p"))
            return plan_error(c->line, "unknown device kind \"%s\"", c->f[1]);
        d->kind = c->f[1][0];
        NUM(2, 10, 0xffffffffULL, d->major);
        NUM(3, 10, 0xffffffffULL, d->minor);
        NUM(4, 8, 07777, d->mode);
        NUM(5, 10, 0xffffffffULL, d->uid);
        NUM(6, 10, 0xffffffffULL, d->gid);
    } else if (!strcmp(key, "symlink")) {
        struct symlink_rec *s = PUSH(p->symlinks, p->nsymlinks);
        if (!s) return OOM();
        s->target = c->f[0];
        s->path = c->f[1];
    } else if (!strcmp(key, "masked")) {
        const char **s = PUSH(p->masked, p->nmasked);
        if (!s) return OOM();
        *s = c->f[0];
    } else if (!strcmp(key, "readonly")) {
        const char **s = PUSH(p->readonly, p->nreadonly);
        if (!s) return OOM();
        *s = c->f[0];
    } else if (!strcmp(key, "hostname")) {
        ONCE(p->hostname);
        p->hostname = c->f[0];
    } else if (!strcmp(key, "sysctl")) {
        struct sysctl_rec *s = PUSH(p->sysctls, p->nsysctls);
        if (!s) return OOM();
        s->path = c->f[0];
        s->value = c->f[1];
        if (!(s->proc_path = concat3("/proc/sys/", s->path, ""))) return OOM();
    } else if (!strcmp(key, "rlimit")) {
        struct rlimit_rec *r = PUSH(p->rlimits, p->nrlimits);
        if (!r) return OOM();
        NUM(0, 10, 1024, r->resource);
        NUM(1, 10, ~0ULL, r->soft);
        NUM(2, 10, ~0ULL, r->hard);
    } else if (!strcmp(key, "oom-score-adj")) {
        ONCE(p->has_oom);
        long long v;
        if (parse_i64(c->f[0], &v) != 0 || v < -1000 || v > 1000)
            return plan_error(c->line, "not a number from -1000 to 1000: \"%s\"", c->f[0]);
        p->has_oom = 1;
        p->oom_score_adj = (int)v;
    } else if (!strcmp(key, "user")) {
        ONCE(p->has_user);
        p->has_user = 1;
        NUM(0, 10, 0xfffffffeULL, p->uid);
        NUM(1, 10, 0xfffffffeULL, p->gid);
        char *s = c->f[2];
        while (*s) {
            char *comma = strchr(s, ',');
            if (comma) *comma = '\0';
            gid_t *g = PUSH(p->groups, p->ngroups);
            if (!g) return OOM();
            unsigned long long v;
            if (parse_u64(s, 10, 0xfffffffeULL, &v) != 0) return plan_error(c->line, "not a number: \"%s\"", s);
            *g = (gid_t)v;
            if (!comma) break;
            s = comma + 1;
        }
    } else if (!strcmp(key, "caps")) {
        ONCE(p->has_caps);
        p->has_caps = 1;
        NUM(0, 16, ~0ULL, p->cap_bounding);
        NUM(1, 16, ~0ULL, p->cap_effective);
        NUM(2, 16, ~0ULL, p->cap_permitted);
        NUM(3, 16, ~0ULL, p->cap_inheritable);
        NUM(4, 16, ~0ULL, p->cap_ambient);
    } else if (!strcmp(key, "no-new-privs")) {
        FLAG01(0, p->no_new_privs);
    } else if (!strcmp(key, "cwd")) {
        ONCE(p->cwd);
        p->cwd = c->f[0];
    } else if (!strcmp(key, "arg")) {
        char **a = PUSH(p->args, p->nargs);
        if (!a) return OOM();
        *a = c->f[0];
    } else if (!strcmp(key, "env")) {
        char **e = PUSH(p->env, p->nenv);
        if (!e) return OOM();
        *e = c->f[0];
    } else if (!strcmp(key, "tty")) {
        FLAG01(0, p->tty);
    } else if (!strcmp(key, "stdin")) {
        FLAG01(0, p->stdin_open);
    } else if (!strcmp(key, "stdin-once")) {
        FLAG01(0, p->stdin_once);
    } else if (!strcmp(key, "attach")) {
        ONCE(p->attach);
        p->attach = c->f[0];
    } else if (!strcmp(key, "log")) {
        ONCE(p->log);
        p->log = c->f[0];
    } else if (!strcmp(key, "exit-file")) {
        ONCE(p->exit_file);
        p->exit_file = c->f[0];
    } else if (!strcmp(key, "state-file")) {
        ONCE(p->state_file);
        p->state_file = c->f[0];
    } else if (!strcmp(key, "memory-events")) {
        ONCE(p->memory_events);
        p->memory_events = c->f[0];
    }
    return 0;
}

/* Field counts per key; seccomp is raw bytes and handled apart. */
static const struct { const char *key; int fields; } keys[] = {
    {"ns", 2}, {"uid-map", 3}, {"gid-map", 3}, {"cgroup", 1}, {"root", 5}, {"mount", 9}, {"device", 7}, {"symlink", 2},
    {"masked", 1}, {"readonly", 1}, {"hostname", 1}, {"sysctl", 2}, {"rlimit", 3},
    {"oom-score-adj", 1}, {"user", 3}, {"caps", 5}, {"no-new-privs", 1}, {"seccomp", 0},
    {"cwd", 1}, {"arg", 1}, {"env", 1}, {"tty", 1}, {"stdin", 1}, {"stdin-once", 1}, {"attach", 1}, {"log", 1},
    {"exit-file", 1}, {"state-file", 1}, {"memory-events", 1},
};

/* The text written to /proc/<pid>/uid_map or gid_map: one "container host size" line per
 * map, at most what the kernel takes in one write (340 lines, less than a page). */
static int map_text(const struct idmap_rec *maps, size_t n, char **out) {
    *out = NULL;
    if (n == 0) return 0;
    if (n > 340) return -1;
    char *text = malloc(4096);
    if (!text) return -1;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        char digits[24];
        digits[23] = '\0';
        at = append(text, 4096, at, fmt_u64(digits + 23, maps[i].container));
        at = append(text, 4096, at, " ");
        at = append(text, 4096, at, fmt_u64(digits + 23, maps[i].host));
        at = append(text, 4096, at, " ");
        at = append(text, 4096, at, fmt_u64(digits + 23, maps[i].size));
        at = append(text, 4096, at, "\n");
    }
    if (at >= 4095) {
        free(text);
        return -1;
    }
    *out = text;
    return 0;
}

static size_t count_lines(const char *from, const char *to) {
    size_t n = 0;
    for (const char *s = from; s < to; s++) n += *s == '\n';
    return n;
}

static int parse(struct plan *p, char *buf, size_t len) {
    static const char header[] = "berth-plan 1\n";
    size_t hlen = sizeof header - 1;
    if (len < hlen || memcmp(buf, header, hlen) != 0)
        return plan_error(1, "%s", "missing header \"berth-plan 1\"");
    size_t at = hlen;
    size_t line = 2;
    while (at < len) {
        struct cursor cur = {.line = line};
        struct cursor *c = &cur;
        /* key */
        size_t k = at;
        while (k < len && k - at <= 32 && ((buf[k] >= 'a' && buf[k] <= 'z') || buf[k] == '-')) k++;
        if (k == len) return plan_error(line, "%s", "truncated record header");
        if (buf[k] != ' ' || k == at) return plan_error(line, "%s", "malformed record header");
        buf[k] = '\0';
        const char *key = buf + at;
        int fields = -1;
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            if (!strcmp(keys[i].key, key)) fields = keys[i].fields;
        if (fields < 0) return plan_error(line, "unknown key \"%s\"", key);
        /* length */
        size_t l = k + 1, digits = l;
        unsigned long long length = 0;
        while (l < len && buf[l] >= '0' && buf[l] <= '9' && l - digits < 9) length = length * 10 + (unsigned)(buf[l++] - '0');
        if (l == digits || l >= len || buf[l] != '\n') return plan_error(line, "%s", "malformed record length");
        if (length > MAX_RECORD) return plan_error(line, "%s", "record longer than 16 MiB");
        size_t value = l + 1;
        if (length > len - value || len - value - length < 1)
            return plan_error(line, "%s", "record runs past the end of the plan");
        if (buf[value + length] != '\n') return plan_error(line, "%s", "record not followed by a newline");
        char *v = buf + value;
        buf[value + length] = '\0';
        if (fields == 0) {
            if (p->seccomp) return plan_error(line, "duplicate key \"%s\"", key);
            if (length == 0 || length % 8 != 0)
                return plan_error(line, "%s", "seccomp filter length not a positive multiple of 8");
            p->seccomp = (const unsigned char *)v;
            p->seccomp_len = length;
        } else {
            int n = 0;
            cur.f[n++] = v;
            for (size_t i = 0; i < length; i++) {
                if (v[i] != '\0') continue;
                if (n == fields) return plan_error(line, "too many fields for \"%s\"", key);
                cur.f[n++] = v + i + 1;
            }
            if (n != fields) return plan_error(line, "too few fields for \"%s\"", key);
            if (apply_record(p, key, c) != 0) return -1;
        }
        line += 1 + count_lines(v, v + length) + 1;
        at = value + length + 1;
    }
    int new_user = 0;
    for (size_t i = 0; i < p->nns; i++)
        if (p->ns[i].flag == CLONE_NEWUSER && !p->ns[i].path) new_user = 1;
    if (new_user && p->mode != MODE_INFRA)
        return plan_error(line, "%s", "a new user namespace is only made in infra mode; join one by path");
    if ((p->nuid_maps || p->ngid_maps) && !new_user)
        return plan_error(line, "%s", "id maps without a new user namespace");
    if (map_text(p->uid_maps, p->nuid_maps, &p->uid_map_text) != 0 ||
        map_text(p->gid_maps, p->ngid_maps, &p->gid_map_text) != 0)
        return plan_error(line, "%s", "id maps too long (at most 340 lines, 4095 bytes)");
    if (p->mode == MODE_RUN && !p->has_root) return plan_error(line, "%s", "missing required record \"root\"");
    if (p->mode != MODE_INFRA && p->nargs == 0) return plan_error(line, "%s", "missing required record \"arg\"");
    return 0;
}

int plan_load(struct plan *p, enum shim_mode mode, const char *file) {
    memset(p, 0, sizeof *p);
    p->mode = mode;
    p->cgroup_fd = -1;
    p->cgroup_dir_fd = -1;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail("open plan", file);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return fail("stat plan", file);
    }
    if (st.st_size > (off_t)MAX_PLAN) {
        close(fd);
        return plan_error(1, "%s", "plan larger than 64 MiB");
    }
    size_t len = (size_t)st.st_size;
    /* One spare byte so the mapping is never empty. */
    char *buf = mmap(NULL, len + 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) {
        close(fd);
        return fail("map plan", file);
    }
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            close(fd);
            munmap(buf, len + 1);
            return n == 0 ? plan_error(1, "%s", "plan shrank while read") : fail("read plan", file);
        }
        got += (size_t)n;
    }
    close(fd);
    p->buffer = buf;
    p->buffer_len = len + 1;
    if (parse(p, buf, len) != 0) return -1;
    if (!push(&p->args, &p->nargs, sizeof *p->args) || !push(&p->env, &p->nenv, sizeof *p->env))
        return plan_error(1, "%s", "out of memory");
    p->nargs--;  /* the terminating NULL is not an argument */
    p->nenv--;
    if (!p->cwd) p->cwd = "/";
    return 0;
}
