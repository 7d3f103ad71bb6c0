/* The container monitor: a single-threaded poll loop that copies the container's output
 * to the CRI log, reopens the log on SIGUSR1, reaps children (it is a subreaper) and,
 * when the container exits, records the exit status. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* A line longer than this is written as partial ("P") records. */
#define LOG_LINE_MAX 16384
/* How long output is still collected after the container exits. */
#define DRAIN_NANOS 1000000000LL

struct stream {
    int fd;
    const char *name;
    size_t len;
    char buf[LOG_LINE_MAX];
};

static struct stream streams[2];
static int log_fd = -1;

/* RFC 3339 with nanoseconds in UTC: 2026-11-23T15:04:05.123456789Z (days to civil date
 * after Howard Hinnant's algorithm). */
static size_t timestamp(char *out) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long secs = ts.tv_sec, days = secs / 86400, rem = secs % 86400;
    if (rem < 0) rem += 86400, days--;
    days += 719468;
    long long era = (days >= 0 ? days : days - 146096) / 146097;
    long long doe = days - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    long long fields[] = {y, m, d, rem / 3600, rem / 60 % 60, rem % 60, ts.tv_nsec};
    static const int widths[] = {4, 2, 2, 2, 2, 2, 9};
    static const char seps[] = "--T::.Z";
    size_t at = 0;
    for (int i = 0; i < 7; i++) {
        long long v = fields[i];
        for (int w = widths[i] - 1; w >= 0; w--) {
            out[at + (size_t)w] = (char)('0' + v % 10);
            v /= 10;
        }
        at += (size_t)widths[i];
        out[at++] = seps[i];
    }
    return at;
}

static void write_record(struct stream *s, const char *text, size_t len, char tag) {
    if (log_fd < 0) return;
    char head[64];
    size_t at = timestamp(head);
    at = append(head, sizeof head, at, " ");
    at = append(head, sizeof head, at, s->name);
    head[at++] = ' ';
    head[at++] = tag;
    head[at++] = ' ';
    struct iovec iov[3] = {{head, at}, {(void *)text, len}, {"\n", 1}};
    /* One writev per record keeps records whole in an O_APPEND file. */
    ssize_t n;
    do n = writev(log_fd, iov, 3);
    while (n < 0 && errno == EINTR);
}

/* Writes every complete line in the buffer and a partial record when it is full. */
static void flush_lines(struct stream *s) {
    size_t start = 0;
    for (size_t i = 0; i < s->len; i++) {
        if (s->buf[i] != '\n') continue;
        write_record(s, s->buf + start, i - start, 'F');
        start = i + 1;
    }
    if (start > 0) {
        memmove(s->buf, s->buf + start, s->len - start);
        s->len -= start;
    }
    if (s->len == sizeof s->buf) {
        write_record(s, s->buf, s->len, 'P');
        s->len = 0;
    }
}

/* A last line without a newline is a partial line, as containerd tags it. */
static void finish_stream(struct stream *s) {
    if (s->len > 0) write_record(s, s->buf, s->len, 'P');
    s->len = 0;
    if (s->fd >= 0) close(s->fd);
    s->fd = -1;
}

static void read_stream(struct stream *s) {
    ssize_t n = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        /* EOF, or EIO from a pty master once every slave is closed. */
        finish_stream(s);
        return;
    }
    attach_broadcast(s == &streams[0] ? 1 : 2, s->buf + s->len, (size_t)n);
    s->len += (size_t)n;
    flush_lines(s);
}

/* The oom_kill count in a memory.events file; 0 when unreadable. */
static long long oom_kills(const char *path) {
    if (!path) return 0;
    char buf[1024];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = '\0';
    char *s = strstr(buf, "oom_kill ");
    if (!s) return 0;
    long long v = 0;
    for (s += 9; *s >= '0' && *s <= '9'; s++) v = v * 10 + (*s - '0');
    return v;
}

static void write_exit_file(struct plan *p, struct monitor_io *io, int status, int64_t started,
                            int64_t finished, int oom) {
    if (!p->exit_file) return;
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    int code = sig ? 128 + sig : WEXITSTATUS(status);
    char text[160], digits[24];
    digits[23] = '\0';
    size_t at = append(text, sizeof text, 0, "code ");
    at = append(text, sizeof text, at, fmt_u64(digits + 23, (unsigned)code));
    at = append(text, sizeof text, at, "\nsignal ");
    at = append(text, sizeof text, at, fmt_u64(digits + 23, (unsigned)sig));
    at = append(text, sizeof text, at, "\nstarted ");
    at = append(text, sizeof text, at, fmt_u64(digits + 23, (unsigned long long)started));
    at = append(text, sizeof text, at, "\nfinished ");
    at = append(text, sizeof text, at, fmt_u64(digits + 23, (unsigned long long)finished));
    at = append(text, sizeof text, at, oom ? "\noom 1\n" : "\noom 0\n");
    atomic_write(p->exit_file, io->exit_tmp, text, at);
}

/* stdin_once: the first attached client is done. A pipe is closed; a pty gets its EOF
 * character, as a user's ^D. */
static void close_stdin(struct plan *p, struct monitor_io *io, int in) {
    if (p->tty) {
        struct termios tio;
        char eof = 4;
        if (tcgetattr(in, &tio) == 0 && tio.c_cc[VEOF]) eof = (char)tio.c_cc[VEOF];
        if (write(in, &eof, 1) < 0) {}
    } else {
        close(in);
    }
    io->stdin_keep = -1;
}

int run_monitor(struct plan *p, struct monitor_io *io, pid_t child, int64_t started) {
    log_fd = io->log_fd;
    streams[0].fd = io->out_fd;
    streams[0].name = "stdout";
    streams[1].fd = io->err_fd;
    streams[1].name = "stderr";
    long long oom_before = oom_kills(p->memory_events);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) return 1;

    if (io->stdin_keep >= 0) fcntl(io->stdin_keep, F_SETFL, fcntl(io->stdin_keep, F_GETFL) | O_NONBLOCK);
    int stdin_closed = 0;

    int exited = 0, status = 0;
    int64_t finished = 0;
    for (;;) {
        struct pollfd fds[3 + 17] = {{sfd, POLLIN, 0}, {streams[0].fd, POLLIN, 0}, {streams[1].fd, POLLIN, 0}};
        int nattach = attach_poll_fds(fds + 3, 17);
        int timeout = -1;
        if (exited) {
            int64_t left = finished + DRAIN_NANOS - now_nanos();
            if (left <= 0 || (streams[0].fd < 0 && streams[1].fd < 0)) break;
            timeout = (int)(left / 1000000) + 1;
        }
        if (poll(fds, (nfds_t)(3 + nattach), timeout) < 0 && errno != EINTR) break;
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGUSR1) {
                    /* Log rotation: the old file was renamed; continue in a new one. */
                    int fd = open(p->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
                    if (fd >= 0) {
                        if (log_fd >= 0) close(log_fd);
                        log_fd = fd;
                    }
                } else if (si.ssi_signo == SIGCHLD) {
                    pid_t pid;
                    int st;
                    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
                        if (pid == child && !exited) {
                            exited = 1;
                            status = st;
                            finished = now_nanos();
                            /* Now only the container's own holders keep the pty open. */
                            if (io->slave_keep >= 0) close(io->slave_keep);
                            io->slave_keep = -1;
                        }
                    }
                }
                /* SIGTERM, SIGINT, SIGHUP: the monitor outlives its caller; ignored. */
            }
        }
        for (int i = 0; i < 2; i++)
            if (streams[i].fd >= 0 && (fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR))) read_stream(&streams[i]);
        /* With a tty the master is both stdin and output: gone once the output ended. */
        int master = p->tty ? streams[0].fd : -1;
        int in = stdin_closed || (p->tty && master < 0) ? -1 : io->stdin_keep;
        attach_handle(fds + 3, nattach, in, master, p->stdin_once, &stdin_closed);
        if (stdin_closed && in >= 0) close_stdin(p, io, in);
    }
    attach_close(p->attach);
    finish_stream(&streams[0]);
    finish_stream(&streams[1]);
    int oom = oom_kills(p->memory_events) > oom_before;
    write_exit_file(p, io, status, started, finished, oom);
    return 0;
}
