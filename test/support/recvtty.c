/*
 * A console-socket receiver for tests, like runc's contrib/cmd/recvtty: listens on a unix socket,
 * takes one connection, receives the pty master the way runc's RecvFd (containerd's shim, conmon)
 * does, and checks the message exactly as they do: a payload under 4096 bytes, a control message
 * of CMSG_SPACE(sizeof(int)) bytes holding one SCM_RIGHTS fd. Then it writes its input argument
 * to the master and copies everything the master gives to stdout until the pty hangs up.
 *
 * usage: recvtty SOCKET [INPUT]
 * stderr gets one line: "payload=<payload> isatty=<0|1>"; the exit code is 0, or 1 with a reason.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int die(const char *what)
{
	fprintf(stderr, "recvtty: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: recvtty SOCKET [INPUT]\n");
		return 1;
	}
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	strncpy(addr.sun_path, argv[1], sizeof(addr.sun_path) - 1);
	int ls = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(ls, 1) < 0)
		die("listen");
	int c = accept(ls, NULL, NULL);
	if (c < 0)
		die("accept");

	char name[4096];
	char oob[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { name, sizeof(name) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = oob, .msg_controllen = sizeof(oob) };
	ssize_t n = recvmsg(c, &msg, 0);
	if (n < 0)
		die("recvmsg");
	if (n >= (ssize_t)sizeof(name) || msg.msg_controllen != CMSG_SPACE(sizeof(int))) {
		fprintf(stderr, "recvtty: incorrect number of bytes read (n=%zd oobn=%zu)\n", n, (size_t)msg.msg_controllen);
		return 1;
	}
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int))) {
		fprintf(stderr, "recvtty: not one SCM_RIGHTS fd\n");
		return 1;
	}
	int master;
	memcpy(&master, CMSG_DATA(cm), sizeof(int));
	name[n] = 0;
	fprintf(stderr, "payload=%s isatty=%d\n", name, isatty(master));
	close(c);
	close(ls);

	if (argc > 2 && write(master, argv[2], strlen(argv[2])) < 0)
		die("write");
	char buf[4096];
	for (;;) {
		ssize_t r = read(master, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break; /* EIO: every slave fd is closed */
		if (write(1, buf, (size_t)r) < 0)
			die("write stdout");
	}
	return 0;
}
