/* The executor's spawn (spawn.c) as the addon (addon.c) calls it. */
#ifndef OCIRUN_SPAWN_H
#define OCIRUN_SPAWN_H
#include <stdint.h>

/* The most fds a spawn can place (bindings/libc.ts SPAWN_MAX_FDS). */
#define MAX_FDS 1024

long ocirun_spawn(int executor, const int *src, const int *dst, int n, int clone_flags, int cgroup_fd, uint8_t *stack, uint64_t stack_size);
int ocirun_clone_into_cgroup_probe(void);

#endif
