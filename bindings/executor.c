/*
 * The ocirun executor: runs a syscall program, built by the TypeScript planner, inside a child
 * cloned from the Node process.
 *
 * Why native: Node's V8 heap pages are MADV_DONTFORK, so no JavaScript can run in a cloned child.
 * Why so small: all policy lives in TypeScript. This file knows nothing about containers; it only
 * walks an array of ops, each a raw syscall with its arguments, and reports {op index, errno} on
 * failure. It allocates nothing and parses no strings. The layout below is mirrored, byte for
 * byte, by bindings/program.ts; change both together (the version field guards against skew).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>

#include "raw-syscall.h"
#include "copy-tree.h"

#define PROGRAM_MAGIC 0x5849434fu /* "OCIX" */
/* Also names the addon's interface (bindings/libc.ts accepts only native parts that speak it):
 * raised when either changes (4: spawn takes a cgroup fd). */
#define PROGRAM_VERSION 4u

enum op_kind {
	OP_SYSCALL = 0, /* r = syscall(nr, args...) */
	OP_FORK = 1,    /* fork; the parent reports the child's pid on the report fd and exits */
	OP_TEST = 2,    /* compare a value in the program memory; fail or skip ops when it matches */
	OP_COPY_TREE = 3, /* copy a directory's contents into another (tmpcopyup): copy-tree.h */
};

enum arg_kind {
	ARG_IMMEDIATE = 0, /* the value itself */
	ARG_POINTER = 1,   /* an offset into the program: passed as base + offset */
	ARG_REGISTER = 2,  /* the saved result of an earlier op */
};

#define OP_FLAG_NONZERO 1u /* a result of 0 is a failure (a read that hit end of file) */
#define OP_FLAG_TEST_INVERT 2u /* OP_TEST: act when the value does NOT match */
/* Retry EAGAIN: openat2's RESOLVE_* lookups fail with it when a rename anywhere on the system
 * raced the walk (the kernel asks the caller to try again). Bounded; once the retries are used
 * up the errno is reported with ERR_RETRIES_EXHAUSTED set, so the error can say so. */
#define OP_FLAG_RETRY_EAGAIN 4u
#define EAGAIN_RETRIES 128
#define ERR_RETRIES_EXHAUSTED 0x10000

#define NO_REGISTER 0xffu
#define NREGISTERS 255
#define MAX_TOLERATED 4

/* Messages to the parent are 8 bytes: {u32 tag, i32 value}. A tag below MSG_BASE is an op index. */
#define MSG_PID 0xfffffffeu

struct op {
	uint32_t kind;
	uint32_t nr;
	uint64_t args[6];
	uint8_t arg_kind[6];
	uint8_t save_register;
	uint8_t flags;
	uint16_t tolerated[MAX_TOLERATED];
	uint16_t skip_on_success;
	uint16_t skip_on_tolerated;
	uint16_t patch_first;
	uint16_t patch_count;
};
_Static_assert(sizeof(struct op) == 80, "struct op layout is shared with bindings/program.ts");

/* Before an op runs, write a register into the program memory (e.g. an fd inside a struct). */
struct patch {
	uint32_t offset;
	uint8_t reg;
	uint8_t width; /* 4 or 8 */
	uint16_t reserved;
};
_Static_assert(sizeof(struct patch) == 8, "struct patch layout is shared with bindings/program.ts");

struct program {
	uint32_t magic;
	uint32_t version;
	uint32_t op_count;
	uint32_t relocation_count;
	uint32_t patch_count;
	int32_t report_fd;
	uint32_t ops_offset;
	uint32_t relocations_offset;
	uint32_t patches_offset;
	uint32_t size;
};
_Static_assert(sizeof(struct program) == 40, "struct program layout is shared with bindings/program.ts");

struct message {
	uint32_t tag;
	int32_t value;
};

static void report(int fd, uint32_t tag, int32_t value)
{
	struct message m = { tag, value };
	/* Best effort: if the parent is gone there is nobody to tell. */
	(void)sys(SYS_write, fd, (long)&m, sizeof(m), 0, 0, 0);
}

static __attribute__((noreturn, unused)) void fail(const struct program *p, uint32_t index, int err)
{
	report(p->report_fd, index, err);
	sys(SYS_exit_group, 127, 0, 0, 0, 0, 0);
	__builtin_unreachable();
}

static int tolerated(const struct op *op, int err)
{
	for (int i = 0; i < MAX_TOLERATED; i++)
		if (op->tolerated[i] != 0 && op->tolerated[i] == err)
			return 1;
	return 0;
}

static uint64_t load(const uint8_t *at, uint64_t width)
{
	uint64_t v = 0;
	if (width == 8)
		memcpy(&v, at, 8);
	else if (width == 2) {
		uint16_t w;
		memcpy(&w, at, 2);
		v = w;
	} else {
		uint32_t w;
		memcpy(&w, at, 4);
		v = w;
	}
	return v;
}

static __attribute__((noreturn, unused)) void run_program(uint8_t *base)
{
	struct program *p = (struct program *)base;
	struct op *ops = (struct op *)(base + p->ops_offset);
	const uint32_t *relocations = (const uint32_t *)(base + p->relocations_offset);
	const struct patch *patches = (const struct patch *)(base + p->patches_offset);
	int64_t regs[NREGISTERS] = { 0 };

	/* Pointers stored inside the program (argv arrays, iovecs) are offsets until made absolute
	 * here, in the child's own copy of the memory. */
	for (uint32_t i = 0; i < p->relocation_count; i++) {
		uint64_t v;
		memcpy(&v, base + relocations[i], 8);
		v += (uint64_t)(uintptr_t)base;
		memcpy(base + relocations[i], &v, 8);
	}

	for (uint32_t i = 0; i < p->op_count; i++) {
		const struct op *op = &ops[i];
		uint64_t a[6];
		long r;

		for (uint16_t k = 0; k < op->patch_count; k++) {
			const struct patch *pt = &patches[op->patch_first + k];
			int64_t v = regs[pt->reg % NREGISTERS];
			if (pt->width == 8)
				memcpy(base + pt->offset, &v, 8);
			else {
				int32_t w = (int32_t)v;
				memcpy(base + pt->offset, &w, 4);
			}
		}
		for (int k = 0; k < 6; k++) {
			switch (op->arg_kind[k]) {
			case ARG_POINTER:
				a[k] = (uint64_t)(uintptr_t)(base + op->args[k]);
				break;
			case ARG_REGISTER:
				a[k] = (uint64_t)regs[op->args[k] % NREGISTERS];
				break;
			default:
				a[k] = op->args[k];
			}
		}

		switch (op->kind) {
		case OP_SYSCALL:
			r = sys(op->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
			if (op->flags & OP_FLAG_RETRY_EAGAIN)
				for (int t = 0; r == -EAGAIN && t < EAGAIN_RETRIES; t++)
					r = sys(op->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
			if (sys_failed(r)) {
				int err = (int)-r;
				if (!tolerated(op, err))
					fail(p, i, err == EAGAIN && (op->flags & OP_FLAG_RETRY_EAGAIN) ? err | ERR_RETRIES_EXHAUSTED : err);
				if (op->save_register != NO_REGISTER)
					regs[op->save_register % NREGISTERS] = -err;
				i += op->skip_on_tolerated;
				continue;
			}
			if (r == 0 && (op->flags & OP_FLAG_NONZERO))
				fail(p, i, 0);
			if (op->save_register != NO_REGISTER)
				regs[op->save_register % NREGISTERS] = r;
			i += op->skip_on_success;
			break;
		case OP_FORK: {
			/* args[0]: clone flags: the new namespaces, and CLONE_PARENT so the container
			 * process becomes the runtime's own child. Creating or joining a pid namespace
			 * only ever affects children of the caller, hence a fork. */
			r = sys(SYS_clone, (long)(a[0] | SIGCHLD), 0, 0, 0, 0, 0);
			if (sys_failed(r))
				fail(p, i, (int)-r);
			if (r > 0) {
				report(p->report_fd, MSG_PID, (int32_t)r);
				sys(SYS_exit_group, 0, 0, 0, 0, 0, 0);
			}
			break;
		}
		case OP_TEST: {
			/* args: [0] pointer, [1] width, [2] mask, [3] value, [4] errno to fail with (0: skip
			 * skip_on_success ops instead) */
			uint64_t v = load((const uint8_t *)(uintptr_t)a[0], a[1]) & a[2];
			int match = (v == a[3]);
			if (op->flags & OP_FLAG_TEST_INVERT)
				match = !match;
			if (match) {
				if (a[4] != 0)
					fail(p, i, (int)a[4]);
				i += op->skip_on_success;
			}
			break;
		}
		case OP_COPY_TREE: {
			/* args: [0] source directory fd, [1] destination directory fd (both closed) */
			int err = copy_tree((int)a[0], (int)a[1], 0);
			if (err)
				fail(p, i, err);
			break;
		}
		default:
			fail(p, i, EINVAL);
		}
	}
	/* A program must end in execve; running off its end is a planner bug. */
	fail(p, p->op_count, ENOEXEC);
}

/* Reset every signal to its default and unblock them all. Raw syscalls: glibc's wrapper refuses
 * the two signals it reserves, and an ignored signal would otherwise survive execve. */
static __attribute__((unused)) void reset_signals(void)
{
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} dfl = { SIG_DFL, 0, NULL, 0 };
	for (int sig = 1; sig < 65; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sys(SYS_rt_sigaction, sig, (long)&dfl, 0, 8, 0, 0);
	uint64_t empty = 0;
	sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&empty, 0, 8, 0, 0);
}

#ifdef OCIRUN_EXECUTOR_MAIN
/*
 * The executor program: `ocirun-executor <fd>` maps the program from <fd> (a sealed memfd) and
 * runs it. It starts as a tiny static process, so its forks cost nothing, whatever the size of
 * the Node process that spawned it.
 */
#include <sys/mman.h>

static int parse_fd(const char *s)
{
	int v = 0;
	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static __attribute__((noreturn)) void refuse(void)
{
	sys(SYS_exit_group, 126, 0, 0, 0, 0, 0);
	__builtin_unreachable();
}

static __attribute__((noreturn)) void executor_main(int argc, char **argv)
{
	int fd = argc > 1 ? parse_fd(argv[1]) : -1;
	/* A private mapping of the sealed memfd, not a copy: its pages are already in memory, and
	 * only those the program writes (relocations, patches, buffers) become the executor's own.
	 * Every page a fresh process touches first costs a fault; a copy faulted in every one. The
	 * header is checked inside the mapping, against the memfd's size: no page past its end is
	 * ever touched (that would be SIGBUS). */
	long size = fd < 0 ? -1 : sys(SYS_lseek, fd, 0, 2 /* SEEK_END */, 0, 0, 0);
	if (sys_failed(size) || size < (long)sizeof(struct program))
		refuse();
	long base = sys(SYS_mmap, 0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (sys_failed(base))
		refuse();
	sys(SYS_close, fd, 0, 0, 0, 0, 0);
	const struct program *p = (const struct program *)base;
	if (p->magic != PROGRAM_MAGIC || p->version != PROGRAM_VERSION || p->size < sizeof(*p) || p->size > (unsigned long)size)
		refuse();
	reset_signals();
	run_program((uint8_t *)base);
}

/* No libc: the compiler may still emit calls to these. */
void *memcpy(void *restrict to, const void *restrict from, size_t n)
{
	uint8_t *d = to;
	const uint8_t *s = from;
	while (n--)
		*d++ = *s++;
	return to;
}

void *memset(void *to, int c, size_t n)
{
	uint8_t *d = to;
	while (n--)
		*d++ = (uint8_t)c;
	return to;
}

/* The entry point: the kernel leaves argc, then argv, on the stack. */
__attribute__((used)) static __attribute__((noreturn)) void start_c(long *sp)
{
	executor_main((int)sp[0], (char **)(sp + 1));
}

#if defined(__x86_64__)
__asm__(".text\n.global _start\n_start:\n\txor %rbp, %rbp\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall start_c\n\thlt\n");
#elif defined(__aarch64__)
__asm__(".text\n.global _start\n_start:\n\tmov x29, #0\n\tmov x30, #0\n\tmov x0, sp\n\tbl start_c\n");
#endif

#endif

/* Lets the TypeScript side check that the library it loaded speaks the same program layout. */
uint32_t ocirun_program_version(void)
{
	return PROGRAM_VERSION;
}
