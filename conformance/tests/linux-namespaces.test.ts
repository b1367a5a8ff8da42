// config-linux.md#namespaces, #user-namespace-mappings, #offset-for-time-namespace: namespace
// identities are compared from the host through /proc/PID/ns of the container process.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, describeResult, expect, spec, test, type Harness } from '../harness/harness.js';
import { nsId, readProc } from '../harness/host.js';
import type { Config } from '../harness/bundle.js';
import { kernelFile } from '../harness/requires.js';
import { userns, withNamespace, withoutNamespace } from '../harness/patches.js';

const SLEEP = ['sleep', '600'];
/** spec namespace type → /proc/PID/ns entry */
const PROC_NS: Record<string, string> = { pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time' };

/** Prepare a config so that namespace `type` can be added or removed without other errors. */
function adapt(c: Config, type: string, present: boolean) {
  if (type === 'user' && present) userns(c);
  if (type === 'uts' && !present) delete c.hostname;
  // sysfs can only be mounted fresh inside a new network namespace
  if (type === 'network' && !present) c.mounts = c.mounts.filter((m: { destination: string }) => m.destination !== '/sys' && m.destination !== '/sys/fs/cgroup');
}

/** create + start a sleeping container; its running pid (time namespaces apply from exec on) */
async function running(h: Harness, patch: (c: Config) => void): Promise<number> {
  const b = h.bundle({ args: SLEEP, patch });
  await h.mustCreate(b);
  await h.mustStart(b.id);
  return (await h.mustState(b.id)).pid!;
}

describe('config-linux.md#namespaces', () => {
  for (const type of Object.keys(PROC_NS)) {
    test(spec('config-linux.md#namespaces', `LNX-NS-NEW-${type}`, `a "${type}" entry without path creates a new ${type} namespace`), async ({ h }) => {
      h.requires(kernelFile(`/proc/self/ns/${PROC_NS[type]}`, `${type} namespaces`));
      const pid = await running(h, (c) => {
        withNamespace(c, type);
        adapt(c, type, true);
      });
      expect(nsId(pid, PROC_NS[type]!)).not.toBe(nsId('self', PROC_NS[type]!));
    });
  }

  // mount is left out: runc 1.1 sets up a container without one in the host's mount namespace
  // (makes / rslave, mounts the config's mounts there and leaves them); ocirun's is tested in
  // test/integration/no-mount-namespace.test.ts, which checks the host's mount table
  for (const type of ['pid', 'network', 'ipc', 'uts', 'user', 'cgroup', 'time']) {
    test(spec('config-linux.md#namespaces', `LNX-NS-INHERIT-${type}`, `without a "${type}" entry the container inherits the runtime ${type} namespace`), async ({ h }) => {
      h.requires(kernelFile(`/proc/self/ns/${PROC_NS[type]}`, `${type} namespaces`));
      const pid = await running(h, (c) => {
        withoutNamespace(c, type);
        adapt(c, type, false);
      });
      expect(nsId(pid, PROC_NS[type]!)).toBe(nsId('self', PROC_NS[type]!));
    });
  }

  // Joining: a first container holds the namespace; the second names it by path.
  for (const type of ['network', 'ipc', 'uts', 'pid', 'cgroup', 'user', 'time']) {
    test(spec('config-linux.md#namespaces', `LNX-NS-JOIN-${type}`, `a "${type}" entry with path places the container in that namespace`), async ({ h }) => {
      h.requires(kernelFile(`/proc/self/ns/${PROC_NS[type]}`, `${type} namespaces`));
      const holder = await running(h, (c) => {
        withNamespace(c, type);
        adapt(c, type, true);
      });
      const path = `/proc/${holder}/ns/${PROC_NS[type]}`;
      const pid = await running(h, (c) => {
        withNamespace(c, type, path);
        // mappings, when given, describe the joined namespace: give the holder's
        if (type === 'user') {
          userns(c);
          withNamespace(c, type, path);
        }
      });
      expect(nsId(pid, PROC_NS[type]!)).toBe(nsId(holder, PROC_NS[type]!));
    });
  }

  test(spec('config-linux.md#namespaces', 'LNX-NS-PATH-WRONGTYPE', 'a path whose namespace is not of the given type generates an error'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP, patch: (c) => withNamespace(c, 'network', '/proc/self/ns/uts') });
    const r = await h.create(b);
    h.expectError(r, /ns\/uts|\bnet(work)?\b|namespace type/i);
  });

  test(spec('config-linux.md#namespaces', 'LNX-NS-PATH-NOTNS', 'a path that is not a namespace file generates an error'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP, patch: (c, x) => withNamespace(c, 'network', join(x.dir, 'config.json')) });
    const r = await h.create(b);
    h.expectError(r, /config\.json|namespace/i);
  });

  test(spec('config-linux.md#namespaces', 'LNX-NS-PATH-REL', 'a relative namespace path is invalid and generates an error'), async ({ h }) => {
    const holder = await running(h, () => undefined);
    const b = h.bundle({ args: SLEEP, patch: (c) => withNamespace(c, 'network', `proc/${holder}/ns/net`) });
    const r = await h.create(b, { cwd: '/' });
    h.expectError(r, /proc\/\d+\/ns\/net|relative|absolute/i);
  });

  test(spec('config-linux.md#namespaces', 'LNX-NS-DUP', 'duplicated namespace types generate an error'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP, patch: (c) => c.linux.namespaces.push({ type: 'ipc' }) });
    const r = await h.create(b);
    h.expectError(r, /ipc/i);
  });

  test(spec('config-linux.md#namespaces', 'LNX-NS-PID-001', 'pid namespace: the container sees only its own processes, the program is pid 1'), async ({ h }) => {
    const out = await h.mustProbe('echo $$; ls /proc | grep -c "^[0-9]"');
    const [self, count] = out.trim().split('\n');
    expect(self).toBe('1');
    // sh, and the ls + grep it runs
    expect(Number(count)).toBeLessThanOrEqual(3);
  });

  test(spec('config-linux.md#namespaces', 'LNX-NS-NET-001', 'network namespace: the container has its own network stack (only lo)'), async ({ h }) => {
    const out = await h.mustProbe('ls /sys/class/net');
    expect(out.trim().split(/\s+/)).toEqual(['lo']);
  });

  test(spec('config-linux.md#namespaces', 'LNX-NS-UTS-001', 'uts namespace: the container hostname does not change the host hostname'), async ({ h }) => {
    const before = readProc('self', '../sys/kernel/hostname');
    expect(await h.mustProbe('hostname', (c) => (c.hostname = 'isolated-uts'))).toBe('isolated-uts\n');
    expect(readProc('self', '../sys/kernel/hostname')).toBe(before);
  });

  test(spec('config-linux.md#namespaces', 'LNX-NS-CGROUP-001', 'cgroup namespace: the container sees its cgroup as the root'), async ({ h }) => {
    const out = await h.mustProbe('cat /proc/self/cgroup', (c) => withNamespace(c, 'cgroup'));
    for (const line of out.trim().split('\n')) expect(line.split(':')[2], line).toBe('/');
  });
});

describe('config-linux.md#user-namespace-mappings', () => {
  test(spec('config-linux.md#user-namespace-mappings', 'LNX-USERNS-001', 'uidMappings become the uid_map of the container user namespace'), async ({ h }) => {
    const pid = await running(h, (c) => userns(c, 100000, 65536));
    expect(readProc(pid, 'uid_map').trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
  });

  test(spec('config-linux.md#user-namespace-mappings', 'LNX-USERNS-002', 'gidMappings become the gid_map of the container user namespace'), async ({ h }) => {
    const pid = await running(h, (c) => {
      userns(c, 100000, 65536);
      c.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 1000 }];
    });
    expect(readProc(pid, 'gid_map').trim().split(/\s+/)).toEqual(['0', '200000', '1000']);
  });

  test(spec('config-linux.md#user-namespace-mappings', 'LNX-USERNS-003', 'several mapping entries are all applied'), async ({ h }) => {
    const pid = await running(h, (c) => {
      userns(c);
      c.linux.uidMappings = [
        { containerID: 0, hostID: 100000, size: 1000 },
        { containerID: 1000, hostID: 300000, size: 500 },
      ];
    });
    const rows = readProc(pid, 'uid_map').trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    expect(rows).toEqual(['0 100000 1000', '1000 300000 500']);
  });

  test(spec('config-linux.md#user-namespace-mappings', 'LNX-USERNS-004', 'root in the container is the mapped host uid, not host root'), async ({ h }) => {
    const pid = await running(h, (c) => userns(c, 100000, 65536));
    expect(statSync(`/proc/${pid}`).uid).toBe(100000);
  });

  test(spec('config-linux.md#user-namespace-mappings', 'LNX-USERNS-005', 'SHOULD NOT: the runtime does not chown the rootfs to realize the mapping'), async ({ h }) => {
    const b = h.bundle({ args: ['true'], patch: (c) => userns(c) });
    const r = await h.run(b);
    expect(r.code, describeResult(r)).toBe(0);
    const owners = new Set<number>();
    const walk = (d: string) => {
      for (const e of readdirSync(d)) {
        const st = statSync(join(d, e), { throwIfNoEntry: false });
        if (!st) continue;
        owners.add(st.uid);
        if (st.isDirectory()) walk(join(d, e));
      }
    };
    walk(b.rootfs);
    expect([...owners]).toEqual([0]);
  });
});

describe('config-linux.md#offset-for-time-namespace', () => {
  test(spec('config-linux.md#offset-for-time-namespace', 'LNX-TIMENS-001', 'timeOffsets set the clock offsets of the new time namespace'), async ({ h }) => {
    h.requires(kernelFile('/proc/self/timens_offsets', 'time namespaces'));
    const out = await h.mustProbe('cat /proc/self/timens_offsets', (c) => {
      withNamespace(c, 'time');
      c.linux.timeOffsets = { monotonic: { secs: 259200, nanosecs: 0 }, boottime: { secs: 604800, nanosecs: 500 } };
    });
    const rows = out.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    expect(rows).toEqual(expect.arrayContaining(['monotonic 259200 0', 'boottime 604800 500']));
  });
});

