// The rootfs and config.json `mounts`, read back from /proc/self/mountinfo and by using the
// mounts inside the container.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Mount } from '../../lib/spec/index.js';
import { useHarness, type Patch } from '../support/harness.js';
import { mountAt, parseMountinfo, sections } from '../support/probes.js';
import { copyRootfs } from '../support/rootfs.js';

const h = useHarness('mnt');
// KNOWN GAP: a mount target under a symlink whose in-root target does not exist fails with
// ENOENT ("open /evil in the rootfs"); runc creates the missing directories inside the rootfs.
const KNOWN_GAP_DANGLING_SYMLINK = true;

/** Host mounts a test made (unmounted even when the test fails). */
const hostMounts: string[] = [];
afterEach(() => {
  for (const m of hostMounts.splice(0).reverse()) execFileSync('umount', ['-l', m]);
});
function hostTmpfs(dir: string, ...extra: string[]): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', dir, ...extra]);
  hostMounts.push(dir);
}

const addMounts = (...mounts: Mount[]): Patch => (s) => {
  s.mounts!.push(...mounts);
};

async function mountinfoWith(patch: Patch, opts = {}): Promise<string> {
  const r = await h.sh('cat /proc/self/mountinfo', patch, opts);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

describe('default mounts', () => {
  it('proc, sysfs, tmpfs /dev, devpts, shm, mqueue and cgroup with their options', async () => {
    const info = await mountinfoWith(() => {});
    const at = (p: string) => mountAt(info, p)!;
    expect(at('/proc').fstype).toBe('proc');
    expect(at('/sys').fstype).toBe('sysfs');
    expect(at('/sys').options).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
    expect(at('/dev').fstype).toBe('tmpfs');
    expect(at('/dev').options).toContain('nosuid');
    expect(at('/dev').superOptions).toEqual(expect.arrayContaining(['size=65536k', 'mode=755']));
    expect(at('/dev/pts').fstype).toBe('devpts');
    expect(at('/dev/pts').superOptions).toEqual(expect.arrayContaining(['gid=5', 'mode=620', 'ptmxmode=666']));
    expect(at('/dev/shm').fstype).toBe('tmpfs');
    expect(at('/dev/shm').options).toEqual(expect.arrayContaining(['nosuid', 'nodev', 'noexec']));
    expect(at('/dev/mqueue').fstype).toBe('mqueue');
    // On this cgroup v1 host: a read-only tmpfs holding each hierarchy, read-only.
    const cgroups = parseMountinfo(info).filter((m) => m.mountPoint.startsWith('/sys/fs/cgroup/'));
    expect(cgroups.map((m) => m.mountPoint)).toContain('/sys/fs/cgroup/memory');
    for (const m of cgroups) expect(m.options, m.mountPoint).toContain('ro');
  });
});

describe('mount types and options', () => {
  it('tmpfs: size, mode and data options', async () => {
    const r = await h.sh('stat -c "%a %u:%g" /mnt/t; echo ==; cat /proc/self/mountinfo', addMounts({ destination: '/mnt/t', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'mode=1750', 'uid=1234', 'gid=4321', 'nr_inodes=77'] }));
    const [st, info] = r.stdout.split('==\n');
    expect(st).toBe('1750 1234:4321\n');
    expect(mountAt(info, '/mnt/t')!.superOptions).toEqual(expect.arrayContaining(['size=1024k', 'nr_inodes=77', 'mode=1750', 'uid=1234', 'gid=4321']));
  });

  it('bind: writes reach the host; ro refuses them', async () => {
    const rw = h.dir('rw');
    const ro = h.dir('ro');
    writeFileSync(join(ro, 'keep'), 'host data');
    const r = await h.sh(
      'echo inside > /mnt/rw/made; cat /mnt/ro/keep; echo; echo x > /mnt/ro/new 2>/dev/null && echo WROTE || echo refused',
      addMounts({ destination: '/mnt/rw', type: 'bind', source: rw, options: ['bind'] }, { destination: '/mnt/ro', type: 'bind', source: ro, options: ['bind', 'ro'] }),
    );
    expect(r.stdout).toBe('host data\nrefused\n');
    expect(readFileSync(join(rw, 'made'), 'utf8')).toBe('inside\n');
    expect(readdirSync(ro)).toEqual(['keep']);
  });

  it('/dev with "ro" (runc\'s mounts test): the devices and the mounts below it go in first, then it is read-only', async () => {
    const r = await h.sh('for d in null zero pts shm mqueue; do test -e /dev/$d || echo missing $d; done; echo x > /dev/null && echo null-writable; touch /dev/new 2>/dev/null && echo WROTE || echo refused; touch /tmp/ro/x 2>/dev/null && echo WROTE || echo refused; mkdir /tmp/ro/sub/d && echo below-writable; echo ==; cat /proc/self/mountinfo', (s) => {
      s.mounts!.find((m) => m.destination === '/dev')!.options!.push('ro');
      // A read-only tmpfs with a mount below it: its target is made before it turns read-only.
      s.mounts!.push({ destination: '/tmp/ro', type: 'tmpfs', source: 'tmpfs', options: ['ro'] }, { destination: '/tmp/ro/sub', type: 'tmpfs', source: 'tmpfs' });
    });
    const [out, info] = r.stdout.split('==\n');
    expect(r.stderr).toBe('');
    expect(out).toBe('null-writable\nrefused\nrefused\nbelow-writable\n');
    expect(mountAt(info, '/dev')!.options).toContain('ro');
    expect(mountAt(info, '/tmp/ro')!.options).toContain('ro');
  });

  it('a read-only bind mount on /dev is refused naming the mount (its devices could not be made)', async () => {
    const r = await h.sh('true', (s) => {
      const i = s.mounts!.findIndex((m) => m.destination === '/dev');
      s.mounts![i] = { destination: '/dev', type: 'bind', source: h.dir('dev'), options: ['rbind', 'ro'] };
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^ocirun: config\.json: \/mounts\/\d+: a read-only bind mount on \/dev cannot take the container's devices/);
    h.expectClean();
  });

  it('nosuid, nodev, noexec: flags in mountinfo, and noexec refuses to execute', async () => {
    const src = h.dir('flags');
    // busybox runs the applet named by argv[0].
    execFileSync('cp', ['/bin/busybox', join(src, 'echo')]);
    const r = await h.sh(
      '/mnt/x/echo ran-x; /mnt/n/echo ran-n 2>/dev/null || echo refused-n; echo ==; cat /proc/self/mountinfo',
      addMounts(
        { destination: '/mnt/n', type: 'bind', source: src, options: ['bind', 'nosuid', 'nodev', 'noexec'] },
        { destination: '/mnt/x', type: 'bind', source: src, options: ['bind', 'exec', 'suid', 'dev'] },
      ),
    );
    const [run, info] = r.stdout.split('==\n');
    expect(run).toBe('ran-x\nrefused-n\n');
    expect(mountAt(info, '/mnt/n')!.options).toEqual(expect.arrayContaining(['nosuid', 'nodev', 'noexec']));
    const x = mountAt(info, '/mnt/x')!.options;
    for (const f of ['nosuid', 'nodev', 'noexec']) expect(x).not.toContain(f);
  });

  it('atime family: noatime, relatime, strictatime, nodiratime', async () => {
    const src = h.dir('atime');
    const modes = ['noatime', 'relatime', 'strictatime', 'nodiratime'];
    const info = await mountinfoWith(addMounts(...modes.map((m) => ({ destination: `/mnt/${m}`, type: 'tmpfs', source: 'tmpfs', options: [m] }))));
    expect(mountAt(info, '/mnt/noatime')!.options).toContain('noatime');
    expect(mountAt(info, '/mnt/relatime')!.options).toContain('relatime');
    const strict = mountAt(info, '/mnt/strictatime')!.options;
    expect(strict).not.toContain('relatime');
    expect(strict).not.toContain('noatime');
    expect(mountAt(info, '/mnt/nodiratime')!.options).toContain('nodiratime');
    // The same on a bind mount, where the attributes are set with mount_setattr.
    const bind = await mountinfoWith(addMounts({ destination: '/mnt/b', type: 'bind', source: src, options: ['bind', 'noatime'] }));
    expect(mountAt(bind, '/mnt/b')!.options).toContain('noatime');
  });

  it('bind vs rbind; ro vs rro on submounts', async () => {
    const src = h.dir('tree');
    hostTmpfs(join(src, 'sub'));
    writeFileSync(join(src, 'sub', 'f'), 'sub data');
    const r = await h.sh(
      [
        'echo "== bind"; cat /mnt/bind/sub/f 2>/dev/null || echo missing',
        'echo; echo "== rbind"; cat /mnt/rbind/sub/f',
        'echo; echo "== ro"; touch /mnt/ro/sub/w 2>/dev/null && echo writable || echo read-only',
        'echo "== rro"; touch /mnt/rro/sub/w 2>/dev/null && echo writable || echo read-only',
      ].join('; '),
      addMounts(
        { destination: '/mnt/bind', type: 'bind', source: src, options: ['bind'] },
        { destination: '/mnt/rbind', type: 'bind', source: src, options: ['rbind'] },
        { destination: '/mnt/ro', type: 'bind', source: src, options: ['rbind', 'ro'] },
        { destination: '/mnt/rro', type: 'bind', source: src, options: ['rbind', 'rro'] },
      ),
    );
    expect(r.stderr).toBe('');
    expect(sections(r.stdout)).toEqual({ bind: 'missing', rbind: 'sub data', ro: 'writable', rro: 'read-only' });
  });

  it('propagation flags on a mount: shared, private, unbindable, slave', async () => {
    // A shared source makes the slave's master visible.
    const src = h.dir('prop');
    hostTmpfs(src);
    execFileSync('mount', ['--make-shared', src]);
    const info = await mountinfoWith(
      addMounts(
        { destination: '/mnt/shared', type: 'tmpfs', source: 'tmpfs', options: ['shared'] },
        { destination: '/mnt/private', type: 'tmpfs', source: 'tmpfs', options: ['private'] },
        { destination: '/mnt/unbindable', type: 'tmpfs', source: 'tmpfs', options: ['unbindable'] },
        { destination: '/mnt/slave', type: 'bind', source: src, options: ['bind', 'slave'] },
      ),
    );
    const tags = (p: string) => mountAt(info, p)!.optional.join(' ');
    expect(tags('/mnt/shared')).toMatch(/^shared:\d+$/);
    expect(tags('/mnt/private')).toBe('');
    expect(tags('/mnt/unbindable')).toBe('unbindable');
    expect(tags('/mnt/slave')).toMatch(/^master:\d+$/);
  });

  it('missing targets are created: a directory for a directory source, a file for a file source', async () => {
    const rootfs = copyRootfs(join(h.dir('targets'), 'rootfs'));
    const file = join(h.dir('src'), 'data.txt');
    writeFileSync(file, 'file content');
    const dir = h.dir('srcdir');
    const r = await h.sh(
      '[ -f /new/deep/data.txt ] && cat /new/deep/data.txt; echo; [ -d /other/a/b ] && echo dir; [ -d /fresh/tmp ] && echo tmpfs-dir',
      addMounts(
        { destination: '/new/deep/data.txt', type: 'bind', source: file, options: ['bind', 'ro'] },
        { destination: '/other/a/b', type: 'bind', source: dir, options: ['bind'] },
        { destination: '/fresh/tmp', type: 'tmpfs', source: 'tmpfs' },
      ),
      { rootfs },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('file content\ndir\ntmpfs-dir\n');
  });

  it('a symlink in the rootfs that points outside cannot make a mount or a directory on the host', async () => {
    const rootfs = copyRootfs(join(h.dir('evil'), 'rootfs'));
    const hostDir = h.dir('host-target');
    symlinkSync(hostDir, join(rootfs, 'evil'));
    symlinkSync(`../../../../../../..${hostDir}`, join(rootfs, 'evil-relative'));
    // The same path exists inside the rootfs: resolved in the root, the links lead there.
    mkdirSync(join(rootfs, hostDir.slice(1)), { recursive: true });
    const r = await h.sh(
      'cat /proc/self/mountinfo',
      addMounts(
        { destination: '/evil/x', type: 'tmpfs', source: 'tmpfs' },
        { destination: '/evil-relative/y/z', type: 'tmpfs', source: 'tmpfs' },
      ),
      { rootfs },
    );
    // Nothing appeared on the host...
    expect(readdirSync(hostDir)).toEqual([]);
    h.expectClean();
    // ...and the mounts landed inside the rootfs.
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const inside = parseMountinfo(r.stdout).filter((m) => m.fstype === 'tmpfs').map((m) => m.mountPoint);
    expect(inside).toEqual(expect.arrayContaining([`${hostDir}/x`, `${hostDir}/y/z`]));
    expect(readdirSync(join(rootfs, hostDir.slice(1))).sort()).toEqual(['x', 'y']);
  });

  it('a dangling outside symlink never touches the host', async () => {
    const rootfs = copyRootfs(join(h.dir('evil'), 'rootfs'));
    const hostDir = h.dir('host-target');
    symlinkSync(hostDir, join(rootfs, 'evil'));
    const r = await h.sh('true', addMounts({ destination: '/evil/x', type: 'tmpfs', source: 'tmpfs' }), { rootfs });
    expect(readdirSync(hostDir)).toEqual([]);
    h.expectClean();
    if (r.code !== 0) expect(r.stderr).toMatch(/mount tmpfs on \/evil\/x/);
  });

  it.skipIf(KNOWN_GAP_DANGLING_SYMLINK)('a dangling symlink target is created inside the rootfs, as runc does', async () => {
    const rootfs = copyRootfs(join(h.dir('evil'), 'rootfs'));
    const hostDir = h.dir('host-target');
    symlinkSync(hostDir, join(rootfs, 'evil'));
    const r = await h.sh('true', addMounts({ destination: '/evil/x', type: 'tmpfs', source: 'tmpfs' }), { rootfs });
    expect(r.stderr).toBe('');
    expect(existsSync(join(rootfs, hostDir.slice(1), 'x'))).toBe(true);
    expect(readdirSync(hostDir)).toEqual([]);
  });
});

describe('the root filesystem', () => {
  it('root.readonly: true refuses writes, false allows them', async () => {
    const rootfs = copyRootfs(join(h.dir('rw-root'), 'rootfs'));
    const ro = await h.sh('touch /made 2>&1; mount | grep " on / "', undefined, { rootfs });
    expect(ro.stdout).toMatch(/Read-only file system/);
    expect(existsSync(join(rootfs, 'made'))).toBe(false);
    const rw = await h.sh('touch /made && echo ok', (s) => (s.root!.readonly = false), { rootfs });
    expect(rw.stdout).toBe('ok\n');
    expect(existsSync(join(rootfs, 'made'))).toBe(true);
  });

  it('rootfsPropagation: shared, private, unbindable, slave', async () => {
    const rootOf = async (propagation: string, rootfs?: string) => {
      const info = await mountinfoWith((s) => (s.linux!.rootfsPropagation = propagation as never), rootfs ? { rootfs } : {});
      return mountAt(info, '/')!.optional.join(' ');
    };
    expect(await rootOf('shared')).toMatch(/^shared:\d+$/);
    expect(await rootOf('private')).toBe('');
    expect(await rootOf('unbindable')).toBe('unbindable');
    // A slave needs a shared master: a rootfs on a shared host mount.
    const base = h.dir('shared-base');
    hostTmpfs(base);
    execFileSync('mount', ['--make-shared', base]);
    const rootfs = copyRootfs(join(base, 'rootfs'));
    expect(await rootOf('slave', rootfs)).toMatch(/^master:\d+$/);
  });

  it('--no-pivot enters the rootfs with MS_MOVE and chroot', async () => {
    const r = await h.sh('ls /bin/busybox; echo $$', undefined, { flags: ['--no-pivot'] });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('/bin/busybox\n1\n');
  });
});
