/* berth-shim <infra|run|exec> <plan-file>: carries out a plan written by berthd and
 * reports "ok <pid> [<pid>]" or "error <stage>: ..." on fd 3. */
#include "shim.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    /* Stdio always open, so no pipe or file we open lands on fd 0-2. */
    int fd;
    while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2) {}
    if (fd > 2) close(fd);
    if (fcntl(3, F_SETFD, FD_CLOEXEC) != 0) set_report_fd(2);
    signal(SIGPIPE, SIG_IGN);
    umask(022);

    struct plan plan;
    enum shim_mode mode;
    if (argc != 3) {
        fail_msg("usage: berth-shim <infra|run|exec> <plan-file>");
        report_failure(&last_failure);
        return 125;
    }
    if (!strcmp(argv[1], "infra")) mode = MODE_INFRA;
    else if (!strcmp(argv[1], "run")) mode = MODE_RUN;
    else if (!strcmp(argv[1], "exec")) mode = MODE_EXEC;
    else {
        fail("unknown mode", argv[1]);
        last_failure.err = 0;
        report_failure(&last_failure);
        return 125;
    }
    int rc = plan_load(&plan, mode, argv[2]);
    if (rc == 0) {
        switch (mode) {
        case MODE_INFRA: rc = mode_infra(&plan); break;
        case MODE_RUN: rc = mode_run(&plan); break;
        case MODE_EXEC: rc = mode_exec(&plan); break;
        }
    }
    if (rc != 0) {
        report_failure(&last_failure);
        return mode == MODE_EXEC ? 125 : 1;
    }
    return 0;
}
