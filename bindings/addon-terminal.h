/*
 * Part of the Node-API addon (addon.c includes it after its argument helpers):
 * The caller's terminal: window size, raw mode and its restoration.
 */
#ifndef OCIRUN_ADDON_TERMINAL_H
#define OCIRUN_ADDON_TERMINAL_H

/* setWinsize(fd, rows, cols) -> 0 | -errno (TIOCSWINSZ) */
static napi_value set_winsize(napi_env env, napi_callback_info info)
{
	INT_ARGS("setWinsize", 3);
	struct winsize ws = { .ws_row = (unsigned short)i[1], .ws_col = (unsigned short)i[2] };
	return number(env, result(ioctl(i[0], TIOCSWINSZ, &ws)));
}

/* getWinsize(fd) -> [rows, cols] | -errno (TIOCGWINSZ) */
static napi_value get_winsize(napi_env env, napi_callback_info info)
{
	INT_ARGS("getWinsize", 1);
	struct winsize ws;
	if (ioctl(i[0], TIOCGWINSZ, &ws) < 0)
		return number(env, -errno);
	return numbers(env, (double[]){ ws.ws_row, ws.ws_col }, 2);
}

/*
 * makeRaw(fd) -> the terminal's settings before (a Buffer, for restoreTerminal) | -errno: raw mode
 * as cfmakeraw(3) makes it (output processing off too: libuv's raw mode keeps ONLCR, which turns
 * a relayed pty's \r\n into \r\r\n).
 */
static napi_value make_raw(napi_env env, napi_callback_info info)
{
	INT_ARGS("makeRaw", 1);
	struct termios saved, raw;
	if (tcgetattr(i[0], &saved) < 0)
		return number(env, -errno);
	raw = saved;
	cfmakeraw(&raw);
	if (tcsetattr(i[0], TCSADRAIN, &raw) < 0)
		return number(env, -errno);
	napi_value buf;
	void *data;
	napi_create_buffer_copy(env, sizeof(saved), &saved, &data, &buf);
	return buf;
}

/* restoreTerminal(fd, saved) -> 0 | -errno */
static napi_value restore_terminal(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	int32_t fd;
	void *data;
	size_t len;
	if (!args(env, info, "restoreTerminal", 2, argv, 0, NULL))
		return NULL;
	if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok || len != sizeof(struct termios))
		return fail_type(env, "restoreTerminal", "expected an fd and the Buffer makeRaw returned");
	struct termios saved;
	memcpy(&saved, data, sizeof(saved));
	return number(env, result(tcsetattr(fd, TCSADRAIN, &saved)));
}

#endif
