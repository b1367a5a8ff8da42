// /dev (default devices, symlinks, linux.devices), maskedPaths, readonlyPaths and sysctl, each
// checked from inside the container against config.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DEVICES } from '../../lib/plan/devices.js';
import { useHarness } from '../support/harness.js';
import { mountAt, sections } from '../support/probes.js';
import { copyRootfs } from '../support/rootfs.js';

const h = useHarness('dev');

/** `stat` line for a device: type, major:minor (decimal), mode, owner. */
const STAT_DEV = 'stat -c "%n %F %t:%T %a %u:%g"';
function statLine(path: string, type: string, major: number, minor: number, mode: number, uid: number, gid: number): string {
  const kind = type === 'p' ? 'fifo' : type === 'b' ? 'block special file' : 'character special file';
  return `${path} ${kind} ${major.toString(16)}:${minor.toString(16)} ${mode.toString(8)} ${uid}:${gid}`;
}

describe('/dev', () => {
  it('the default devices of config-linux.md, with their numbers and modes', async () => {
    const r = await h.shBoth(`${STAT_DEV} ${DEFAULT_DEVICES.map((d) => d.path).join(' ')}`);
    // The list the spec requires, spelled out so a change in the planner's table is caught.
    expect(r.stdout.trim().split('\n')).toEqual([
      statLine('/dev/null', 'c', 1, 3, 0o666, 0, 0),
      statLine('/dev/zero', 'c', 1, 5, 0o666, 0, 0),
      statLine('/dev/full', 'c', 1, 7, 0o666, 0, 0),
      statLine('/dev/random', 'c', 1, 8, 0o666, 0, 0),
      statLine('/dev/urandom', 'c', 1, 9, 0o666, 0, 0),
      statLine('/dev/tty', 'c', 5, 0, 0o666, 0, 0),
    ]);
  });

  it('the devices work: /dev/null swallows, /dev/zero reads zeros, /dev/full is full', async () => {
    const r = await h.sh('echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | od -An -tx1; echo x > /dev/full || echo full-refused');
    expect(r.stdout.replace(/\s+/g, ' ').trim()).toBe('null-ok 00 00 00 00 full-refused');
  });

  it('symlinks: /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr, /dev/ptmx', async () => {
    const r = await h.sh('for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done; stat -c %F /dev/pts/ptmx');
    expect(r.stdout).toBe(
      'fd -> /proc/self/fd\nstdin -> /proc/self/fd/0\nstdout -> /proc/self/fd/1\nstderr -> /proc/self/fd/2\nptmx -> pts/ptmx\ncharacter special file\n',
    );
  });

  it("what runc's clients send: fileMode with the type bits (podman's 8630 = 0o20666), a FIFO with major and minor", async () => {
    const patch = (s: Parameters<NonNullable<Parameters<typeof h.run>[0]>>[0]) => {
      s.linux!.devices = [
        { path: '/dev/podmanchar', type: 'c', major: 1, minor: 3, fileMode: 8630, uid: 0, gid: 0 },
        { path: '/dev/numberedfifo', type: 'p', major: 1, minor: 2, fileMode: 0o620, uid: 0, gid: 0 },
      ];
    };
    const r = await h.sh(`${STAT_DEV} /dev/podmanchar /dev/numberedfifo`, patch);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual([statLine('/dev/podmanchar', 'c', 1, 3, 0o666, 0, 0), statLine('/dev/numberedfifo', 'p', 0, 0, 0o620, 0, 0)]);
    // validate says what it made of the fileMode; create did not.
    const v = await h.cli(['validate', h.bundle(patch)]);
    expect(v.stdout).toContain('/linux/devices/0/fileMode: warning: fileMode 8630 (0o20666) carries the file type bits; only the permission bits (0o666) are used');
    expect(v.code).toBe(0);
  });

  it('linux.devices: a character device and a fifo, with mode and owner; a missing directory is made', async () => {
    // Root without CAP_DAC_OVERRIDE (default caps) may not write a 0640 device owned by 12.
    const r = await h.shBoth(`${STAT_DEV} /dev/mychar /dev/sub/myfifo; (echo data > /dev/mychar) 2>/dev/null || echo refused`, (s) => {
      s.linux!.devices = [
        { path: '/dev/mychar', type: 'c', major: 1, minor: 3, fileMode: 0o640, uid: 12, gid: 34 },
        { path: '/dev/sub/myfifo', type: 'p', fileMode: 0o600, uid: 0, gid: 0 },
      ];
    });
    expect(r.stdout.trim().split('\n')).toEqual([
      statLine('/dev/mychar', 'c', 1, 3, 0o640, 12, 34),
      statLine('/dev/sub/myfifo', 'p', 0, 0, 0o600, 0, 0),
      'refused',
    ]);
  });

  it('linux.devices over an existing file of another kind is an error; the same device is accepted', async () => {
    const rootfs = copyRootfs(join(h.dir('devs'), 'rootfs'));
    writeFileSync(join(rootfs, 'etc', 'notadev'), 'plain file');
    execFileSync('mknod', ['-m', '666', join(rootfs, 'etc', 'samedev'), 'c', '1', '3']);
    execFileSync('mknod', ['-m', '666', join(rootfs, 'etc', 'otherdev'), 'c', '1', '5']);
    const plain = await h.sh('true', (s) => (s.linux!.devices = [{ path: '/etc/notadev', type: 'c', major: 1, minor: 3 }]), { rootfs });
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/\/etc\/notadev exists and is not a c device/);
    h.expectClean();
    const other = await h.sh('true', (s) => (s.linux!.devices = [{ path: '/etc/otherdev', type: 'c', major: 1, minor: 3 }]), { rootfs });
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/\/etc\/otherdev exists with another minor number than 3/);
    h.expectClean();
    const same = await h.sh(`${STAT_DEV} /etc/samedev`, (s) => (s.linux!.devices = [{ path: '/etc/samedev', type: 'c', major: 1, minor: 3, fileMode: 0o666 }]), { rootfs });
    expect(same.stderr).toBe('');
    expect(same.stdout.trim()).toBe(statLine('/etc/samedev', 'c', 1, 3, 0o666, 0, 0));
  });
});

describe('maskedPaths and readonlyPaths', () => {
  it('a masked file is /dev/null, a masked directory an empty read-only tmpfs, a missing path is ignored', async () => {
    const rootfs = copyRootfs(join(h.dir('mask'), 'rootfs'));
    writeFileSync(join(rootfs, 'etc', 'secret'), 'top secret');
    mkdirSync(join(rootfs, 'etc', 'secret.d'));
    writeFileSync(join(rootfs, 'etc', 'secret.d', 'key'), 'key');
    const r = await h.sh(
      [
        'echo "== file"; stat -c "%F %t:%T" /etc/secret; cat /etc/secret',
        'echo "== dir"; ls -A /etc/secret.d; touch /etc/secret.d/new 2>/dev/null || echo read-only',
        'echo "== keys"; stat -c "%t:%T" /proc/keys',
        'echo "== acpi"; ls -A /proc/acpi 2>&1',
        'echo "== mountinfo"; cat /proc/self/mountinfo',
      ].join('; '),
      (s) => {
        s.linux!.maskedPaths = [...s.linux!.maskedPaths!, '/etc/secret', '/etc/secret.d', '/does/not/exist'];
      },
      { rootfs },
    );
    expect(r.stderr).toBe('');
    const out = sections(r.stdout);
    expect(out.file).toBe('character special file 1:3');
    expect(out.dir).toBe('read-only');
    expect(out.keys).toBe('1:3');
    expect(out.acpi).toBe('');
    const dir = mountAt(out.mountinfo, '/etc/secret.d')!;
    expect([dir.fstype, dir.options[0]]).toEqual(['tmpfs', 'ro']);
  });

  it('readonlyPaths: /proc/sys and a writable bind mount become read-only', async () => {
    const src = h.dir('ro-path');
    const r = await h.sh(
      '(echo 1 > /proc/sys/kernel/domainname) 2>/dev/null || echo proc-sys-ro; touch /mnt/data/x 2>/dev/null || echo data-ro; touch /mnt/other/x && echo other-rw',
      (s) => {
        s.mounts!.push({ destination: '/mnt/data', type: 'bind', source: src, options: ['bind'] });
        s.mounts!.push({ destination: '/mnt/other', type: 'tmpfs', source: 'tmpfs' });
        s.linux!.readonlyPaths = [...s.linux!.readonlyPaths!, '/mnt/data', '/not/there'];
      },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('proc-sys-ro\ndata-ro\nother-rw\n');
  });
});

describe('sysctl', () => {
  it('net and kernel (ipc) sysctls are written in the container\'s namespaces only', async () => {
    const hostForward = execFileSync('cat', ['/proc/sys/net/ipv4/ip_forward'], { encoding: 'utf8' });
    const r = await h.shBoth('cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax /proc/sys/net/core/somaxconn', (s) => {
      s.linux!.sysctl = { 'net.ipv4.ip_forward': hostForward.trim() === '1' ? '0' : '1', 'kernel.shmmax': '123456789', 'net.core.somaxconn': '321' };
    });
    expect(r.stdout).toBe(`${hostForward.trim() === '1' ? '0' : '1'}\n123456789\n321\n`);
    expect(execFileSync('cat', ['/proc/sys/net/ipv4/ip_forward'], { encoding: 'utf8' })).toBe(hostForward);
  });

  it('an unknown sysctl is a clear error', async () => {
    const r = await h.sh('true', (s) => (s.linux!.sysctl = { 'net.ipv4.no_such_knob': '1' }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/net\.ipv4\.no_such_knob/);
    h.expectClean();
  });
});
