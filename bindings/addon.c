/*
 * ocirun's Node-API addon (build/ocirun.node): the few libc calls the runtime process makes, and
 * the executor's spawn (ocirun_spawn, from spawn.c, linked into the same module).
 *
 * Why an addon and not koffi for these: a CLI call pays for loading its FFI. koffi's native
 * module (1.1 MB) took 3–5 ms to load and declaring the functions another 1–2 ms, of a ~15 ms
 * budget per call; this module loads in ~0.3 ms. koffi stays the FFI for libraries with a wide
 * surface (libseccomp, bindings/libseccomp.ts).
 *
 * Convention: a call returns its result (>= 0) or -errno; bindings/libc.ts turns -errno into an
 * error that names the system call. Nothing here keeps state, blocks longer than the call it
 * wraps, or touches V8 memory from another thread.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/*
 * System calls whose glibc wrappers are newer than the oldest glibc the prebuilt addon supports
 * (2.17) go through syscall(2); numbers for headers that predate them.
 */
#ifndef SYS_memfd_create
#if defined(__x86_64__)
#define SYS_memfd_create 319
#elif defined(__aarch64__)
#define SYS_memfd_create 279
#endif
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1u
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_SEAL_SEAL 1
#define F_SEAL_SHRINK 2
#define F_SEAL_GROW 4
#define F_SEAL_WRITE 8
#endif

#include "spawn.h"
uint32_t ocirun_program_version(void);

#define MAX_ARGS 5
#define MAX_PATH 4096
/* The vfork-style child runs on this until it execs; the caller is suspended meanwhile. */
#define SPAWN_STACK (32 * 1024)

static napi_value number(napi_env env, double v)
{
	napi_value r;
	napi_create_double(env, v, &r);
	return r;
}

/* [v0, v1, ...] as a JS array of numbers. */
static napi_value numbers(napi_env env, const double *v, uint32_t n)
{
	napi_value r;
	napi_create_array_with_length(env, n, &r);
	for (uint32_t i = 0; i < n; i++)
		napi_set_element(env, r, i, number(env, v[i]));
	return r;
}

/* Throws a TypeError "ocirun.node: <fn>: <what>"; returns NULL for the caller to return. */
static napi_value fail_type(napi_env env, const char *fn, const char *what)
{
	char msg[160];
	snprintf(msg, sizeof(msg), "ocirun.node: %s: %s", fn, what);
	napi_throw_type_error(env, NULL, msg);
	return NULL;
}

/*
 * The call's `want` arguments into argv, and the integers among them (from index `first` on)
 * into ints; fails with a TypeError naming the call unless exactly so many, of those types, were
 * passed.
 */
static int args(napi_env env, napi_callback_info info, const char *fn, size_t want, napi_value *argv, size_t first, int32_t *ints)
{
	size_t argc = MAX_ARGS;
	napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
	if (argc != want) {
		fail_type(env, fn, "wrong number of arguments");
		return 0;
	}
	for (size_t i = first; ints && i < want; i++) {
		if (napi_get_value_int32(env, argv[i], &ints[i - first]) != napi_ok) {
			fail_type(env, fn, "expected a number");
			return 0;
		}
	}
	return 1;
}

/* A string argument as a C string: refused (not cut short) when too long or holding a NUL. */
static int path_arg(napi_env env, const char *fn, napi_value v, char *out)
{
	size_t len;
	if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
		fail_type(env, fn, "expected a string");
		return 0;
	}
	if (len >= MAX_PATH) {
		char msg[160];
		snprintf(msg, sizeof(msg), "ocirun.node: %s: path too long (%zu bytes, at most %d)", fn, len, MAX_PATH - 1);
		napi_throw_range_error(env, NULL, msg);
		return 0;
	}
	napi_get_value_string_utf8(env, v, out, MAX_PATH, &len);
	if (memchr(out, 0, len) != NULL) {
		fail_type(env, fn, "a path cannot contain a NUL byte");
		return 0;
	}
	return 1;
}

static long result(long r)
{
	return r < 0 ? -errno : r;
}

/* Declares argv and n integer arguments i[0..n-1] (all arguments integers), or returns. */
#define INT_ARGS(fn, n)                                                \
	napi_value argv[MAX_ARGS];                                         \
	int32_t i[n];                                                      \
	if (!args(env, info, fn, n, argv, 0, i))                           \
		return NULL

/* programVersion(): the program layout the executor in this build reads. */
static napi_value program_version(napi_env env, napi_callback_info info)
{
	(void)info;
	return number(env, ocirun_program_version());
}

/* spawn(executorFd, src: Int32Array, dst: Int32Array, cloneFlags, cgroupFd (-1: none)) -> pid | -errno */
static napi_value spawn(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	int32_t executor, ints[2];
	int32_t *fds[2];
	size_t lengths[2];
	if (!args(env, info, "spawn", 5, argv, 3, ints))
		return NULL;
	if (napi_get_value_int32(env, argv[0], &executor) != napi_ok)
		return fail_type(env, "spawn", "expected the executor's fd");
	for (int k = 0; k < 2; k++) {
		napi_typedarray_type type;
		void *data;
		if (napi_get_typedarray_info(env, argv[1 + k], &type, &lengths[k], &data, NULL, NULL) != napi_ok || type != napi_int32_array)
			return fail_type(env, "spawn", "fds must be Int32Arrays");
		fds[k] = data;
	}
	if (lengths[0] != lengths[1] || lengths[0] < 1 || lengths[0] > MAX_FDS)
		return fail_type(env, "spawn", "src and dst must have the same length, 1 to 1024");
	uint8_t stack[SPAWN_STACK] __attribute__((aligned(16)));
	return number(env, ocirun_spawn(executor, fds[0], fds[1], (int)lengths[0], ints[0], ints[1], stack, sizeof(stack)));
}

/* cloneIntoCgroupProbe() -> 0 | errno: can a spawn start the executor in a cgroup (spawn.c)? */
static napi_value clone_into_cgroup_probe(napi_env env, napi_callback_info info)
{
	(void)info;
	return number(env, ocirun_clone_into_cgroup_probe());
}

/* socketpair() -> [fd, fd] | -errno: unix stream sockets, close-on-exec. */
static napi_value socket_pair(napi_env env, napi_callback_info info)
{
	(void)info;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return number(env, -errno);
	return numbers(env, (double[]){ sv[0], sv[1] }, 2);
}

/* pipe() -> [read fd, write fd] | -errno, close-on-exec: a container's piped stdio. */
static napi_value make_pipe(napi_env env, napi_callback_info info)
{
	(void)info;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return number(env, -errno);
	return numbers(env, (double[]){ fds[0], fds[1] }, 2);
}

/* memfdCreate(name, flags) -> fd | -errno (close-on-exec; flags: MFD_ALLOW_SEALING) */
static napi_value memfd(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	char name[MAX_PATH];
	int32_t flags;
	if (!args(env, info, "memfdCreate", 2, argv, 1, &flags) || !path_arg(env, "memfdCreate", argv[0], name))
		return NULL;
	return number(env, result(syscall(SYS_memfd_create, name, MFD_CLOEXEC | (unsigned)flags)));
}

/* seal(fd) -> 0 | -errno: a memfd can no longer be written, resized or unsealed. */
static napi_value seal(napi_env env, napi_callback_info info)
{
	INT_ARGS("seal", 1);
	return number(env, result(fcntl(i[0], F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)));
}

/* mkfifo(path, mode) -> 0 | -errno */
static napi_value make_fifo(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	char path[MAX_PATH];
	int32_t mode;
	if (!args(env, info, "mkfifo", 2, argv, 1, &mode) || !path_arg(env, "mkfifo", argv[0], path))
		return NULL;
	return number(env, result(mkfifo(path, (mode_t)mode)));
}

/* kill(pid, signal) -> 0 | -errno */
static napi_value kill_pid(napi_env env, napi_callback_info info)
{
	INT_ARGS("kill", 2);
	return number(env, result(kill(i[0], i[1])));
}

/* pidfdOpen(pid) -> fd | -errno */
static napi_value pidfd_open(napi_env env, napi_callback_info info)
{
	INT_ARGS("pidfdOpen", 1);
	return number(env, result(syscall(SYS_pidfd_open, i[0], 0)));
}

/* pidfdSendSignal(pidfd, signal) -> 0 | -errno */
static napi_value pidfd_send_signal(napi_env env, napi_callback_info info)
{
	INT_ARGS("pidfdSendSignal", 2);
	return number(env, result(syscall(SYS_pidfd_send_signal, i[0], i[1], NULL, 0)));
}

/* waitid(pid, options) -> [pid, code, status] (pid 0: nothing to report yet) | -errno */
static napi_value wait_id(napi_env env, napi_callback_info info)
{
	INT_ARGS("waitid", 2);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)i[0], &si, i[1]) != 0)
		return number(env, -errno);
	return numbers(env, (double[]){ si.si_pid, si.si_code, si.si_status }, 3);
}

/* waitpid(pid) -> wait status | -errno: blocks, for a child known to exit at once. */
static napi_value wait_pid(napi_env env, napi_callback_info info)
{
	INT_ARGS("waitpid", 1);
	int status;
	pid_t r;
	while ((r = waitpid(i[0], &status, 0)) < 0 && errno == EINTR)
		;
	return number(env, r < 0 ? -errno : status);
}

/* poll(fd, timeoutMs) -> 1 readable or hung up, 0 timed out | -errno (EINTR included) */
static napi_value poll_in(napi_env env, napi_callback_info info)
{
	INT_ARGS("poll", 2);
	struct pollfd p = { .fd = i[0], .events = POLLIN };
	return number(env, result(poll(&p, 1, i[1])));
}

/* flock(fd, operation) -> 0 | -errno */
static napi_value file_lock(napi_env env, napi_callback_info info)
{
	INT_ARGS("flock", 2);
	int r;
	while ((r = flock(i[0], i[1])) < 0 && errno == EINTR)
		;
	return number(env, r < 0 ? -errno : 0);
}

/* setChildSubreaper(on) -> 0 | -errno: orphaned descendants are re-parented to this process. */
static napi_value child_subreaper(napi_env env, napi_callback_info info)
{
	INT_ARGS("setChildSubreaper", 1);
	return number(env, result(prctl(PR_SET_CHILD_SUBREAPER, (unsigned long)(i[0] != 0), 0, 0, 0)));
}

/* pidfdGetfd(pidfd, fd) -> a copy of the process's fd (close-on-exec) | -errno */
static napi_value pidfd_getfd(napi_env env, napi_callback_info info)
{
	INT_ARGS("pidfdGetfd", 2);
	return number(env, result(syscall(SYS_pidfd_getfd, i[0], i[1], 0)));
}

/*
 * seccompProbe(operation, flags, action) -> seccomp(2)'s result | -errno, asking the kernel what
 * it supports without installing anything: SECCOMP_GET_ACTION_AVAIL with the action, or
 * SECCOMP_SET_MODE_FILTER with a NULL program (EFAULT: the flags are known; EINVAL: they are not).
 */
static napi_value seccomp_probe(napi_env env, napi_callback_info info)
{
	INT_ARGS("seccompProbe", 3);
	uint32_t action = (uint32_t)i[2];
	void *arg = i[0] == 2 ? (void *)&action : NULL;
	return number(env, result(syscall(SYS_seccomp, i[0], (unsigned)i[1], arg)));
}

/*
 * strerror(errno) -> the C library's message. strerror, not strerror_r: glibc's strerror_r (GNU,
 * returns the text) and musl's (POSIX, returns an int) differ; both libraries' strerror return a
 * constant string for every errno they know.
 */
static napi_value error_text(napi_env env, napi_callback_info info)
{
	INT_ARGS("strerror", 1);
	napi_value r;
	napi_create_string_utf8(env, strerror(i[0]), NAPI_AUTO_LENGTH, &r);
	return r;
}

/* libuv's, exported by node (Node-API gives the loop, uv.h is not among its headers). */
struct uv_loop_s;
int uv_backend_fd(const struct uv_loop_s *loop);

/*
 * waitExit(pidfd) -> 1 when the process has exited, 0 when Node's event loop has work (a signal
 * to handle, say), -errno. Sleeps in poll(2) on the pidfd and on libuv's own epoll fd together:
 * a caller that blocks here wakes for the I/O and signals the loop watches, once the loop has run
 * (libuv adds its fds to the epoll fd then).
 */
static napi_value wait_exit(napi_env env, napi_callback_info info)
{
	INT_ARGS("waitExit", 1);
	struct uv_loop_s *loop;
	if (napi_get_uv_event_loop(env, &loop) != napi_ok)
		return number(env, -EINVAL);
	struct pollfd p[2] = { { .fd = i[0], .events = POLLIN }, { .fd = uv_backend_fd(loop), .events = POLLIN } };
	if (poll(p, 2, -1) < 0)
		return number(env, errno == EINTR ? 0 : -errno);
	if (p[0].revents & POLLNVAL)
		return number(env, -EBADF);
	return number(env, p[0].revents ? 1 : 0);
}

#include "addon-sockets.h"
#include "addon-terminal.h"
#include "addon-bpf.h"

/* exit(status): ends the process at once with _exit(2): no atexit handlers, no Node teardown. */
static napi_value exit_now(napi_env env, napi_callback_info info)
{
	INT_ARGS("exit", 1);
	_exit(i[0] & 0xff);
}

NAPI_MODULE_INIT()
{
	static const struct {
		const char *name;
		napi_callback fn;
	} table[] = {
		{ "programVersion", program_version }, { "spawn", spawn }, { "cloneIntoCgroupProbe", clone_into_cgroup_probe }, { "socketpair", socket_pair },
		{ "memfdCreate", memfd }, { "seal", seal }, { "mkfifo", make_fifo }, { "kill", kill_pid },
		{ "pidfdOpen", pidfd_open }, { "pidfdSendSignal", pidfd_send_signal }, { "waitid", wait_id },
		{ "waitpid", wait_pid }, { "poll", poll_in }, { "flock", file_lock }, { "strerror", error_text },
		{ "waitExit", wait_exit }, { "exit", exit_now }, { "pipe", make_pipe },
		{ "setChildSubreaper", child_subreaper },
		{ "pidfdGetfd", pidfd_getfd },
		{ "sendWithFd", send_with_fd }, { "seccompProbe", seccomp_probe },
		{ "connectUnix", connect_unix },
		{ "recvFd", recv_fd }, { "setWinsize", set_winsize }, { "getWinsize", get_winsize },
		{ "makeRaw", make_raw }, { "restoreTerminal", restore_terminal },
		{ "bpfProgLoad", bpf_prog_load }, { "bpfProgAttach", bpf_prog_attach }, { "bpfProgQuery", bpf_prog_query },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		napi_value fn;
		if (napi_create_function(env, table[i].name, NAPI_AUTO_LENGTH, table[i].fn, NULL, &fn) != napi_ok ||
		    napi_set_named_property(env, exports, table[i].name, fn) != napi_ok)
			return NULL;
	}
	return exports;
}
