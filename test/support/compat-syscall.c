/*
 * For the seccomp tests: a static x86_64 program that makes one mkdir("/tmp/compat") through a
 * compat ABI, then prints "+<result>" or "-<errno>" with a native write. Built with -DABI_I386
 * (int $0x80: seccomp sees AUDIT_ARCH_I386) or -DABI_X32 (syscall with __X32_SYSCALL_BIT: seccomp
 * sees AUDIT_ARCH_X86_64 and a number at or above 0x40000000, libseccomp's x32 section).
 */
static long native(long nr, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}

static long compat_mkdir(const char *path, long mode)
{
	long r;
#if defined(ABI_I386)
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(39L), "b"(path), "c"(mode) : "memory");
#elif defined(ABI_X32)
	r = native(0x40000000L | 83, (long)path, mode, 0);
#else
#error "define ABI_I386 or ABI_X32"
#endif
	return r;
}

void _start(void)
{
	static const char path[] = "/tmp/compat";
	long r = compat_mkdir(path, 0755);
	char out[24];
	int n = 0;
	unsigned long v = r < 0 ? -r : r;
	char digits[20];
	int d = 0;
	out[n++] = r < 0 ? '-' : '+';
	do {
		digits[d++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (d)
		out[n++] = digits[--d];
	out[n++] = '\n';
	native(1, 1, (long)out, n);
	native(60, 0, 0, 0);
	for (;;)
		;
}
