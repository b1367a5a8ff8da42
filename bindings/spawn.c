/*
 * The executor's spawn, linked into the Node-API addon (bindings/addon.c): the runtime process
 * starts every executor here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include "raw-syscall.h"
#include "spawn.h"

/*
 * Start `executor <fd>` in a new process and return its pid, or -errno. `executor` is an fd on
 * the executor program, a sealed memfd (bindings/libc.ts): it is exec'd with execveat, so that
 * /proc/<pid>/exe of every process it becomes, inside a container too, is that sealed copy and
 * never a file of the host (runc's CVE-2019-5736).
 *
 * posix_spawn's technique: CLONE_VM | CLONE_VFORK shares Node's memory instead of copying its
 * page tables (a cost that grows with the size of the Node process), and suspends this thread
 * until the child has exec'd. The child runs on `stack`, touches no V8 memory, and execs with
 * all signals blocked (the executor resets them).
 *
 * The fds: src[i] becomes dst[i] in the executor (Node opens everything close-on-exec, even 0-2;
 * src == dst just keeps the fd). Moving the runtime's fds to fixed numbers makes a program
 * independent of the fd numbers of the Node process, so a planned program can be reused.
 * Pair 0 is the program itself: its dst is the fd named in the executor's argv.
 *
 * `clone_flags` (CLONE_NEW*): the executor starts in new namespaces, as the container process
 * itself, so the program needs no fork of its own (possible when it joins no namespace by path:
 * joins must come before the namespaces they own).
 *
 * `cgroup_fd` (>= 0): the executor is born in that cgroup v2 directory (clone3 with
 * CLONE_INTO_CGROUP), so it joins the unified hierarchy without a write to cgroup.procs, whose
 * lock makes the writer wait for an RCU grace period.
 */
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>

#ifndef SYS_execveat
#if defined(__x86_64__)
#define SYS_execveat 322
#elif defined(__aarch64__)
#define SYS_execveat 281
#endif
#endif
#define EMPTY_PATH 0x1000 /* AT_EMPTY_PATH */
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

struct spawn_args {
	int executor;
	char *const *argv;
	const int *src;
	const int *dst;
	int n;
};

static int spawn_child(void *arg)
{
	const struct spawn_args *a = arg;
	int tmp[MAX_FDS];
	int floor = 0;
	for (int i = 0; i < a->n; i++) {
		if (a->src[i] >= floor)
			floor = a->src[i] + 1;
		if (a->dst[i] >= floor)
			floor = a->dst[i] + 1;
	}
	/* Nothing of the caller's but the fds listed: an fd it inherited without close-on-exec (a
	 * shell's `exec 20<dir`) would otherwise reach the executor, and through /proc/self/fd/20
	 * the container a host directory. Listed fds lose the flag below. */
	if (sys(SYS_close_range, 0, ~0U, CLOSE_RANGE_CLOEXEC, 0, 0, 0) != 0)
		sys(SYS_exit, 127, 0, 0, 0, 0, 0);
	/* The executor's fd above all of them first: a dst may be its number. */
	int executor = (int)sys(SYS_fcntl, a->executor, F_DUPFD_CLOEXEC, floor, 0, 0, 0);
	if (executor < 0)
		sys(SYS_exit, 127, 0, 0, 0, 0, 0);
	floor = executor + 1;
	/* Then every moved fd to a number above all of them (close-on-exec), then down to its
	 * place: a dst may be another pair's src. */
	for (int i = 0; i < a->n; i++) {
		tmp[i] = a->src[i];
		if (a->src[i] != a->dst[i] && (tmp[i] = (int)sys(SYS_fcntl, a->src[i], F_DUPFD_CLOEXEC, floor, 0, 0, 0)) < 0)
			sys(SYS_exit, 127, 0, 0, 0, 0, 0);
	}
	for (int i = 0; i < a->n; i++) {
		long r = a->src[i] == a->dst[i] ? sys(SYS_fcntl, a->src[i], F_SETFD, 0, 0, 0, 0) : sys(SYS_dup3, tmp[i], a->dst[i], 0, 0, 0, 0);
		if (r < 0)
			sys(SYS_exit, 127, 0, 0, 0, 0, 0);
	}
	char *const envp[] = { NULL };
	sys(SYS_execveat, executor, (long)"", (long)a->argv, (long)envp, EMPTY_PATH, 0);
	sys(SYS_exit, 127, 0, 0, 0, 0, 0);
	return 127;
}

/* The fields of struct clone_args up to `cgroup` (CLONE_ARGS_SIZE_VER2, Linux 5.7). */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
#define CLONE3_INTO_CGROUP 0x200000000ULL

/*
 * clone3 has no libc wrapper that runs a function: the child starts on the new stack with the
 * caller's registers, so it must not return through this function's frame. The trampoline keeps
 * fn and arg in registers the system call preserves, and in the child calls fn(arg), then exits
 * with its value. Returns the pid or -errno in the parent. clone3 is 435 on x86_64 and aarch64 alike.
 */
long ocirun_clone3_run(struct clone3_args *args, uint64_t size, int (*fn)(void *), void *arg) __attribute__((visibility("hidden")));
#if defined(__x86_64__)
__asm__(".text\n.globl ocirun_clone3_run\n.hidden ocirun_clone3_run\n.type ocirun_clone3_run,@function\n"
	"ocirun_clone3_run:\n"
	"\tmov %rdx, %r9\n\tmov %rcx, %r8\n\tmov $435, %eax\n\tsyscall\n"
	"\ttest %rax, %rax\n\tjz 1f\n\tret\n"
	"1:\txor %ebp, %ebp\n\tand $-16, %rsp\n\tmov %r8, %rdi\n\tcall *%r9\n"
	"\tmov %eax, %edi\n\tmov $60, %eax\n\tsyscall\n\thlt\n"
	".size ocirun_clone3_run, .-ocirun_clone3_run\n");
#elif defined(__aarch64__)
__asm__(".text\n.globl ocirun_clone3_run\n.hidden ocirun_clone3_run\n.type ocirun_clone3_run,%function\n"
	"ocirun_clone3_run:\n"
	"\tmov x9, x2\n\tmov x10, x3\n\tmov x8, #435\n\tsvc #0\n"
	"\tcbz x0, 1f\n\tret\n"
	"1:\tmov x11, sp\n\tand x11, x11, #-16\n\tmov sp, x11\n\tmov x29, #0\n\tmov x30, #0\n\tmov x0, x10\n\tblr x9\n"
	"\tmov x8, #93\n\tsvc #0\n\tbrk #0\n"
	".size ocirun_clone3_run, .-ocirun_clone3_run\n");
#endif

long ocirun_spawn(int executor, const int *src, const int *dst, int n, int clone_flags, int cgroup_fd, uint8_t *stack, uint64_t stack_size)
{
	/* Every signal blocked, glibc's internal ones too, as posix_spawn does, with the raw system
	 * call: pthread_sigmask moved into libc.so in glibc 2.32, so calling it would require that. */
	uint64_t all = ~(uint64_t)0, saved;
	char fd_text[16];
	long pid;

	if (n < 1 || n > MAX_FDS)
		return -EINVAL;
	snprintf(fd_text, sizeof(fd_text), "%d", dst[0]);
	char *const argv[] = { (char *)"ocirun-executor", fd_text, NULL };
	struct spawn_args a = { executor, argv, src, dst, n };
	if (sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&saved, sizeof(all), 0, 0) != 0)
		return -EINVAL;
	if (cgroup_fd >= 0) {
		struct clone3_args ca = {
			.flags = CLONE_VM | CLONE_VFORK | (uint64_t)(unsigned)clone_flags | CLONE3_INTO_CGROUP,
			.exit_signal = SIGCHLD,
			.stack = (uint64_t)(uintptr_t)stack,
			.stack_size = stack_size,
			.cgroup = (uint64_t)cgroup_fd,
		};
		pid = ocirun_clone3_run(&ca, sizeof(ca), spawn_child, &a);
	} else {
		pid = clone(spawn_child, stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD | clone_flags, &a);
		if (pid < 0)
			pid = -errno;
	}
	sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&saved, 0, sizeof(saved), 0, 0);
	return pid;
}

/*
 * Can this kernel, under this process's seccomp filter, start a process in a cgroup? 0 if so,
 * else the errno that says why not. Asked with an fd that cannot be open: a kernel that knows
 * CLONE_INTO_CGROUP (5.7) fails with EBADF before any process exists; an older one with E2BIG or
 * EINVAL, one without clone3 (or a filter that refuses it, as container engines' default
 * profiles do) with ENOSYS or EPERM.
 */
int ocirun_clone_into_cgroup_probe(void)
{
	uint8_t stack[256] __attribute__((aligned(16)));
	struct clone3_args ca = {
		.flags = CLONE_VM | CLONE_VFORK | CLONE3_INTO_CGROUP,
		.exit_signal = SIGCHLD,
		.stack = (uint64_t)(uintptr_t)stack,
		.stack_size = sizeof(stack),
		.cgroup = 0x7fffffff,
	};
	long r = ocirun_clone3_run(&ca, sizeof(ca), NULL, NULL);
	if (r == -EBADF)
		return 0;
	return r < 0 ? (int)-r : EINVAL;
}
