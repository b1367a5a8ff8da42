/*
 * The executor's one op that is more than a system call: copy a directory's contents into another
 * (the `tmpcopyup` mount option: a fresh tmpfs starts with what the rootfs had at its
 * destination). Included by executor.c, after sys().
 *
 * Why it cannot escape the rootfs: it works on directory fds only, and every name it touches is a
 * single entry read from its parent's getdents (no '/', never "." or ".."), opened relative to the
 * parent's fd with O_NOFOLLOW. A symlink is copied as a symlink (its target text, never followed),
 * device nodes, fifos and sockets are recreated with mknodat (never opened), and a regular file is
 * opened O_NONBLOCK and checked to still be one before its bytes are read. The destination is a
 * detached tmpfs that nothing else can reach yet. Copied: contents, modes (setuid bits included),
 * owners, and the xattrs of files and directories (those the tmpfs takes, as crun). Hard links
 * become separate files, as with crun and runc.
 */
#include <fcntl.h>

/* statx(2)'s struct, as the kernel ABI fixes it (musl ships no <linux/stat.h>): the fields read here. */
struct copy_statx {
	uint32_t stx_mask, stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink, stx_uid, stx_gid;
	uint16_t stx_mode, spare0;
	uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
	uint8_t times[64];
	uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
	uint8_t rest[112];
};
_Static_assert(sizeof(struct copy_statx) == 256, "struct copy_statx is 256 bytes");
#define COPY_STATX_WANT 0x1fu /* STATX_TYPE | MODE | NLINK | UID | GID */
#define COPY_STATX_INO 0x100u
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef SYS_statx
#if defined(__x86_64__)
#define SYS_statx 332
#elif defined(__aarch64__)
#define SYS_statx 291
#endif
#endif

#define COPY_DEPTH_MAX 256     /* two fds and 1 KiB of stack per level */
#define COPY_DIRENT_BUFFER 1024 /* holds at least one entry (a name is at most 255 bytes) */
#define COPY_XATTR_MAX 65536   /* XATTR_LIST_MAX and XATTR_SIZE_MAX */
#define COPY_MODE_BITS 07777

#define FT_MASK 0170000
#define FT_DIR 0040000
#define FT_REG 0100000
#define FT_LNK 0120000

struct copy_dirent {
	uint64_t ino;
	int64_t off;
	uint16_t reclen;
	uint8_t type;
	char name[];
};

/* Touched only when a tree is copied: the pages of .bss cost nothing until then. */
static char copy_link[4096];
static char copy_xattr_names[COPY_XATTR_MAX];
static char copy_xattr_value[COPY_XATTR_MAX];

static int copy_errno(long r)
{
	return sys_failed(r) ? (int)-r : 0;
}

static void copy_close(int fd)
{
	sys(SYS_close, fd, 0, 0, 0, 0, 0);
}

/* The xattrs of one open file or directory. A name the tmpfs does not take (EOPNOTSUPP, or
 * EINVAL for a namespace it lacks) is left out, as crun does. */
static int copy_xattrs(int from, int to)
{
	long n = sys(SYS_flistxattr, from, (long)copy_xattr_names, sizeof(copy_xattr_names), 0, 0, 0);
	if (n == -EOPNOTSUPP)
		return 0;
	if (sys_failed(n))
		return (int)-n;
	for (long at = 0; at < n;) {
		const char *name = copy_xattr_names + at;
		long len = 0;
		while (at + len < n && name[len])
			len++;
		at += len + 1;
		long size = sys(SYS_fgetxattr, from, (long)name, (long)copy_xattr_value, sizeof(copy_xattr_value), 0, 0);
		if (size == -ENODATA)
			continue; /* removed meanwhile */
		if (sys_failed(size))
			return (int)-size;
		long r = sys(SYS_fsetxattr, to, (long)name, (long)copy_xattr_value, size, 0, 0);
		if (r == -EOPNOTSUPP || r == -EINVAL)
			continue;
		if (sys_failed(r))
			return (int)-r;
	}
	return 0;
}

/* Owner, then mode (a chown clears the setuid bits), of an open file or directory. */
static int copy_owner_mode(int fd, const struct copy_statx *st)
{
	int err = copy_errno(sys(SYS_fchown, fd, st->stx_uid, st->stx_gid, 0, 0, 0));
	return err ? err : copy_errno(sys(SYS_fchmod, fd, st->stx_mode & COPY_MODE_BITS, 0, 0, 0, 0));
}

static int copy_regular(int src_dir, int dst_dir, const char *name, const struct copy_statx *st)
{
	int from = (int)sys(SYS_openat, src_dir, (long)name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0, 0, 0);
	if (from < 0)
		return -from;
	struct copy_statx now;
	int err = copy_errno(sys(SYS_statx, from, (long)"", AT_EMPTY_PATH, COPY_STATX_WANT | COPY_STATX_INO, (long)&now, 0));
	if (!err && ((now.stx_mode & FT_MASK) != FT_REG || now.stx_ino != st->stx_ino))
		err = EAGAIN; /* replaced since it was listed */
	int to = -1;
	if (!err) {
		to = (int)sys(SYS_openat, dst_dir, (long)name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600, 0, 0);
		if (to < 0)
			err = -to;
	}
	while (!err) {
		long n = sys(SYS_sendfile, to, from, 0, 1L << 30, 0, 0);
		if (n == -EINTR)
			continue;
		if (n <= 0) {
			err = copy_errno(n);
			break;
		}
	}
	if (!err)
		err = copy_xattrs(from, to);
	if (!err)
		err = copy_owner_mode(to, st);
	copy_close(from);
	if (to >= 0)
		copy_close(to);
	return err;
}

static int copy_tree(int src_dir, int dst_dir, int depth);

static int copy_directory(int src_dir, int dst_dir, const char *name, const struct copy_statx *st, int depth)
{
	if (depth >= COPY_DEPTH_MAX)
		return ELOOP;
	int err = copy_errno(sys(SYS_mkdirat, dst_dir, (long)name, 0700, 0, 0, 0));
	if (err)
		return err;
	int from = (int)sys(SYS_openat, src_dir, (long)name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, 0, 0);
	if (from < 0)
		return -from;
	int to = (int)sys(SYS_openat, dst_dir, (long)name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, 0, 0);
	if (to < 0) {
		copy_close(from);
		return -to;
	}
	err = copy_xattrs(from, to);
	/* The mode last: a read-only directory still takes its entries. */
	if (!err)
		err = copy_errno(sys(SYS_fchown, to, st->stx_uid, st->stx_gid, 0, 0, 0));
	int mode_fd = (int)sys(SYS_fcntl, to, F_DUPFD_CLOEXEC, 0, 0, 0, 0);
	if (!err && mode_fd < 0)
		err = -mode_fd;
	if (!err)
		err = copy_tree(from, to, depth + 1); /* closes both */
	else {
		copy_close(from);
		copy_close(to);
	}
	if (!err)
		err = copy_errno(sys(SYS_fchmod, mode_fd, st->stx_mode & COPY_MODE_BITS, 0, 0, 0, 0));
	if (mode_fd >= 0)
		copy_close(mode_fd);
	return err;
}

static int copy_entry(int src_dir, int dst_dir, const char *name, int depth)
{
	struct copy_statx st;
	int err = copy_errno(sys(SYS_statx, src_dir, (long)name, AT_SYMLINK_NOFOLLOW, COPY_STATX_WANT | COPY_STATX_INO, (long)&st, 0));
	if (err)
		return err;
	switch (st.stx_mode & FT_MASK) {
	case FT_REG:
		return copy_regular(src_dir, dst_dir, name, &st);
	case FT_DIR:
		return copy_directory(src_dir, dst_dir, name, &st, depth);
	case FT_LNK: {
		long n = sys(SYS_readlinkat, src_dir, (long)name, (long)copy_link, sizeof(copy_link) - 1, 0, 0);
		if (sys_failed(n))
			return (int)-n;
		copy_link[n] = 0;
		err = copy_errno(sys(SYS_symlinkat, (long)copy_link, dst_dir, (long)name, 0, 0, 0));
		return err ? err : copy_errno(sys(SYS_fchownat, dst_dir, (long)name, st.stx_uid, st.stx_gid, AT_SYMLINK_NOFOLLOW, 0));
	}
	default: {
		/* Device nodes, fifos, sockets: made anew, never opened. The kernel's encoding of dev_t. */
		unsigned long dev = (st.stx_rdev_minor & 0xff) | ((st.stx_rdev_major & 0xfff) << 8) | ((unsigned long)(st.stx_rdev_minor & ~0xffu) << 12);
		err = copy_errno(sys(SYS_mknodat, dst_dir, (long)name, (st.stx_mode & FT_MASK) | 0600, (long)dev, 0, 0));
		if (!err)
			err = copy_errno(sys(SYS_fchownat, dst_dir, (long)name, st.stx_uid, st.stx_gid, AT_SYMLINK_NOFOLLOW, 0));
		/* Not a symlink (just made, in a tmpfs nothing else reaches): fchmodat may follow. */
		return err ? err : copy_errno(sys(SYS_fchmodat, dst_dir, (long)name, st.stx_mode & COPY_MODE_BITS, 0, 0, 0));
	}
	}
}

/* Copy every entry of src_dir into dst_dir; closes both. Returns 0 or an errno. */
static __attribute__((unused)) int copy_tree(int src_dir, int dst_dir, int depth)
{
	char buf[COPY_DIRENT_BUFFER] __attribute__((aligned(8)));
	int err = 0;
	for (;;) {
		long n = sys(SYS_getdents64, src_dir, (long)buf, sizeof(buf), 0, 0, 0);
		if (n == -EINTR)
			continue;
		if (n <= 0) {
			err = copy_errno(n);
			break;
		}
		for (long at = 0; at < n && !err;) {
			const struct copy_dirent *d = (const struct copy_dirent *)(buf + at);
			at += d->reclen;
			if (d->name[0] == '.' && (d->name[1] == 0 || (d->name[1] == '.' && d->name[2] == 0)))
				continue;
			err = copy_entry(src_dir, dst_dir, d->name, depth);
		}
		if (err)
			break;
	}
	copy_close(src_dir);
	copy_close(dst_dir);
	return err;
}
