// A container without a mount namespace (config-linux.md: it inherits the runtime's). It shares
// the host's mount namespace, and its root is a detached copy of the rootfs's mount tree: its
// mounts land there, so the host's mount table is the same before, during and after.
import { mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useHarness, type Patch } from '../support/harness.js';
import { parseMountinfo } from '../support/probes.js';
import { copyRootfs } from '../support/rootfs.js';

const h = useHarness('nomntns');

const noMountNs: Patch = (s) => {
  s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'mount');
};

/** The host's mount table as this process sees it: points, filesystems and propagation. */
function hostMounts(): string[] {
  return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')).map((m) => `${m.fstype} ${m.mountPoint} ${m.root} ${m.optional.join(',')}`);
}
/** Mounts other tests of the machine may add or remove meanwhile are not ours to compare. */
const ours = (rootfs: string, tmp: string) => (line: string) => line.includes(rootfs) || line.includes(tmp) || line.split(' ')[1] === '/';


describe('no mount namespace', () => {
  it('runs in the host mount namespace with every configured mount, and leaves the host mount table unchanged', async () => {
    const rootfs = copyRootfs(join(h.dir('rootfs'), 'rootfs'));
    const filter = ours(rootfs, h.tmp);
    const before = hostMounts().filter(filter);
    for (const via of ['cli', 'library'] as const) {
      const r = await h.sh(
        'readlink /proc/self/ns/mnt; ls /proc/1/ >/dev/null && echo proc; ls /sys/fs/cgroup | grep -c . ; cat /proc/kcore 2>&1 | head -c 0 && echo masked; touch /x 2>&1 | grep -c Read-only; echo $$',
        noMountNs,
        { rootfs, via },
      );
      expect(r.stderr, via).toBe('');
      expect(r.code, via).toBe(0);
      const [mnt, proc, cgroups, masked, readonly, pid] = r.stdout.trim().split('\n');
      expect(mnt, via).toBe(readlinkSync('/proc/self/ns/mnt'));
      expect(proc, via).toBe('proc');
      expect(Number(cgroups), via).toBeGreaterThan(0);
      expect(masked, via).toBe('masked');
      expect(readonly, via).toBe('1');
      expect(pid, via).toBe('1');
    }
    expect(hostMounts().filter(filter)).toEqual(before);
  });

  it('while it runs, its mounts are in its root only; exec reaches them; delete leaves nothing', async () => {
    const rootfs = copyRootfs(join(h.dir('rootfs'), 'rootfs'));
    const filter = ours(rootfs, h.tmp);
    const before = hostMounts().filter(filter);
    const bundle = h.bundle((s) => {
      noMountNs(s);
      s.process!.args = ['sleep', '60'];
    }, { rootfs });
    const id = h.id();
    expect((await h.cli(['create', '--bundle', bundle, id])).code).toBe(0);
    expect((await h.cli(['start', id])).code).toBe(0);
    const pid = (await h.state(id)).pid!;
    // The container's /proc and /dev are mounted, seen through its root, not on the host's rootfs.
    expect(readFileSync(`/proc/${pid}/root/proc/1/comm`, 'utf8')).toBe('sleep\n');
    expect(hostMounts().filter(filter)).toEqual(before);
    const e = await h.cli(['exec', id, 'sh', '-c', 'readlink /proc/self/ns/mnt; cat /proc/1/comm']);
    expect(e.stdout).toBe(`${readlinkSync('/proc/self/ns/mnt')}\nsleep\n`);
    expect((await h.cli(['delete', '--force', id])).code).toBe(0);
    expect(hostMounts().filter(filter)).toEqual(before);
  });

  it('attack: a destination symlinked to a host directory is mounted in the container\'s root, never on the host', async () => {
    const rootfs = copyRootfs(join(h.dir('rootfs'), 'rootfs'));
    const hostDir = h.dir('host-target');
    writeFileSync(join(hostDir, 'host-file'), 'host\n');
    symlinkSync(hostDir, join(rootfs, 'escape'));
    const source = h.dir('source');
    writeFileSync(join(source, 'payload'), 'payload\n');
    mkdirSync(join(rootfs, hostDir.slice(1)), { recursive: true });
    const before = hostMounts().filter(ours(rootfs, h.tmp));
    const r = await h.sh(`ls ${hostDir}; ls /escape/`, (s) => {
      noMountNs(s);
      s.mounts!.push({ destination: '/escape', type: 'bind', source, options: ['rbind', 'ro'] });
    }, { rootfs });
    expect(r.stderr).toBe('');
    // The symlink resolved inside the rootfs: the bind covers <rootfs><hostDir>.
    expect(r.stdout).toBe('payload\npayload\n');
    expect(hostMounts().filter(ours(rootfs, h.tmp))).toEqual(before);
    expect(readFileSync(join(hostDir, 'host-file'), 'utf8')).toBe('host\n');
  });

  it('refuses what needs a mount namespace of its own, naming it', async () => {
    const cases: [string, Patch, string[]?][] = [
      ['a user namespace needs one too', (s) => {
        noMountNs(s);
        s.linux!.namespaces!.push({ type: 'user' });
        s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      }],
      ['/linux/rootfsPropagation "shared" is not possible', (s) => {
        noMountNs(s);
        s.linux!.rootfsPropagation = 'shared';
      }],
      ['--no-pivot needs a mount namespace', noMountNs, ['--no-pivot']],
    ];
    for (const [message, patch, flags] of cases) {
      const r = await h.sh('true', patch, { flags });
      expect(r.code, message).not.toBe(0);
      expect(r.stderr, message).toContain('config.json: /linux/namespaces has no "mount" namespace: ');
      expect(r.stderr, message).toContain(message);
    }
  });
});
