/* exec with a terminal: the shim opens a pty, the exec'd process gets the slave as its
 * controlling terminal, and the shim relays between its own stdio and the master. Window
 * sizes arrive on fd 4 (when berthd passes it) as "<cols> <rows>\n" lines. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* How long output is still read after the process exits. */
#define EXEC_DRAIN_MS 1000

struct exec_tty exec_term = {-1, -1, -1};

int exec_tty_open(struct exec_tty *t) {
    t->master = t->slave = -1;
    /* fd 4 is the resize pipe only when berthd passed it: nothing else is open yet. */
    t->resize = fcntl(4, F_GETFD) >= 0 ? 4 : -1;
    if (t->resize >= 0) fcntl(t->resize, F_SETFD, FD_CLOEXEC);
    t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    char name[128];
    if (t->master < 0) return fail("open pty", NULL);
    if (grantpt(t->master) != 0 || unlockpt(t->master) != 0 || ptsname_r(t->master, name, sizeof name) != 0)
        return fail("prepare pty", NULL);
    if ((t->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) return fail("open pty", name);
    return 0;
}

int exec_tty_child(struct exec_tty *t) {
    if (ioctl(t->slave, TIOCSCTTY, 0) != 0) return fail("set controlling terminal", NULL);
    if (dup2(t->slave, 0) < 0 || dup2(t->slave, 1) < 0 || dup2(t->slave, 2) < 0) return fail("dup2", "pty");
    return 0;
}

/* Applies every complete "<cols> <rows>" line in the buffer. */
static void apply_sizes(int master, char *buf, size_t *len) {
    size_t start = 0;
    for (size_t i = 0; i < *len; i++) {
        if (buf[i] != '\n') continue;
        buf[i] = '\0';
        char *end;
        unsigned long cols = strtoul(buf + start, &end, 10), rows = strtoul(end, NULL, 10);
        if (cols > 0 && rows > 0 && cols < 65536 && rows < 65536) {
            struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
            ioctl(master, TIOCSWINSZ, &ws);
        }
        start = i + 1;
    }
    memmove(buf, buf + start, *len - start);
    *len -= start;
    if (*len == 64) *len = 0;
}

static int status_code(int status) {
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int exec_tty_relay(struct exec_tty *t, pid_t child) {
    close(t->slave);
    t->slave = -1;
    int in = 0, out = 1, exited = 0, status = 0;
    int64_t finished = 0;
    char buf[16384], sizes[65];
    size_t sizes_len = 0;
    for (;;) {
        if (!exited) {
            pid_t r = waitpid(child, &status, WNOHANG);
            if (r == child) exited = 1, finished = now_nanos();
        }
        if (exited && (t->master < 0 || now_nanos() - finished > EXEC_DRAIN_MS * 1000000LL)) break;
        struct pollfd fds[3] = {{in, POLLIN, 0}, {t->master, POLLIN, 0}, {t->resize, POLLIN, 0}};
        if (poll(fds, 3, 50) < 0 && errno != EINTR) break;
        if (in >= 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(in, buf, sizeof buf);
            if (n > 0) {
                if (t->master >= 0) write_all(t->master, buf, (size_t)n);
            } else if (n == 0 || errno != EINTR) {
                /* End of input: the terminal's EOF character, as a user's ^D. */
                struct termios tio;
                char eof = 4;
                if (t->master >= 0 && tcgetattr(t->master, &tio) == 0 && tio.c_cc[VEOF]) eof = (char)tio.c_cc[VEOF];
                if (t->master >= 0) write_all(t->master, &eof, 1);
                in = -1;
            }
        }
        if (t->master >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(t->master, buf, sizeof buf);
            if (n > 0) {
                if (out >= 0 && write_all(out, buf, (size_t)n) != 0) {
                    /* Nobody reads any more: berthd or its client is gone. */
                    out = -1;
                    kill(-child, SIGKILL);
                    kill(child, SIGKILL);
                }
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                close(t->master);
                t->master = -1;
            }
        }
        if (t->resize >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(t->resize, sizes + sizes_len, 64 - sizes_len);
            if (n > 0) {
                sizes_len += (size_t)n;
                if (t->master >= 0) apply_sizes(t->master, sizes, &sizes_len);
            } else if (n == 0 || errno != EINTR) {
                close(t->resize);
                t->resize = -1;
            }
        }
    }
    if (!exited) {
        while (waitpid(child, &status, 0) < 0)
            if (errno != EINTR) return 125;
    }
    return status_code(status);
}
