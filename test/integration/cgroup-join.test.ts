// How a container process joins its cgroups: born in the unified one (clone3 CLONE_INTO_CGROUP,
// where the kernel has it), then "0" written to each v1 hierarchy's `tasks`. Checked on the spawn
// itself (a process with no join op of its own is in the cgroup it was started in; a cgroup gone
// since it was opened is an error naming clone3), on the planned ops, and on a real container
// (every hierarchy of its /proc/<pid>/cgroup is the container's).
import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { O } from '../../bindings/constants.js';
import { pipe, reapBlocking, spawnProgram } from '../../bindings/libc.js';
import { ProgramBuilder } from '../../bindings/program.js';
import { hostLayout } from '../../lib/cgroups/index.js';
import { ownCgroups, unifiedOf } from '../../lib/cgroups/layout.js';
import { cgroupDirs } from '../../lib/cgroups/path.js';
import { host } from '../../lib/host/host.js';
import { cgroupJoins, planJoinCgroups } from '../../lib/plan/cgroup-joins.js';
import { PlanContext } from '../../lib/plan/context.js';
import { useHarness } from '../support/harness.js';

const h = useHarness('cgroup-join');
const layout = hostLayout();
const unified = unifiedOf(layout);
const into = host().cloneIntoCgroup;
const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) {
    try {
      rmdirSync(d);
    } catch {
      // gone already (the test removed it)
    }
  }
});

/** A program that only execs `cat /proc/self/cgroup`: it joins nothing itself. */
function catOwnCgroup(): Buffer {
  const b = new ProgramBuilder();
  const argv = b.pointerArray([b.string('/bin/cat'), b.string('/proc/self/cgroup')]);
  b.syscall('execve', [b.string('/bin/cat'), argv, b.pointerArray([])], 'exec cat');
  return b.encode(2).bytes;
}

describe.skipIf(!unified || !into)(`spawn into a cgroup (${unified?.mount ?? 'no unified hierarchy'}; clone3 CLONE_INTO_CGROUP ${into ? 'works' : 'refused here'})`, () => {
  it('the executor starts in the cgroup it is given, without writing cgroup.procs', () => {
    const dir = join(unified!.mount, `ocirun-join-${process.pid}`);
    mkdirSync(dir);
    made.push(dir);
    const fd = openSync(dir, O.PATH | O.DIRECTORY);
    const [r, w] = pipe();
    let out: string;
    let writeEnd: number | undefined = w;
    try {
      const pid = spawnProgram(catOwnCgroup(), { programFd: 200, stdio: [0, w, 2] }, 0, [], fd);
      closeSync(w);
      writeEnd = undefined;
      expect(reapBlocking(pid)).toBe(0);
      out = readFileSync(r, 'utf8');
    } finally {
      if (writeEnd !== undefined) closeSync(writeEnd);
      closeSync(fd);
      closeSync(r);
    }
    expect(out.split('\n')).toContain(`0::${dir.slice(unified!.mount.length)}`);
  });

  it('a cgroup removed since it was opened: the spawn fails, naming clone3', () => {
    const dir = join(unified!.mount, `ocirun-join-gone-${process.pid}`);
    mkdirSync(dir);
    made.push(dir);
    const fd = openSync(dir, O.PATH | O.DIRECTORY);
    rmdirSync(dir);
    try {
      expect(() => spawnProgram(catOwnCgroup(), { programFd: 200 }, 0, [], fd)).toThrow(/^clone3\(CLONE_INTO_CGROUP\): no such file or directory/);
    } finally {
      closeSync(fd);
    }
  });
});

describe('the planned joins', () => {
  it('v1: "0" to tasks; the unified hierarchy: nothing when the spawn starts the process there, else cgroup.procs', () => {
    const hierarchies = [
      { mount: '/sys/fs/cgroup/memory', version: 1 as const },
      { mount: '/sys/fs/cgroup/unified', version: 2 as const },
    ];
    const described = (atSpawn: boolean) => {
      const ctx = new PlanContext({ ociVersion: '1.3.0' }, { capLastCap: 40 });
      planJoinCgroups(ctx, cgroupJoins([10, 11], hierarchies, atSpawn));
      return ctx.b.encode(3).descriptions;
    };
    expect(described(true)).toEqual([
      "join the container's cgroup in /sys/fs/cgroup/memory: open tasks",
      "join the container's cgroup in /sys/fs/cgroup/memory",
      "join the container's cgroup in /sys/fs/cgroup/memory: close tasks",
    ]);
    expect(described(false).slice(3)).toEqual([
      "join the container's cgroup in /sys/fs/cgroup/unified: open cgroup.procs",
      "join the container's cgroup in /sys/fs/cgroup/unified",
      "join the container's cgroup in /sys/fs/cgroup/unified: close cgroup.procs",
    ]);
  });
});

describe.skipIf(layout.mode === 'none')(`a container's process is in its cgroups from create on (${layout.mode})`, () => {
  it('every hierarchy of /proc/<pid>/cgroup is the container\'s, before start', async () => {
    const id = h.id();
    const bundle = h.bundle((s) => {
      s.process!.args = ['sleep', '100'];
    });
    expect((await h.cli(['create', '--bundle', bundle, id])).stderr).toBe('');
    try {
      const pid = JSON.parse((await h.cli(['state', id])).stdout).pid as number;
      const own = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      for (const d of cgroupDirs(layout, undefined, id, ownCgroups)) {
        const path = d.dir.slice(d.hierarchy.mount.length);
        const controllers = d.hierarchy.version === 2 ? '' : `[^:]*\\b${d.hierarchy.controllers[0]!.replace('name=', '')}\\b[^:]*`;
        expect(own).toMatch(new RegExp(`^${d.hierarchy.version === 2 ? '0' : '\\d+'}:${controllers}:${path}$`, 'm'));
        expect(readFileSync(join(d.dir, 'cgroup.procs'), 'utf8').split('\n')).toContain(String(pid));
      }
    } finally {
      await h.cli(['delete', '--force', id]);
    }
    h.expectClean();
  });
});
