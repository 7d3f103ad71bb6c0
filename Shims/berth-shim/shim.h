/* berth-shim: shared declarations. The shim carries out a plan computed by berthd;
 * it makes no policy decisions of its own. */
#ifndef BERTH_SHIM_H
#define BERTH_SHIM_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/capability.h>
#include <poll.h>

enum shim_mode { MODE_INFRA, MODE_RUN, MODE_EXEC };

struct ns_rec {
    const char *kind;
    int flag;          /* CLONE_NEW* */
    const char *path;  /* NULL: a new namespace */
    int fd;            /* opened before fork when path is set */
};

struct mount_rec {
    const char *source, *destination, *type, *data;
    unsigned long flags, propagation, remount_flags;
    int is_file, recursive_ro;
};

struct device_rec {
    const char *path;
    char kind; /* c, b or p */
    unsigned long long major, minor;
    mode_t mode;
    uid_t uid;
    gid_t gid;
};

struct symlink_rec { const char *target, *path; };
struct idmap_rec { unsigned long long container, host, size; };
struct sysctl_rec { const char *path, *value; char *proc_path; };
struct rlimit_rec { int resource; uint64_t soft, hard; };

struct plan {
    enum shim_mode mode;
    struct ns_rec ns[8];
    size_t nns;
    struct idmap_rec *uid_maps;    size_t nuid_maps;
    struct idmap_rec *gid_maps;    size_t ngid_maps;
    char *uid_map_text, *gid_map_text; /* "container host size\n" lines for /proc/<pid>/[ug]id_map */
    const char *cgroup;
    int has_root;
    const char *root_path, *root_overlay, *root_dir;
    unsigned long root_propagation;
    int root_readonly;
    struct mount_rec *mounts;      size_t nmounts;
    struct device_rec *devices;    size_t ndevices;
    struct symlink_rec *symlinks;  size_t nsymlinks;
    const char **masked;           size_t nmasked;
    const char **readonly;         size_t nreadonly;
    const char *hostname;
    struct sysctl_rec *sysctls;    size_t nsysctls;
    struct rlimit_rec *rlimits;    size_t nrlimits;
    int has_oom;
    int oom_score_adj;
    int has_user;
    uid_t uid;
    gid_t gid;
    gid_t *groups;                 size_t ngroups;
    int has_caps;
    uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable, cap_ambient;
    int no_new_privs;
    const unsigned char *seccomp;  size_t seccomp_len;
    const char *cwd;
    char **args;                   size_t nargs;   /* NULL-terminated */
    char **env;                    size_t nenv;    /* NULL-terminated */
    int tty, stdin_open, stdin_once;
    const char *attach;            /* run: the attach socket path */
    const char *log, *exit_file, *state_file, *memory_events;

    /* Filled before fork for the child's use. */
    char **exec_candidates;        /* args[0] resolved against PATH, NULL-terminated */
    cap_t caps;                    /* the sets cap_set_proc installs */
    int last_cap;
    int cgroup_fd;
    int cgroup_dir_fd;  /* the cgroup directory, for clone3(CLONE_INTO_CGROUP) */
    void *buffer;                  /* the plan file, mapped */
    size_t buffer_len;
};

/* plan.c */
int plan_load(struct plan *p, enum shim_mode mode, const char *file);

/* fail.c: a failure is a stage text and an errno, sent over a pipe from a child. */
struct failure {
    int err;           /* 0: the stage text is the whole message */
    char stage[500];
};
extern struct failure last_failure;
int fail(const char *what, const char *arg);             /* records errno; returns -1 */
int fail_num(const char *what, unsigned long long n);    /* "what n" */
int fail_msg(const char *text);                          /* no errno */
void send_failure(int fd);                               /* child side */
int receive_failure(int fd, struct failure *f);          /* 1: got one, 0: EOF */
void report_failure(const struct failure *f);
void report_ok(pid_t a, pid_t b);                        /* b <= 0: only a */
void report_close(void);
void set_report_fd(int fd);

/* util.c */
int write_all(int fd, const void *buf, size_t len);
int write_file(const char *path, const char *text);
int atomic_write(const char *path, const char *tmp, const char *text, size_t len);
char *fmt_u64(char *end, unsigned long long v);          /* writes backwards, returns start */
size_t append(char *dst, size_t cap, size_t at, const char *src);
int64_t now_nanos(void);
char *concat3(const char *a, const char *b, const char *c); /* malloc, before fork only */

/* mounts.c */
int prepare_root(struct plan *p);   /* in the new mount namespace, before pivot_root */
int enter_root(struct plan *p);     /* pivot_root, masked and read-only paths */

/* security.c */
int prepare_security(struct plan *p);  /* before fork */
int apply_limits(struct plan *p);      /* rlimits, oom-score-adj */
int apply_security(struct plan *p);    /* nnp, seccomp, bounding, user, caps */
int apply_late_seccomp(struct plan *p);
int write_oom_score_adj(int value);
int drop_all_caps(void);
int prepare_exec(struct plan *p);      /* PATH search candidates, before fork */
void exec_process(struct plan *p);     /* returns only on failure (recorded) */

/* monitor.c */
struct monitor_io {
    int out_fd, err_fd;   /* read ends; err_fd -1 with a tty */
    int log_fd;
    int stdin_keep;       /* write end of stdin kept open */
    int slave_keep;       /* pty slave held until the init exits, -1 without a tty */
    char *exit_tmp;
};
int run_monitor(struct plan *p, struct monitor_io *io, pid_t child, int64_t started);

/* exec_tty.c: exec with a pty relayed to the shim's stdio; resizes on fd 4. */
struct exec_tty { int master, slave, resize; };
extern struct exec_tty exec_term;
int exec_tty_open(struct exec_tty *t);           /* first thing in exec mode */
int exec_tty_child(struct exec_tty *t);          /* in the child after setsid */
int exec_tty_relay(struct exec_tty *t, pid_t child); /* returns the exit code */

/* attach.c: the monitor's attach socket (<bundle>/attach.sock). */
int attach_listen(const char *path);             /* -1 on failure (attach then unavailable) */
int attach_poll_fds(struct pollfd *fds, int max); /* listener and clients */
void attach_handle(struct pollfd *fds, int n, int stdin_fd, int master, int stdin_once, int *stdin_closed);
void attach_broadcast(int kind, const char *buf, size_t len); /* kind 1 stdout, 2 stderr */
void attach_close(const char *path);

/* modes.c */
int mode_infra(struct plan *p);
int mode_run(struct plan *p);
int mode_exec(struct plan *p);

#endif
