#define _GNU_SOURCE
#include "berth_spawn.h"

#include <fcntl.h>
#include <unistd.h>

int berth_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int berth_spawn_closefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
