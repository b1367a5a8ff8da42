// The runc-compatible command line that clients (containerd's shim, podman/conmon) rely on, beyond
// the spec's abstract operations: run, exec, pid files, signal names, list, pause, delete --force.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, describeResult, expect, featureTest, spec, test } from '../harness/harness.js';
import { CGROUPS } from '../harness/feature-catalog.js';
import { nsId, pidAlive, procStatus, readCgroupFile } from '../harness/host.js';
import { cgroupV1 } from '../harness/requires.js';

const SLEEP = ['sleep', '600'];

describe('runc-cli', () => {
  test(spec('runc-cli#run', 'CLI-RUN-001', 'run exits with the exit code of the container process'), async ({ h }) => {
    const r = await h.run(h.bundle({ args: ['sh', '-c', 'exit 7'] }));
    expect(r.code, describeResult(r)).toBe(7);
  });

  test(spec('runc-cli#run', 'CLI-RUN-002', 'run removes the container once it has exited'), async ({ h }) => {
    const b = h.bundle({ args: ['true'] });
    const r = await h.run(b);
    expect(r.code, describeResult(r)).toBe(0);
    expect((await h.state(b.id)).r.code).not.toBe(0);
  });

  test(spec('runc-cli#create', 'CLI-PIDFILE-001', 'create --pid-file writes the container pid'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    const pidFile = h.path('pid');
    const s = await h.mustCreate(b, { extra: ['--pid-file', pidFile] });
    expect(readFileSync(pidFile, 'utf8').trim()).toBe(String(s.pid));
  });

  for (const sig of ['9', 'KILL', 'SIGKILL']) {
    test(spec('runc-cli#kill', `CLI-KILL-${sig}`, `kill accepts the signal as "${sig}"`), async ({ h }) => {
      const b = h.bundle({ args: SLEEP });
      await h.mustCreate(b);
      await h.mustStart(b.id);
      const r = await h.kill(b.id, sig);
      expect(r.code, describeResult(r)).toBe(0);
      expect(await h.waitStatus(b.id, 'stopped')).toBe('stopped');
    });
  }

  test(spec('runc-cli#kill', 'CLI-KILL-DEFAULT', 'kill without a signal sends SIGTERM'), async ({ h }) => {
    const out = h.mkdir('out');
    const b = h.bundle({
      args: ['sh', '-c', "trap 'echo term > /out/sig; exit 0' TERM; echo ready > /out/ready; while true; do sleep 0.1; done"],
      patch: (c) => c.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] }),
    });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    await h.waitFile(join(out, 'ready'));
    expect((await h.kill(b.id)).code).toBe(0);
    expect(await h.waitFile(join(out, 'sig'))).toBe('term\n');
  });

  test(spec('runc-cli#delete', 'CLI-DELETE-FORCE', 'delete --force kills and deletes a running container'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    const s = await h.mustState(b.id);
    const r = await h.delete(b.id, true);
    expect(r.code, describeResult(r)).toBe(0);
    expect((await h.state(b.id)).r.code).not.toBe(0);
    for (let i = 0; i < 400 && pidAlive(s.pid!); i++) await sleep(50);
    expect(pidAlive(s.pid!)).toBe(false);
  });

  test(spec('runc-cli#list', 'CLI-LIST-001', 'list --format json lists the container with its status'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    await h.mustCreate(b);
    const r = await h.cli(['list', '--format', 'json']);
    expect(r.code, describeResult(r)).toBe(0);
    const row = (JSON.parse(r.stdout) as { id: string; status: string }[]).find((x) => x.id === b.id);
    expect(row?.status).toBe('created');
  });

  test(spec('runc-cli#exec', 'CLI-EXEC-001', 'exec runs a process inside the running container namespaces'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    const s = await h.mustState(b.id);
    const r = await h.exec(b.id, ['sh', '-c', 'for t in mnt pid net uts ipc; do readlink /proc/self/ns/$t; done']);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['mnt', 'pid', 'net', 'uts', 'ipc'].map((t) => nsId(s.pid!, t)));
  });

  test(spec('runc-cli#exec', 'CLI-EXEC-002', 'exec --process runs the process described by a process.json'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    const proc = h.path('process.json');
    writeFileSync(proc, JSON.stringify({ ...b.config.process, args: ['sh', '-c', 'echo "$X $(pwd) $(id -u)"'], env: ['PATH=/bin', 'X=from-json'], cwd: '/bin', user: { uid: 1000, gid: 1000 } }));
    const r = await h.cli(['exec', '--process', proc, b.id]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toBe('from-json /bin 1000\n');
  });

  test(spec('runc-cli#exec', 'CLI-EXEC-003', 'exec exits with the exit code of the executed process'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    const r = await h.exec(b.id, ['sh', '-c', 'exit 5']);
    expect(r.code, describeResult(r)).toBe(5);
  });

  test(spec('runc-cli#exec', 'CLI-EXEC-004', 'exec into a stopped container fails'), async ({ h }) => {
    const b = h.bundle({ args: ['true'] });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    await h.waitStatus(b.id, 'stopped');
    const r = await h.exec(b.id, ['true']);
    h.expectError(r, /stopped|not running|running|status|state/i);
  });

  test(spec('config.md#linux-process', 'CFG-EXECAFFINITY-001', 'execCPUAffinity.final is the CPU affinity of an exec\'d process'), async ({ h }) => {
    h.requires(() => (Number(procStatus('self').Cpus_allowed_list?.split(/[-,]/).pop() ?? 0) >= 1 ? undefined : 'needs at least 2 CPUs'));
    const b = h.bundle({ args: SLEEP });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    const proc = h.path('process.json');
    writeFileSync(proc, JSON.stringify({ ...b.config.process, args: ['grep', 'Cpus_allowed_list', '/proc/self/status'], execCPUAffinity: { final: '1' } }));
    const r = await h.cli(['exec', '--process', proc, b.id]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout.split(':')[1]?.trim()).toBe('1');
  });

  featureTest(CGROUPS)(spec('runc-cli#pause', 'CLI-PAUSE-001', 'pause freezes the container (status paused) and resume thaws it'), async ({ h }) => {
    h.requires(cgroupV1('freezer'));
    const b = h.bundle({ args: SLEEP });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    const s = await h.mustState(b.id);
    expect((await h.cli(['pause', b.id])).code).toBe(0);
    expect((await h.mustState(b.id)).status).toBe('paused');
    expect(readCgroupFile(s.pid!, 'freezer', 'freezer.state', b.config.linux.cgroupsPath)).toBe('FROZEN');
    expect((await h.cli(['resume', b.id])).code).toBe(0);
    expect((await h.mustState(b.id)).status).toBe('running');
    expect(readCgroupFile(s.pid!, 'freezer', 'freezer.state', b.config.linux.cgroupsPath)).toBe('THAWED');
  });
});
