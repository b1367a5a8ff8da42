/*
 * Shared by the executor (bindings/executor.c) and the spawn (bindings/spawn.c): both run where
 * no libc may be called.
 */
#ifndef OCIRUN_RAW_SYSCALL_H
#define OCIRUN_RAW_SYSCALL_H
#include <stdint.h>
#include <sys/syscall.h>

/*
 * Raw system calls: the result, or -errno. The executor program is built without libc: glibc's
 * static start-up probes CPU features with cpuid, which traps to the hypervisor in a VM, and
 * that alone doubled the cost of starting the executor (3.2 ms against 1.5 ms per spawn and exit
 * on a 2-core VM). Only this function, _start (executor.c) and the clone3 trampoline (spawn.c)
 * know the architecture.
 */
static inline long sys(long nr, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory", "cc");
	return x0;
#else
#error "ocirun's executor supports x86_64 and aarch64"
#endif
}

/* A raw result in [-4095, -1] is an error number; anything else (addresses too) is a result. */
static inline int sys_failed(long r)
{
	return r < 0 && r >= -4095;
}

#endif
