/*
 * Part of the Node-API addon (addon.c includes it after its argument helpers):
 * Unix sockets: fds sent and received with SCM_RIGHTS, and the console socket's connection.
 */
#ifndef OCIRUN_ADDON_SOCKETS_H
#define OCIRUN_ADDON_SOCKETS_H

/*
 * sendWithFd(socketPath, data: Buffer, fd) -> 0 | -errno: connect a unix stream socket to
 * socketPath, send data with fd in SCM_RIGHTS (in the first sendmsg, as config-linux.md asks),
 * close; a send that cannot go on for 10 s fails with EAGAIN. For a seccomp agent's socket.
 */
static napi_value send_with_fd(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	char path[MAX_PATH];
	int32_t fd;
	void *data;
	size_t len;
	if (!args(env, info, "sendWithFd", 3, argv, 2, &fd) || !path_arg(env, "sendWithFd", argv[0], path))
		return NULL;
	if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok)
		return fail_type(env, "sendWithFd", "data must be a Buffer");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(addr.sun_path))
		return number(env, -ENAMETOOLONG);
	strcpy(addr.sun_path, path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return number(env, -errno);
	/* An agent that stops accepting or reading must not hang create for ever. */
	struct timeval limit = { .tv_sec = 10 };
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
	int err = 0;
	int r;
	while ((r = connect(s, (struct sockaddr *)&addr, sizeof(addr))) < 0 && errno == EINTR)
		;
	if (r < 0)
		err = errno;
	size_t done = 0;
	while (!err && done < len) {
		struct iovec iov = { (char *)data + done, len - done };
		union {
			struct cmsghdr h;
			char space[CMSG_SPACE(sizeof(int))];
		} control;
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		if (done == 0) {
			memset(&control, 0, sizeof(control));
			msg.msg_control = control.space;
			msg.msg_controllen = sizeof(control.space);
			struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &fd, sizeof(int));
		}
		ssize_t n = sendmsg(s, &msg, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = errno;
		else
			done += (size_t)n;
	}
	close(s);
	return number(env, -err);
}

/* connectUnix(path) -> fd | -errno: a unix stream socket connected to path, close-on-exec (the
 * --console-socket a terminal's master is sent to). */
static napi_value connect_unix(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	char path[MAX_PATH];
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (!args(env, info, "connectUnix", 1, argv, 1, NULL) || !path_arg(env, "connectUnix", argv[0], path))
		return NULL;
	if (strlen(path) >= sizeof(addr.sun_path))
		return number(env, -ENAMETOOLONG);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return number(env, -errno);
	int r;
	while ((r = connect(fd, (struct sockaddr *)&addr, sizeof(addr))) < 0 && errno == EINTR)
		;
	if (r < 0) {
		int err = errno;
		close(fd);
		return number(env, -err);
	}
	return number(env, fd);
}

/*
 * recvFd(socket) -> fd | -errno: the one fd of a message already waiting on the socket (SCM_RIGHTS,
 * received close-on-exec; never blocks: -EAGAIN when there is none). Any other fds that came with
 * it are closed and the call fails with -EBADMSG, as does a message without one.
 */
static napi_value recv_fd(napi_env env, napi_callback_info info)
{
	INT_ARGS("recvFd", 1);
	char data[4096];
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
	ssize_t n;
	while ((n = recvmsg(i[0], &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return number(env, -errno);
	int got = -1, extra = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int k = 0; k < count; k++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
			if (got < 0)
				got = fd;
			else {
				close(fd);
				extra = 1;
			}
		}
	}
	if (got < 0 || extra || (msg.msg_flags & MSG_CTRUNC)) {
		if (got >= 0)
			close(got);
		return number(env, -EBADMSG);
	}
	return number(env, got);
}

#endif
