// Namespaces, seen from inside the container: new ones differ from the host's, joined ones are
// the same as the target's, and each behaves as config.json says (pid 1, only lo, hostname,
// time offsets, id maps).
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LinuxNamespaceType } from '../../lib/spec/index.js';
import { useHarness, type Patch } from '../support/harness.js';
import { sections } from '../support/probes.js';
import { copyRootfs } from '../support/rootfs.js';

const h = useHarness('ns');

const NS_FILE: Record<LinuxNamespaceType, string> = {
  pid: 'pid', network: 'net', ipc: 'ipc', uts: 'uts', mount: 'mnt', cgroup: 'cgroup', time: 'time', user: 'user',
};
const hostNs = (file: string) => readlinkSync(`/proc/self/ns/${file}`);
const PRINT_NS = Object.values(NS_FILE)
  .map((f) => `echo "== ${f}"; readlink /proc/self/ns/${f}`)
  .join('; ');

const withNamespaces = (types: LinuxNamespaceType[]): Patch => (s) => {
  s.linux!.namespaces = types.map((type) => ({ type }));
  // A hostname needs a private uts namespace.
  if (!types.includes('uts')) delete s.hostname;
};

/** A rootfs the mapped root (host uid/gid 100000) owns, for user-namespace tests. */
function mappedRootfs(): string {
  const dir = copyRootfs(join(h.dir('userns'), 'rootfs'));
  execFileSync('chown', ['-R', '100000:100000', dir]);
  return dir;
}
const userMaps: Patch = (s) => {
  s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
};

describe('new namespaces', () => {
  it('each configured namespace is new, each other one is the host\'s', async () => {
    const all: LinuxNamespaceType[] = ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup', 'time'];
    for (const via of ['cli', 'library'] as const) {
      const r = await h.sh(PRINT_NS, withNamespaces(all), { via });
      expect(r.code).toBe(0);
      const inside = sections(r.stdout);
      for (const t of all) expect(inside[NS_FILE[t]], `${t} via ${via}`).not.toBe(hostNs(NS_FILE[t]));
      expect(inside.user).toBe(hostNs('user'));
    }

    // Only mount: everything else is shared with the host.
    const only = sections((await h.sh(PRINT_NS, withNamespaces(['mount']))).stdout);
    for (const f of ['pid', 'net', 'ipc', 'uts', 'cgroup', 'time', 'user']) expect(only[f], f).toBe(hostNs(f));
    expect(only.mnt).not.toBe(hostNs('mnt'));
  });

  it('pid: the process is pid 1 and sees only its own processes', async () => {
    const r = await h.shBoth('echo $$; cat /proc/1/cmdline | tr "\\0" " "; echo; ps -o pid,comm | tail -n +2 | sort -n | head -1');
    const [self, init, first] = r.stdout.split('\n');
    expect(self).toBe('1');
    expect(init).toBe(`sh -c ${'echo $$; cat /proc/1/cmdline | tr "\\0" " "; echo; ps -o pid,comm | tail -n +2 | sort -n | head -1'} `);
    // The lowest pid in view is the container's own init, not the host's.
    expect(first.trim()).toBe('1 sh');
  });

  it('network: only the loopback interface', async () => {
    const r = await h.sh("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; ls /sys/class/net");
    expect(r.stdout).toBe('lo\nlo\n');
  });

  it('ipc: System V objects of the host are invisible', async () => {
    // A host message queue id must not exist in the container's fresh ipc namespace.
    const qid = execFileSync('ipcmk', ['-Q'], { encoding: 'utf8' }).match(/(\d+)/)![1];
    try {
      const r = await h.sh('tail -n +2 /proc/sysvipc/msg | wc -l');
      expect(r.stdout.trim()).toBe('0');
      const shared = await h.sh('tail -n +2 /proc/sysvipc/msg | awk \'{print $2}\'', (s) => {
        s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'ipc');
      });
      expect(shared.stdout.split('\n')).toContain(qid);
    } finally {
      execFileSync('ipcrm', ['-q', qid]);
    }
  });

  it('uts: hostname and domainname from config.json', async () => {
    const r = await h.shBoth('hostname; cat /proc/sys/kernel/domainname; uname -n', (s) => {
      s.hostname = 'box-one';
      s.domainname = 'example.test';
    });
    expect(r.stdout).toBe('box-one\nexample.test\nbox-one\n');
    expect(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim()).not.toBe('box-one');
  });

  it('cgroup: the namespace root is the container\'s cgroup', async () => {
    const r = await h.sh('cut -d: -f3 /proc/self/cgroup | sort -u', withNamespaces(['pid', 'mount', 'cgroup']));
    expect(r.stdout).toBe('/\n');
  });

  it('time: linux.timeOffsets shift the monotonic and boot clocks', async () => {
    const hostUptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const r = await h.sh('cat /proc/self/timens_offsets; echo ==; cut -d" " -f1 /proc/uptime', (s) => {
      s.linux!.namespaces!.push({ type: 'time' });
      s.linux!.timeOffsets = { monotonic: { secs: 1000, nanosecs: 0 }, boottime: { secs: 86400, nanosecs: 500 } };
    });
    const [offsets, uptime] = r.stdout.split('==\n');
    expect(offsets.split('\n').map((l) => l.trim().split(/\s+/).join(' '))).toEqual(['monotonic 1000 0', 'boottime 86400 500', '']);
    const shift = Number(uptime) - hostUptime;
    expect(shift).toBeGreaterThan(86400 - 1);
    expect(shift).toBeLessThan(86400 + 60);
  });

  it('user: id maps, mapped root, file ownership through the maps', async () => {
    const rootfs = mappedRootfs();
    const shared = h.dir('user-shared');
    const r = await h.sh(
      'cat /proc/self/uid_map /proc/self/gid_map; echo ==; id -u; id -g; stat -c %u:%g /bin/busybox /shared; touch /tmp/made-inside',
      (s) => {
        s.linux!.namespaces!.push({ type: 'user' });
        userMaps(s);
        s.root!.readonly = false;
        s.mounts!.push({ destination: '/shared', type: 'bind', source: shared, options: ['bind'] });
      },
      { rootfs },
    );
    expect(r.stderr).toBe('');
    const [maps, ids] = r.stdout.split('==\n');
    expect(maps.split('\n').map((l) => l.trim().split(/\s+/).join(' '))).toEqual(['0 100000 65536', '0 100000 65536', '']);
    // Host root (owner of the bind source) is not mapped: the overflow id.
    expect(ids).toBe('0\n0\n0:0\n65534:65534\n');
    const made = statSync(join(rootfs, 'tmp', 'made-inside'));
    expect([made.uid, made.gid]).toEqual([100000, 100000]);
  });

  it('user: the default cgroup mount works in a user namespace', async () => {
    // A user namespace may not mount a v1 hierarchy: the mounts are made before it (test/integration/cgroups-mount.test.ts).
    const rootfs = mappedRootfs();
    const r = await h.sh('ls /sys/fs/cgroup', (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    }, { rootfs });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('memory');
  });
});

describe('joining namespaces by path', () => {
  it('net, ipc, uts and pid of another container', async () => {
    const first = h.id('target');
    await h.create(first, h.bundle((s) => (s.process!.args = ['sleep', '60'])));
    await (await h.rt.load(first)).start();
    const pid = (await h.state(first)).pid!;
    const joined: LinuxNamespaceType[] = ['network', 'ipc', 'uts', 'pid'];
    const r = await h.sh(`${PRINT_NS}; echo "== ps"; ps -o comm | tail -n +2`, (s) => {
      s.linux!.namespaces = [...joined.map((type) => ({ type, path: `/proc/${pid}/ns/${NS_FILE[type]}` })), { type: 'mount' }];
      // The uts namespace is the target's: setting a hostname would change the target's.
      delete s.hostname;
    });
    expect(r.stderr).toBe('');
    const inside = sections(r.stdout);
    for (const t of joined) expect(inside[NS_FILE[t]], t).toBe(readlinkSync(`/proc/${pid}/ns/${NS_FILE[t]}`));
    expect(inside.mnt).not.toBe(readlinkSync(`/proc/${pid}/ns/mnt`));
    // In the target's pid namespace its init is visible.
    expect(inside.ps.split('\n')).toContain('sleep');
    await (await h.rt.load(first)).delete({ force: true });
  });

  it('user namespace of another container: same id maps', async () => {
    const rootfs = mappedRootfs();
    const first = h.id('target');
    await h.create(
      first,
      h.bundle((s) => {
        s.process!.args = ['sleep', '60'];
        s.linux!.namespaces!.push({ type: 'user' });
        userMaps(s);
      }, { rootfs }),
    );
    const pid = (await h.state(first)).pid!;
    const r = await h.sh('readlink /proc/self/ns/user; cat /proc/self/uid_map; id -u', (s) => {
      s.linux!.namespaces = [
        { type: 'user', path: `/proc/${pid}/ns/user` },
        { type: 'mount' },
        { type: 'pid' },
        { type: 'network', path: `/proc/${pid}/ns/net` },
      ];
      delete s.hostname;
      userMaps(s);
      // The ipc namespace is the host's, not owned by the joined user namespace: no mqueue.
      s.mounts = s.mounts!.filter((m) => m.type !== 'mqueue');
    }, { rootfs });
    expect(r.stderr).toBe('');
    const [ns, map, uid] = r.stdout.split('\n');
    expect(ns).toBe(readlinkSync(`/proc/${pid}/ns/user`));
    expect(map.trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
    expect(uid).toBe('0');
    await (await h.rt.load(first)).delete({ force: true });
  });

  it('a namespace path that does not exist is a clear error', async () => {
    const r = await h.sh('true', (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { ...n, path: '/proc/999999999/ns/net' } : n));
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/network namespace \/proc\/999999999\/ns\/net/);
    h.expectClean();
  });
});
