// What a container without a cgroup namespace sees at /sys/fs/cgroup, as runc lays it out: on v1
// and hybrid hosts each hierarchy's mount is rooted at the container's own cgroup (its limits at
// the top, nothing of its parents or siblings), with a user namespace too; on v2 the whole
// hierarchy (runc mounts cgroup2 from its root there). The container stays in the runtime's
// cgroup namespace.
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostLayout } from '../../lib/cgroups/index.js';
import { ownCgroups } from '../../lib/cgroups/layout.js';
import { cgroupDirs } from '../../lib/cgroups/path.js';
import type { Spec } from '../../lib/spec/index.js';
import { CLI, spawnCollect, useHarness } from '../support/harness.js';
import { copyRootfs } from '../support/rootfs.js';

const h = useHarness('cgroups-mount');
const layout = hostLayout();
const hasV1 = layout.hierarchies.some((x) => x.version === 1);

/** Prints pids.max at the top of the pids mount, that mount's root, and the cgroup namespace. */
const PROBE = [
  'cat /sys/fs/cgroup/pids/pids.max',
  "grep ' /sys/fs/cgroup/pids ' /proc/self/mountinfo | cut -d' ' -f4",
  'readlink /proc/self/ns/cgroup',
  'ls /sys/fs/cgroup | tr "\\n" " "',
].join('; ');

const limited = (more?: (s: Spec) => void) => (s: Spec) => {
  expect(s.linux!.namespaces!.some((n) => n.type === 'cgroup')).toBe(false);
  s.linux!.resources = { pids: { limit: 7 } };
  s.process!.args = ['sh', '-c', PROBE];
  more?.(s);
};

/** The container's pids cgroup path, as the runtime's cgroup namespace (the host's) shows it. */
function pidsPath(id: string): string {
  const d = cgroupDirs(layout, undefined, id, ownCgroups).find((x) => x.hierarchy.controllers.includes('pids'))!;
  return d.dir.slice(d.hierarchy.mount.length);
}

describe.skipIf(!hasV1)(`without a cgroup namespace (${layout.mode})`, () => {
  it("each hierarchy is mounted from the container's own cgroup; the namespace is the runtime's", async () => {
    const id = h.id();
    const r = await h.cli(['run', '--bundle', h.bundle(limited()), id]);
    expect(r.stderr).toBe('');
    const [max, root, ns, names] = r.stdout.split('\n');
    expect({ max, root, ns }).toEqual({ max: '7', root: pidsPath(id), ns: readlinkSync('/proc/self/ns/cgroup') });
    for (const x of layout.hierarchies) expect(names!.split(' ')).toContain(x.mount.slice('/sys/fs/cgroup/'.length));
    h.expectClean();
  });

  it('in a user namespace too (the mounts are made before it)', async () => {
    const rootfs = copyRootfs(join(h.dir('userns'), 'rootfs'));
    execFileSync('chown', ['-R', '100000:100000', rootfs]);
    const id = h.id();
    const bundle = h.bundle(
      limited((s) => {
        s.linux!.namespaces!.push({ type: 'user' });
        s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      }),
      { rootfs },
    );
    const r = await h.cli(['run', '--bundle', bundle, id]);
    expect(r.stderr).toBe('');
    const [max, root] = r.stdout.split('\n');
    expect({ max, root }).toEqual({ max: '7', root: pidsPath(id) });
    h.expectClean();
  });
});

function inView(setup: string, args: string[]) {
  return spawnCollect('unshare', ['-m', 'sh', '-c', `${setup} && exec "$@"`, 'sh', process.execPath, CLI, '--root', h.root, ...args]);
}

describe.skipIf(layout.mode !== 'hybrid')('pure v1 and pure v2 views of this hybrid host', () => {
  it("pure v1: the container's own cgroups, no unified directory", async () => {
    const id = h.id();
    const r = await inView('umount /sys/fs/cgroup/unified', ['run', '--bundle', h.bundle(limited()), id]);
    expect(r.stderr).toBe('');
    const [max, root, , names] = r.stdout.split('\n');
    expect({ max, root }).toEqual({ max: '7', root: pidsPath(id) });
    expect(names).not.toContain('unified');
    h.expectClean();
  });

  it('pure v2: cgroup2 from the root of the hierarchy, as runc mounts it', async () => {
    const id = h.id();
    const bundle = h.bundle((s) => {
      s.process!.args = ['sh', '-c', 'p=$(grep ^0:: /proc/self/cgroup | cut -d: -f3); echo $p; test -e /sys/fs/cgroup$p/cgroup.procs && echo found; readlink /proc/self/ns/cgroup'];
    });
    const r = await inView('umount -R /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup', ['run', '--bundle', bundle, id]);
    expect(r.stderr).toBe('');
    const unified = cgroupDirs(layout, undefined, id, ownCgroups).find((d) => d.hierarchy.version === 2)!;
    expect(r.stdout).toBe(`${unified.dir.slice(unified.hierarchy.mount.length)}\nfound\n${readlinkSync('/proc/self/ns/cgroup')}\n`);
    h.expectClean();
  });
});
