/* The monitor's attach socket: berthd connects to <bundle>/attach.sock (mode 0600) to
 * receive the container's output and send its stdin and window sizes. Frames both ways
 * are [type u8][length u32 big-endian][payload]:
 *   to berthd:   1 stdout, 2 stderr (the pty's output is stdout)
 *   from berthd: 0 stdin, 4 resize "<cols> <rows>", 5 end of this client's stdin,
 *                6 hello ("1": this client carries stdin)
 * With stdin_once the container's stdin is closed when the first client that carried
 * stdin ends it or goes away. The log is written whether or not anyone is attached. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define ATTACH_MAX 16
#define FRAME_MAX 65536

struct attacher {
    int fd;
    int has_stdin;
    size_t len;
    unsigned char *buf; /* FRAME_MAX + 5 */
};

static int listener = -1;
static struct attacher clients[ATTACH_MAX];

/* Bundle paths can be longer than sun_path: the socket is bound through
 * /proc/self/fd/<dir>/<name>, which is short whatever the directory's path. */
int attach_listen(const char *path) {
    for (int i = 0; i < ATTACH_MAX; i++) clients[i].fd = -1;
    if (!path) return -1;
    const char *slash = strrchr(path, '/');
    if (!slash || strlen(slash + 1) > 64) return -1;
    char *dir = slash == path ? concat3("/", "", "") : strndup(path, (size_t)(slash - path));
    int dirfd = dir ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
    free(dir);
    if (dirfd < 0) return -1;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    char digits[24];
    digits[23] = '\0';
    size_t at = append(addr.sun_path, sizeof addr.sun_path, 0, "/proc/self/fd/");
    at = append(addr.sun_path, sizeof addr.sun_path, at, fmt_u64(digits + 23, (unsigned long long)dirfd));
    at = append(addr.sun_path, sizeof addr.sun_path, at, slash);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return close(dirfd), -1;
    unlink(path);
    mode_t old = umask(077);
    int rc = bind(fd, (struct sockaddr *)&addr, sizeof addr);
    umask(old);
    close(dirfd);
    if (rc != 0 || chmod(path, 0600) != 0 || listen(fd, 8) != 0) {
        close(fd);
        return -1;
    }
    listener = fd;
    return 0;
}

int attach_poll_fds(struct pollfd *fds, int max) {
    int n = 0;
    if (listener < 0 || max < 1) return 0;
    fds[n++] = (struct pollfd){listener, POLLIN, 0};
    for (int i = 0; i < ATTACH_MAX && n < max; i++)
        fds[n++] = (struct pollfd){clients[i].fd, POLLIN, 0};
    return n;
}

static void drop(struct attacher *c, int stdin_fd, int stdin_once, int *stdin_closed) {
    if (c->fd < 0) return;
    close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->len = 0;
    if (c->has_stdin && stdin_once && !*stdin_closed && stdin_fd >= 0) *stdin_closed = 1;
}

/* Writes to the container's stdin, waiting a little for room; what does not fit in a
 * second is dropped rather than stall the log. */
static void write_stdin(int fd, const unsigned char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            struct pollfd p = {fd, POLLOUT, 0};
            if (poll(&p, 1, 1000) > 0) continue;
        }
        return;
    }
}

static void frame(struct attacher *c, int type, unsigned char *data, size_t len, int stdin_fd, int master,
                  int stdin_once, int *stdin_closed) {
    switch (type) {
    case 0:
        if (stdin_fd >= 0 && !*stdin_closed) write_stdin(stdin_fd, data, len);
        break;
    case 4: {
        char text[64];
        size_t n = len < sizeof text - 1 ? len : sizeof text - 1;
        memcpy(text, data, n);
        text[n] = '\0';
        char *end;
        unsigned long cols = strtoul(text, &end, 10), rows = strtoul(end, NULL, 10);
        if (master >= 0 && cols > 0 && rows > 0 && cols < 65536 && rows < 65536) {
            struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
            ioctl(master, TIOCSWINSZ, &ws);
        }
        break;
    }
    case 5:
        if (c->has_stdin && stdin_once) *stdin_closed = 1;
        break;
    case 6:
        c->has_stdin = len > 0 && data[0] == '1';
        break;
    }
}

void attach_handle(struct pollfd *fds, int n, int stdin_fd, int master, int stdin_once, int *stdin_closed) {
    if (n < 1 || listener < 0) return;
    for (int i = 1; i < n; i++) {
        struct attacher *c = &clients[i - 1];
        if (c->fd < 0 || fds[i].fd != c->fd || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t got = read(c->fd, c->buf + c->len, FRAME_MAX + 5 - c->len);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got <= 0) {
            drop(c, stdin_fd, stdin_once, stdin_closed);
            continue;
        }
        c->len += (size_t)got;
        size_t at = 0;
        while (c->len - at >= 5) {
            unsigned char *h = c->buf + at;
            size_t len = ((size_t)h[1] << 24) | ((size_t)h[2] << 16) | ((size_t)h[3] << 8) | h[4];
            if (len > FRAME_MAX) {
                drop(c, stdin_fd, stdin_once, stdin_closed);
                break;
            }
            if (c->len - at - 5 < len) break;
            frame(c, h[0], h + 5, len, stdin_fd, master, stdin_once, stdin_closed);
            at += 5 + len;
        }
        if (c->fd >= 0) {
            memmove(c->buf, c->buf + at, c->len - at);
            c->len -= at;
        }
    }
    if (fds[0].revents & POLLIN) {
        int fd;
        while ((fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
            struct attacher *slot = NULL;
            for (int i = 0; i < ATTACH_MAX && !slot; i++)
                if (clients[i].fd < 0) slot = &clients[i];
            if (!slot || !(slot->buf = malloc(FRAME_MAX + 5))) {
                close(fd);
                continue;
            }
            int size = 1 << 20;
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
            slot->fd = fd;
            slot->has_stdin = 0;
            slot->len = 0;
        }
    }
}

void attach_broadcast(int kind, const char *buf, size_t len) {
    unsigned char head[5] = {(unsigned char)kind, (unsigned char)(len >> 24), (unsigned char)(len >> 16),
                             (unsigned char)(len >> 8), (unsigned char)len};
    for (int i = 0; i < ATTACH_MAX; i++) {
        struct attacher *c = &clients[i];
        if (c->fd < 0) continue;
        struct iovec iov[2] = {{head, 5}, {(void *)buf, len}};
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
        ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        /* A client too slow to take a whole frame is cut off rather than stall the log. */
        if (n != (ssize_t)(len + 5)) {
            close(c->fd);
            c->fd = -1;
            free(c->buf);
            c->buf = NULL;
        }
    }
}

void attach_close(const char *path) {
    for (int i = 0; i < ATTACH_MAX; i++) {
        if (clients[i].fd >= 0) close(clients[i].fd);
        clients[i].fd = -1;
    }
    if (listener >= 0) {
        close(listener);
        listener = -1;
        if (path) unlink(path);
    }
}
