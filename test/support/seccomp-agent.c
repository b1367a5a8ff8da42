/*
 * A seccomp agent for the integration tests: `seccomp-agent SOCKET STATEFILE ERRNO`. Listens on
 * the unix stream socket SOCKET, takes one connection, reads the container process state (JSON)
 * and the listener fd (SCM_RIGHTS) the runtime sends, writes the JSON to STATEFILE, then answers
 * every notified syscall: failing it with ERRNO, and appending "nr=<n> pid=<pid>" to
 * STATEFILE.calls. Runs until killed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	int answer = atoi(argv[3]);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	strncpy(addr.sun_path, argv[1], sizeof(addr.sun_path) - 1);
	unlink(argv[1]);
	if (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(s, 1) < 0) {
		perror("listen");
		return 1;
	}
	/* Tell the test we listen. */
	printf("listening\n");
	fflush(stdout);
	int c = accept(s, NULL, NULL);
	if (c < 0) {
		perror("accept");
		return 1;
	}
	char buf[65536];
	size_t used = 0;
	int listener = -1;
	for (;;) {
		char control[CMSG_SPACE(sizeof(int) * 4)];
		struct iovec iov = { buf + used, sizeof(buf) - 1 - used };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
		ssize_t n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
		if (n < 0) {
			perror("recvmsg");
			return 1;
		}
		for (struct cmsghdr *h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h))
			if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS && listener < 0)
				memcpy(&listener, CMSG_DATA(h), sizeof(int));
		if (n == 0)
			break; /* the runtime closed the connection: the whole state is here */
		used += (size_t)n;
	}
	buf[used] = 0;
	char calls[4200];
	snprintf(calls, sizeof(calls), "%s.calls", argv[2]);
	FILE *f = fopen(argv[2], "w");
	fprintf(f, "%s", buf);
	fclose(f);
	if (listener < 0) {
		fprintf(stderr, "no listener fd received\n");
		return 1;
	}
	for (;;) {
		struct seccomp_notif req;
		struct seccomp_notif_resp resp;
		memset(&req, 0, sizeof(req));
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		FILE *log = fopen(calls, "a");
		fprintf(log, "nr=%d pid=%u\n", req.data.nr, req.pid);
		fclose(log);
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.error = -answer;
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}
