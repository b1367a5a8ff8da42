/*
 * For the seccomp tests: makes each system call whose number is an argument (no arguments of its
 * own) and prints "<nr>:<errno>" or "<nr>:ok", one per line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		long nr = strtol(argv[i], NULL, 0);
		long r = syscall(nr, 0, 0, 0, 0, 0, 0);
		if (r < 0)
			printf("%s:%d\n", argv[i], errno);
		else
			printf("%s:ok\n", argv[i]);
	}
	return 0;
}
