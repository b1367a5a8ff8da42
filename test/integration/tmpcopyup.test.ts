// The `tmpcopyup` mount option (podman sends it for /run, /tmp, /var/tmp and, with --read-only,
// for every writable tmpfs): a tmpfs at the destination that starts as a copy of what the rootfs
// has there. Real containers; the rootfs is a private busybox copy each test plants files in.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Mount } from '../../lib/spec/index.js';
import { useHarness, type Patch } from '../support/harness.js';
import { mountAt } from '../support/probes.js';
import { copyRootfs } from '../support/rootfs.js';

const h = useHarness('tcu');

const copyUp = (destination: string, ...options: string[]): Patch => (s) => {
  s.mounts!.push({ destination, type: 'tmpfs', source: 'tmpfs', options: ['rw', 'nosuid', 'nodev', 'tmpcopyup', ...options] } as Mount);
};

/** xattrs through raw system calls (perl-base is in every Debian; busybox has no getfattr). */
const XATTR_NR: Record<string, { set: number; get: number }> = { x64: { set: 188, get: 191 }, arm64: { set: 5, get: 8 } };
function setXattr(path: string, name: string, value: string): void {
  execFileSync('perl', ['-e', `syscall(${XATTR_NR[process.arch].set}, $ARGV[0], $ARGV[1], $ARGV[2], length($ARGV[2]), 0) == 0 or die "setxattr: $!\\n"`, path, name, value]);
}
function getXattr(path: string, name: string): string {
  return execFileSync('perl', ['-e', `my $b = "\\0" x 256; my $n = syscall(${XATTR_NR[process.arch].get}, $ARGV[0], $ARGV[1], $b, 256); print $n < 0 ? "error: $!" : substr($b, 0, $n)`, path, name], { encoding: 'utf8' });
}

/** A private rootfs whose /etc holds one of each kind of entry. */
function plantedRootfs(): string {
  const rootfs = copyRootfs(h.dir('rootfs'));
  const etc = join(rootfs, 'etc');
  writeFileSync(join(etc, 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(etc, 'suid'), 'setuid file');
  chownSync(join(etc, 'suid'), 1234, 4321);
  chmodSync(join(etc, 'suid'), 0o4751);
  mkdirSync(join(etc, 'deep', 'er'), { recursive: true });
  writeFileSync(join(etc, 'deep', 'er', 'f'), 'deep data');
  chmodSync(join(etc, 'deep'), 0o555);
  chownSync(join(etc, 'deep'), 7, 8);
  symlinkSync('passwd', join(etc, 'rel-link'));
  execFileSync('mkfifo', [join(etc, 'fifo')]);
  execFileSync('mknod', [join(etc, 'null'), 'c', '1', '3']);
  writeFileSync(join(etc, 'big'), Buffer.alloc(3 << 20, 'x'));
  return rootfs;
}

describe('tmpcopyup', () => {
  it('copies files, directories, symlinks, nodes, modes and owners into a writable tmpfs; the rootfs stays as it was', async () => {
    const rootfs = plantedRootfs();
    const etc = join(rootfs, 'etc');
    const before = readdirSync(etc).sort();
    const r = await h.sh(
      [
        'cd /etc; stat -c "%n %F %a %u:%g" suid deep deep/er deep/er/f fifo null rel-link passwd',
        'stat -c "%t,%T" null; readlink rel-link; cat deep/er/f; echo; wc -c < big',
        'echo written > /etc/new && cat /etc/new && echo more >> /etc/passwd && tail -1 /etc/passwd',
        'grep " /etc " /proc/self/mountinfo',
      ].join('; '),
      copyUp('/etc'),
      { rootfs },
    );
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 8)).toEqual([
      'suid regular file 4751 1234:4321',
      'deep directory 555 7:8',
      'deep/er directory 755 0:0',
      'deep/er/f regular file 644 0:0',
      'fifo fifo 644 0:0',
      'null character special file 644 0:0',
      'rel-link symbolic link 777 0:0',
      'passwd regular file 644 0:0',
    ]);
    expect(lines.slice(8, 14)).toEqual(['1,3', 'passwd', 'deep data', String(3 << 20), 'written', 'more']);
    expect(mountAt(r.stdout, '/etc')?.fstype).toBe('tmpfs');
    expect(r.code).toBe(0);
    // The container wrote to its copy only.
    expect(readdirSync(etc).sort()).toEqual(before);
    expect(readFileSync(join(etc, 'passwd'), 'utf8')).toBe('root:x:0:0:root:/root:/bin/sh\n');
  });

  it('copies xattrs of files and directories', async () => {
    const rootfs = plantedRootfs();
    setXattr(join(rootfs, 'etc', 'passwd'), 'trusted.ocirun', 'file value');
    setXattr(join(rootfs, 'etc', 'deep'), 'trusted.ocirun', 'dir value');
    const id = h.id('xattr');
    // A created container has its mounts and root: read them through /proc/<pid>/root.
    const c = await h.create(id, h.bundle(copyUp('/etc'), { rootfs }));
    try {
      const inContainer = `/proc/${c.pid}/root/etc`;
      expect(readFileSync(join(inContainer, 'new-in-tmpfs-check'), { flag: 'a+' })).toEqual(Buffer.alloc(0)); // writable: a tmpfs, not the rootfs
      expect(existsSync(join(rootfs, 'etc', 'new-in-tmpfs-check'))).toBe(false);
      expect(getXattr(join(inContainer, 'passwd'), 'trusted.ocirun')).toBe('file value');
      expect(getXattr(join(inContainer, 'deep'), 'trusted.ocirun')).toBe('dir value');
    } finally {
      await c.delete({ force: true });
    }
  });

  it('with ro: the copy is there and the tmpfs refuses writes (podman --read-only)', async () => {
    const rootfs = plantedRootfs();
    const r = await h.sh('cat /etc/deep/er/f; echo; echo x > /etc/new; grep " /etc " /proc/self/mountinfo', copyUp('/etc', 'ro'), { rootfs });
    expect(r.stdout).toContain('deep data\n');
    expect(r.stderr).toMatch(/can't create \/etc\/new: Read-only file system/);
    expect(mountAt(r.stdout, '/etc')?.options).toContain('ro');
  });

  it('a destination that does not exist in the rootfs is created and gets an empty tmpfs', async () => {
    const rootfs = copyRootfs(h.dir('rootfs'));
    const r = await h.sh('ls -A /new/place | wc -l; grep -c " /new/place " /proc/self/mountinfo', copyUp('/new/place'), { rootfs });
    expect(r.stdout).toBe('0\n1\n');
    expect(lstatSync(join(rootfs, 'new', 'place')).isDirectory()).toBe(true);
  });

  it('symlinks in the image never take the copy outside the rootfs', async () => {
    const rootfs = copyRootfs(h.dir('rootfs'));
    // Host files an image must not reach.
    const host = h.dir('host-secret');
    writeFileSync(join(host, 'secret'), 'host secret');
    const etc = join(rootfs, 'etc');
    // An entry that points at a host directory (absolute, and climbing with ..), and one at a file.
    symlinkSync(host, join(etc, 'abs-dir'));
    symlinkSync(`../../../../../../../../..${host}`, join(etc, 'climb-dir'));
    symlinkSync(join(host, 'secret'), join(etc, 'abs-file'));
    symlinkSync('/', join(etc, 'root'));
    // The destination itself a symlink out of the rootfs: resolved inside it (RESOLVE_IN_ROOT), so
    // the copy is of the rootfs's own directory at that path.
    symlinkSync(host, join(rootfs, 'run'));
    mkdirSync(join(rootfs, host), { recursive: true });
    writeFileSync(join(rootfs, host, 'in-root'), 'the image');
    const r = await h.sh(
      `cd /etc; for l in abs-dir climb-dir abs-file root; do echo "$l -> $(readlink $l)"; done; cat abs-dir/secret abs-file 2>&1; ls /etc/root/ | grep -c secret; ls -A /run; grep " ${host} " /proc/self/mountinfo | wc -l`,
      (s) => {
        copyUp('/etc')(s);
        copyUp('/run')(s);
      },
      { rootfs },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').slice(0, 4)).toEqual([`abs-dir -> ${host}`, `climb-dir -> ../../../../../../../../..${host}`, `abs-file -> ${join(host, 'secret')}`, 'root -> /']);
    // The copies are symlinks resolved in the container: nothing of the host's was copied or is visible.
    expect(r.stdout).not.toContain('host secret');
    expect(r.stdout).toContain("can't open 'abs-dir/secret': No such file or directory");
    // /run's tmpfs is mounted where the symlink leads inside the rootfs, as runc mounts it.
    expect(r.stdout.split('\n').slice(-4)).toEqual(['0', 'in-root', '1', '']);
    // The host directory was neither copied nor mounted over, and is unchanged.
    expect(readdirSync(host)).toEqual(['secret']);
    expect(readlinkSync(join(rootfs, 'run'))).toBe(host);
    expect(readdirSync(join(rootfs, host))).toEqual(['in-root']);
  });

  it('a copy that does not fit fails create naming the mount and the step; nothing is left', async () => {
    const rootfs = plantedRootfs();
    const r = await h.sh('true', copyUp('/etc', 'size=1m'), { rootfs });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('mount tmpfs on /etc: copy /etc of the rootfs into the tmpfs (tmpcopyup): no space left on device');
    h.expectClean();
  });

  it('refused on a bind mount, naming the mount', async () => {
    const r = await h.sh('true', (s) => {
      s.mounts!.push({ destination: '/mnt/b', type: 'bind', source: h.dir('b'), options: ['bind', 'tmpcopyup'] });
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/mounts\[\d+\] \(\/mnt\/b\): mount option "tmpcopyup" needs a tmpfs mount, not a bind mount/);
  });
});
