// GNU extensions the shim launcher needs that the Glibc module does not expose.
#ifndef BERTH_SPAWN_H
#define BERTH_SPAWN_H

#include <spawn.h>

/// pipe2(fds, O_CLOEXEC).
int berth_pipe_cloexec(int fds[2]);
/// posix_spawn_file_actions_addclosefrom_np: close every fd >= from in the child.
int berth_spawn_closefrom(posix_spawn_file_actions_t *actions, int from);

#endif
