/* The container's file system: root mount, the plan's mounts, device nodes and symlinks,
 * all resolved inside the root, then pivot_root and the masked and read-only paths.
 * Runs in the container child, in its own mount namespace: system calls only. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* "/proc/self/fd/N" for an fd, in a buffer owned by the caller. */
static const char *fd_path(char buf[32], int fd) {
    char digits[24];
    digits[23] = '\0';
    size_t at = append(buf, 32, 0, "/proc/self/fd/");
    append(buf, 32, at, fmt_u64(digits + 23, (unsigned long long)fd));
    return buf;
}

/* Opens `path` as if the root directory were `rootfd`: symlinks and ".." cannot leave it. */
static int open_in_root(int rootfd, const char *path, int flags) {
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    long fd;
    do fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    while (fd < 0 && errno == EAGAIN);
    return (int)fd;
}

/* Opens (O_PATH) `path` inside the root, creating missing directories on the way and the
 * last component as a directory or an empty file. `path` is modified and restored. */
static int make_target(int rootfd, char *path, int is_file) {
    int fd = open_in_root(rootfd, path, O_PATH);
    if (fd >= 0 || errno != ENOENT) return fd;
    int parent = open_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
    if (parent < 0) return -1;
    char *s = path;
    while (*s) {
        while (*s == '/') s++;
        if (!*s) break;
        char *name = s;
        while (*s && *s != '/') s++;
        char saved = *s;
        *s = '\0';
        char *rest = s;
        if (saved) {
            rest = s + 1;
            while (*rest == '/') rest++;
        }
        int last = !saved || !*rest;
        fd = open_in_root(rootfd, path, O_PATH);
        if (fd < 0 && errno == ENOENT) {
            int made;
            if (last && is_file) {
                made = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (made >= 0) close(made);
            } else {
                made = mkdirat(parent, name, 0755);
            }
            if (made < 0 && errno != EEXIST) {
                *s = saved;
                close(parent);
                return -1;
            }
            fd = open_in_root(rootfd, path, O_PATH);
        }
        *s = saved;
        int saved_errno = errno;
        close(parent);
        if (fd < 0) {
            errno = saved_errno;
            return -1;
        }
        parent = fd;
    }
    return parent;
}

/* Opens the parent directory of `path` inside the root (creating it) and points `*name`
 * at the last component. */
static int make_parent(int rootfd, char *path, char **name, char *dir, size_t dirsize) {
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') len--;
    size_t slash = len;
    while (slash > 0 && path[slash - 1] != '/') slash--;
    if (slash >= dirsize || slash == len) {
        errno = EINVAL;
        return -1;
    }
    memcpy(dir, path, slash);
    dir[slash] = '\0';
    *name = path + slash;
    if (slash == 0) return open_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
    return make_target(rootfd, dir, 0);
}

/* Mount flags that a bind remount cannot clear, read from the mount as it is. */
static unsigned long locked_flags(int fd, const char *path) {
    struct statvfs sv;
    int rc = fd >= 0 ? fstatvfs(fd, &sv) : statvfs(path, &sv);
    if (rc != 0) return 0;
    unsigned long flags = 0;
    if (sv.f_flag & ST_RDONLY) flags |= MS_RDONLY;
    if (sv.f_flag & ST_NOSUID) flags |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) flags |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
    return flags;
}

static int do_mount(int rootfd, struct mount_rec *m) {
    char target[32];
    int fd = make_target(rootfd, (char *)m->destination, m->is_file);
    if (fd < 0) return fail("create mount target", m->destination);
    const char *source = m->source[0] ? m->source : NULL;
    const char *type = m->type[0] ? m->type : NULL;
    const void *data = m->data[0] ? m->data : NULL;
    int rc = mount(source, fd_path(target, fd), type, m->flags, data);
    int saved = errno;
    close(fd);
    errno = saved;
    if (rc != 0) return fail("mount", m->destination);
    if (!m->propagation && !m->remount_flags && !m->recursive_ro) return 0;
    /* Reopened so the path walk lands on the new mount, not the directory below it. */
    fd = open_in_root(rootfd, m->destination, O_PATH);
    if (fd < 0) return fail("open mount", m->destination);
    fd_path(target, fd);
    rc = 0;
    if (m->propagation && mount(NULL, target, NULL, m->propagation, NULL) != 0)
        rc = fail("mount propagation", m->destination);
    if (rc == 0 && m->remount_flags &&
        mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | m->remount_flags | locked_flags(fd, NULL), NULL) != 0)
        rc = fail("remount", m->destination);
    if (rc == 0 && m->recursive_ro) {
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
            rc = fail("recursive read-only", m->destination);
    }
    close(fd);
    return rc;
}

static int make_device(int rootfd, struct device_rec *d) {
    char dir[PATH_MAX], target[32];
    char *name;
    int parent = make_parent(rootfd, (char *)d->path, &name, dir, sizeof dir);
    if (parent < 0) return fail("create device directory", d->path);
    mode_t type = d->kind == 'c' ? S_IFCHR : d->kind == 'b' ? S_IFBLK : S_IFIFO;
    int rc = mknodat(parent, name, type | d->mode, makedev(d->major, d->minor));
    if (rc != 0 && errno == EPERM && d->kind != 'p') {
        /* No mknod here (a user namespace, a device cgroup): bind the host's node. */
        int file = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (file < 0 && errno != EEXIST) {
            close(parent);
            return fail("create device", d->path);
        }
        if (file >= 0) close(file);
        int fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        rc = fd < 0 ? -1 : mount(d->path, fd_path(target, fd), NULL, MS_BIND, NULL);
        int saved = errno;
        if (fd >= 0) close(fd);
        close(parent);
        errno = saved;
        return rc == 0 ? 0 : fail("bind device", d->path);
    }
    if (rc != 0 && errno != EEXIST) {
        close(parent);
        return fail("mknod", d->path);
    }
    if (fchownat(parent, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) != 0) {
        close(parent);
        return fail("chown device", d->path);
    }
    if (fchmodat(parent, name, d->mode, 0) != 0) {
        close(parent);
        return fail("chmod device", d->path);
    }
    close(parent);
    return 0;
}

static int make_symlink(int rootfd, struct symlink_rec *s) {
    char dir[PATH_MAX];
    char *name;
    int parent = make_parent(rootfd, (char *)s->path, &name, dir, sizeof dir);
    if (parent < 0) return fail("create symlink directory", s->path);
    int rc = symlinkat(s->target, parent, name);
    int saved = errno;
    close(parent);
    errno = saved;
    return rc != 0 && errno != EEXIST ? fail("symlink", s->path) : 0;
}

/* pivot_root refuses a new root whose parent mount is shared: make the mount holding the
 * root's parent directory private, found by walking up until a path is a mount point. */
static int make_parent_private(const char *root) {
    char path[PATH_MAX];
    append(path, sizeof path, 0, root);
    for (;;) {
        char *slash = strrchr(path, '/');
        if (!slash) break;
        if (slash == path) {
            path[1] = '\0';
        } else {
            *slash = '\0';
        }
        if (mount(NULL, path, NULL, MS_PRIVATE, NULL) == 0) break;
        if (errno != EINVAL) return fail("make private", path);
        if (path[1] == '\0') break;
    }
    /* The current root too: once pivoted away it is detached, so this changes nothing else. */
    if (mount(NULL, "/", NULL, MS_PRIVATE, NULL) != 0 && errno != EINVAL) return fail("make private", "/");
    return 0;
}

int prepare_root(struct plan *p) {
    if (p->root_propagation && mount(NULL, "/", NULL, p->root_propagation, NULL) != 0)
        return fail("root propagation", "/");
    if (p->root_overlay) {
        /* Relative lower directories in the overlay options resolve from here. */
        if (p->root_dir && chdir(p->root_dir) != 0) return fail("chdir", p->root_dir);
        if (mount("overlay", p->root_path, "overlay", 0, p->root_overlay) != 0)
            return fail("mount overlay", p->root_path);
    } else if (mount(p->root_path, p->root_path, NULL, MS_BIND | MS_REC, NULL) != 0) {
        return fail("bind root", p->root_path);
    }
    if (make_parent_private(p->root_path) != 0) return -1;
    if (mount(NULL, p->root_path, NULL, MS_PRIVATE, NULL) != 0) return fail("make private", p->root_path);
    int rootfd = open(p->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) return fail("open root", p->root_path);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < p->nmounts; i++) rc = do_mount(rootfd, &p->mounts[i]);
    for (size_t i = 0; rc == 0 && i < p->ndevices; i++) rc = make_device(rootfd, &p->devices[i]);
    for (size_t i = 0; rc == 0 && i < p->nsymlinks; i++) rc = make_symlink(rootfd, &p->symlinks[i]);
    close(rootfd);
    return rc;
}

static int mask_path(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : fail("mask", path);
    int rc = S_ISDIR(st.st_mode) ? mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL)
                                 : mount("/dev/null", path, NULL, MS_BIND, NULL);
    return rc == 0 ? 0 : fail("mask", path);
}

static int readonly_path(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : fail("read-only", path);
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) != 0) return fail("read-only bind", path);
    if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(-1, path), NULL) != 0)
        return fail("read-only remount", path);
    return 0;
}

int enter_root(struct plan *p) {
    int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0) return fail("open old root", "/");
    if (chdir(p->root_path) != 0) return fail("chdir", p->root_path);
    /* Pivot onto the root with the old root stacked on it, then detach the old root. The old
     * root is reached through its own descriptor: "." would be the new root, and making that
     * rslave would cut bidirectional volumes off from the host. Slave first, so the detach
     * never propagates to the host. */
    if (syscall(SYS_pivot_root, ".", ".") != 0) return fail("pivot_root", p->root_path);
    if (fchdir(oldroot) != 0) return fail("fchdir", "old root");
    close(oldroot);
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) != 0) return fail("old root propagation", "/");
    if (umount2(".", MNT_DETACH) != 0) return fail("umount old root", "/");
    if (chdir("/") != 0) return fail("chdir", "/");
    for (size_t i = 0; i < p->nmasked; i++)
        if (mask_path(p->masked[i]) != 0) return -1;
    for (size_t i = 0; i < p->nreadonly; i++)
        if (readonly_path(p->readonly[i]) != 0) return -1;
    if (p->root_readonly &&
        mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(-1, "/"), NULL) != 0)
        return fail("read-only remount", "/");
    return 0;
}
