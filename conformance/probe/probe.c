/*
 * probe: a small static program the conformance checks run inside containers, where busybox
 * cannot say precisely what the kernel allowed. Each subcommand prints one line (caps prints
 * one line per field) and exits 0; a usage error exits 2.
 *
 *   probe ids                 uid=U euid=U gid=G egid=G
 *   probe syscall NAME        makes the raw system call NAME with harmless arguments and
 *                             prints "ok" or the errno name ("EPERM"); arguments are chosen
 *                             so that the permission check comes first, and anything a
 *                             permitted call creates is undone
 *   probe escape MARKER       tries the classic chroot escape, then prints "escaped" when
 *                             the host path MARKER is visible, "contained" otherwise
 *   probe caps                the CapEff, CapPrm, CapBnd, CapAmb, NoNewPrivs and Seccomp
 *                             lines of /proc/self/status
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int usage(void) {
    fprintf(stderr, "usage: probe ids | syscall NAME | escape MARKER | caps\n");
    return 2;
}

static int report(long result) {
    if (result < 0) {
        const char *name = strerrorname_np(errno);
        printf("%s\n", name ? name : "EUNKNOWN");
    } else {
        printf("ok\n");
    }
    return 0;
}

/* A scratch directory for calls that need a path; NULL when nothing is writable. */
static char scratch[64];
static const char *scratch_dir(void) {
    const char *bases[] = {"/tmp", "/dev/shm", "/run", "/dev"};
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        snprintf(scratch, sizeof scratch, "%s/probe.XXXXXX", bases[i]);
        if (mkdtemp(scratch)) return scratch;
    }
    return NULL;
}

static void remove_scratch(void) {
    if (scratch[0]) rmdir(scratch);
}

static int do_syscall(const char *name) {
    long r;
    if (!strcmp(name, "mount")) {
        const char *dir = scratch_dir();
        if (!dir) dir = "/tmp";
        r = syscall(SYS_mount, "probe", dir, "tmpfs", 0UL, NULL);
        int saved = errno;
        if (r == 0) umount2(dir, MNT_DETACH);
        remove_scratch();
        errno = saved;
        return report(r);
    }
    if (!strcmp(name, "umount2")) {
        /* Not a mount point: EINVAL once permitted, EPERM when not. */
        const char *dir = scratch_dir();
        r = syscall(SYS_umount2, dir ? dir : "/probe", 0);
        int saved = errno;
        remove_scratch();
        errno = saved;
        return report(r);
    }
    if (!strcmp(name, "init_module")) return report(syscall(SYS_init_module, NULL, 0UL, ""));
    if (!strcmp(name, "finit_module")) return report(syscall(SYS_finit_module, -1, "", 0));
    if (!strcmp(name, "keyctl"))
        return report(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 0));
    if (!strcmp(name, "add_key"))
        return report(syscall(SYS_add_key, "user", "probe", "x", 1UL, KEY_SPEC_PROCESS_KEYRING));
    if (!strcmp(name, "unshare")) return report(syscall(SYS_unshare, CLONE_NEWNS));
    if (!strcmp(name, "setns")) {
        int fd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
        if (fd < 0) return report(-1);
        r = syscall(SYS_setns, fd, CLONE_NEWUTS);
        int saved = errno;
        close(fd);
        errno = saved;
        return report(r);
    }
    if (!strcmp(name, "ptrace")) return report(syscall(SYS_ptrace, PTRACE_TRACEME, 0, NULL, NULL));
    if (!strcmp(name, "reboot"))
        /* Wrong magic numbers: EINVAL once permitted, so nothing reboots. */
        return report(syscall(SYS_reboot, 0x1234, 0x5678, 0, NULL));
    if (!strcmp(name, "sethostname")) {
        char host[256] = {0};
        gethostname(host, sizeof host - 1);
        return report(syscall(SYS_sethostname, host, strlen(host)));
    }
    if (!strcmp(name, "chmod") || !strcmp(name, "chown") || !strcmp(name, "mknod")) {
        const char *dir = scratch_dir();
        if (!dir) return report(-1);
        char path[128];
        snprintf(path, sizeof path, "%s/file", dir);
        if (!strcmp(name, "mknod")) {
            r = syscall(SYS_mknod, path, S_IFCHR | 0600, makedev(1, 3));
        } else {
            int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
            if (fd < 0) {
                int saved = errno;
                remove_scratch();
                errno = saved;
                return report(-1);
            }
            close(fd);
            if (!strcmp(name, "chmod"))
                r = syscall(SYS_chmod, path, 0600);
            else
                r = syscall(SYS_chown, path, getuid(), getgid());
        }
        int saved = errno;
        unlink(path);
        remove_scratch();
        errno = saved;
        return report(r);
    }
    if (!strcmp(name, "pivot_root"))
        return report(syscall(SYS_pivot_root, "/probe-missing-new", "/probe-missing-old"));
    if (!strcmp(name, "bpf")) {
        union bpf_attr attr;
        memset(&attr, 0, sizeof attr);
        return report(syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr));
    }
    if (!strcmp(name, "perf_event_open")) {
        struct perf_event_attr attr;
        memset(&attr, 0, sizeof attr);
        attr.size = sizeof attr;
        attr.type = PERF_TYPE_SOFTWARE;
        attr.config = PERF_COUNT_SW_CPU_CLOCK;
        attr.disabled = 1;
        attr.exclude_kernel = 1;
        attr.exclude_hv = 1;
        r = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0UL);
        if (r >= 0) close((int)r);
        return report(r);
    }
    if (!strcmp(name, "kexec_load"))
        /* Too many segments and unknown flags: EINVAL once permitted, nothing loaded or unloaded. */
        return report(syscall(SYS_kexec_load, 0UL, 0xffffUL, NULL, 0x8000UL));
    if (!strcmp(name, "open_by_handle_at")) {
        int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct { unsigned int bytes; int type; unsigned char handle[8]; } handle = {0, 0, {0}};
        r = syscall(SYS_open_by_handle_at, root, &handle, O_RDONLY);
        int saved = errno;
        if (r >= 0) close((int)r);
        close(root);
        errno = saved;
        return report(r);
    }
    if (!strcmp(name, "swapon")) return report(syscall(SYS_swapon, "/probe-missing-swap", 0));
    fprintf(stderr, "probe: unknown system call %s\n", name);
    return 2;
}

static int do_escape(const char *marker) {
    /* chroot into a subdirectory while keeping the working directory outside it, climb, and
     * make wherever the climb ends the root. */
    const char *dir = scratch_dir();
    if (dir && chdir("/") == 0 && chroot(dir) == 0) {
        for (int i = 0; i < 256; i++) {
            if (chdir("..") != 0) break;
        }
        if (chroot(".") != 0) fprintf(stderr, "probe: chroot(.): %s\n", strerror(errno));
    } else {
        fprintf(stderr, "probe: chroot into %s: %s\n", dir ? dir : "(no scratch directory)", strerror(errno));
    }
    struct stat info;
    printf("%s\n", lstat(marker, &info) == 0 ? "escaped" : "contained");
    return 0;
}

static int do_caps(void) {
    FILE *status = fopen("/proc/self/status", "r");
    if (!status) {
        printf("%s\n", strerrorname_np(errno));
        return 0;
    }
    char line[512];
    const char *wanted[] = {"CapEff:", "CapPrm:", "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:"};
    while (fgets(line, sizeof line, status)) {
        for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
            if (!strncmp(line, wanted[i], strlen(wanted[i]))) fputs(line, stdout);
        }
    }
    fclose(status);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage();
    if (!strcmp(argv[1], "ids") && argc == 2) {
        printf("uid=%d euid=%d gid=%d egid=%d\n", getuid(), geteuid(), getgid(), getegid());
        return 0;
    }
    if (!strcmp(argv[1], "syscall") && argc == 3) return do_syscall(argv[2]);
    if (!strcmp(argv[1], "escape") && argc == 3) return do_escape(argv[2]);
    if (!strcmp(argv[1], "caps") && argc == 2) return do_caps();
    return usage();
}
