/* Failures and the report line on fd 3. A child records a failure as a stage text and
 * an errno with plain memory copies (no allocation after fork) and sends the struct to
 * its parent over a close-on-exec pipe; the parent formats the report. */
#include "shim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct failure last_failure;
static int report_fd = 3;

void set_report_fd(int fd) { report_fd = fd; }

static int record(const char *what, const char *arg, const char *num, int err) {
    size_t at = append(last_failure.stage, sizeof last_failure.stage, 0, what);
    if (arg) {
        at = append(last_failure.stage, sizeof last_failure.stage, at, " ");
        at = append(last_failure.stage, sizeof last_failure.stage, at, arg);
    }
    if (num) {
        at = append(last_failure.stage, sizeof last_failure.stage, at, " ");
        append(last_failure.stage, sizeof last_failure.stage, at, num);
    }
    last_failure.err = err;
    return -1;
}

int fail(const char *what, const char *arg) { return record(what, arg, NULL, errno ? errno : EIO); }

int fail_num(const char *what, unsigned long long n) {
    int err = errno ? errno : EIO;
    char digits[24];
    digits[23] = '\0';
    return record(what, NULL, fmt_u64(digits + 23, n), err);
}

int fail_msg(const char *text) { return record(text, NULL, NULL, 0); }

void send_failure(int fd) { write_all(fd, &last_failure, sizeof last_failure); }

int receive_failure(int fd, struct failure *f) {
    size_t got = 0;
    while (got < sizeof *f) {
        ssize_t n = read(fd, (char *)f + got, sizeof *f - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    if (got < sizeof *f) return 0;
    f->stage[sizeof f->stage - 1] = '\0';
    return 1;
}

void report_failure(const struct failure *f) {
    char line[sizeof f->stage + 200];
    if (f->err) {
        const char *name = strerrorname_np(f->err);
        snprintf(line, sizeof line, "error %s: %s (%s)\n", f->stage, name ? name : "EUNKNOWN", strerror(f->err));
    } else {
        snprintf(line, sizeof line, "error %s\n", f->stage);
    }
    write_all(report_fd, line, strlen(line));
}

void report_ok(pid_t a, pid_t b) {
    char line[64];
    if (b > 0) snprintf(line, sizeof line, "ok %d %d\n", (int)a, (int)b);
    else snprintf(line, sizeof line, "ok %d\n", (int)a);
    write_all(report_fd, line, strlen(line));
}

void report_close(void) {
    if (report_fd > 2) close(report_fd);
    report_fd = -1;
}
