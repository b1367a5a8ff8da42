// runtime.md#state and #query-state: the state document in every status, checked against
// state-schema.json and against what the host sees.
import { realpathSync, symlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, describeResult, expect, spec, test } from '../harness/harness.js';
import { nsId, pidAlive, readProc } from '../harness/host.js';
import { stateSchemaErrors } from '../harness/schema.js';

const SLEEP = ['sleep', '600'];

describe('runtime.md#state', () => {
  test(spec('runtime.md#state', 'RT-STATE-001', 'state of a created container adheres to state-schema.json'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    const s = await h.mustCreate(b);
    expect(stateSchemaErrors(s)).toEqual([]);
  });

  test(spec('runtime.md#state', 'RT-STATE-002', 'state of a running container adheres to state-schema.json'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    const s = await h.mustState(b.id);
    expect(stateSchemaErrors(s)).toEqual([]);
  });

  test(spec('runtime.md#state', 'RT-STATE-003', 'state.status is "created" after create'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    expect((await h.mustCreate(b)).status).toBe('created');
  });

  test(spec('runtime.md#state', 'RT-STATE-004', 'state.status is "running" after start while the program runs'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    expect((await h.mustState(b.id)).status).toBe('running');
  });

  test(spec('runtime.md#state', 'RT-STATE-005', 'state.status is "stopped" once the container process exited'), async ({ h }) => {
    const b = h.bundle({ args: ['true'] });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    expect(await h.waitStatus(b.id, 'stopped')).toBe('stopped');
    expect(stateSchemaErrors(await h.mustState(b.id))).toEqual([]);
  });

  test(spec('runtime.md#state', 'RT-STATE-006', 'state.id is the ID given to create'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    expect((await h.mustCreate(b)).id).toBe(b.id);
  });

  test(spec('runtime.md#state', 'RT-STATE-007', 'state.ociVersion is a SemVer string'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    const s = await h.mustCreate(b);
    expect(s.ociVersion).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/);
  });

  test(spec('runtime.md#state', 'RT-STATE-008', 'state.pid is set when created and is the host pid of a live process in the container namespaces'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    const s = await h.mustCreate(b);
    expect(s.pid).toBeGreaterThan(0);
    expect(pidAlive(s.pid!)).toBe(true);
    // the base config asks for a new pid and uts namespace: the pid must live in them
    expect(nsId(s.pid!, 'pid')).not.toBe(nsId('self', 'pid'));
    expect(nsId(s.pid!, 'uts')).not.toBe(nsId('self', 'uts'));
  });

  test(spec('runtime.md#state', 'RT-STATE-009', 'state.pid is set when running and is the process running the program'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    const s = await h.mustState(b.id);
    expect(s.pid).toBeGreaterThan(0);
    expect(readProc(s.pid!, 'cmdline').split('\0').filter(Boolean)).toEqual(SLEEP);
  });

  test(spec('runtime.md#state', 'RT-STATE-010', 'state.bundle is the absolute path of the bundle even when create got a relative one'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    const s = await h.mustCreate(b, { cwd: dirname(b.dir), bundleArg: basename(b.dir) });
    expect(s.bundle.startsWith('/')).toBe(true);
    expect(realpathSync(s.bundle)).toBe(realpathSync(b.dir));
  });

  test(spec('runtime.md#state', 'RT-STATE-011', 'state.bundle names the bundle directory when create is given a symlink to it'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    const link = join(h.dir, 'bundle-link');
    symlinkSync(b.dir, link);
    const s = await h.mustCreate(b, { bundleArg: link });
    expect(s.bundle.startsWith('/')).toBe(true);
    expect(realpathSync(s.bundle)).toBe(realpathSync(b.dir));
  });

  test(spec('runtime.md#state', 'RT-STATE-012', 'state.annotations carries the annotations of config.json'), async ({ h }) => {
    const annotations = { 'org.example.key': 'value', 'org.example.empty': '' };
    const b = h.bundle({ args: SLEEP, patch: (c) => (c.annotations = annotations) });
    expect((await h.mustCreate(b)).annotations).toEqual(annotations);
  });

  test(spec('runtime.md#state', 'RT-STATE-013', 'without annotations, state.annotations is absent or an empty map'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    const s = await h.mustCreate(b);
    expect(s.annotations === undefined || Object.keys(s.annotations).length === 0).toBe(true);
  });

  test(spec('runtime.md#state', 'RT-STATE-014', 'state.status is one of the defined values through the whole lifecycle'), async ({ h }) => {
    const b = h.bundle({ args: ['sh', '-c', 'sleep 0.3'] });
    const seen = new Set<string>();
    seen.add((await h.mustCreate(b)).status);
    await h.mustStart(b.id);
    for (let i = 0; i < 10; i++) seen.add((await h.mustState(b.id)).status);
    await h.waitStatus(b.id, 'stopped');
    seen.add((await h.mustState(b.id)).status);
    for (const s of seen) expect(['creating', 'created', 'running', 'stopped']).toContain(s);
    expect(seen.has('stopped')).toBe(true);
  });
});

describe('runtime.md#query-state', () => {
  test(spec('runtime.md#query-state', 'RT-QUERY-001', 'state without a container ID generates an error'), async ({ h }) => {
    const r = await h.cli(['state']);
    h.expectError(r, /\bid\b|argument|usage/i);
  });

  test(spec('runtime.md#query-state', 'RT-QUERY-002', 'state of a container that does not exist generates an error'), async ({ h }) => {
    const r = await h.cli(['state', h.newId('absent')]);
    h.expectError(r, /not exist|does not exist|no such|not found/i);
  });

  test(spec('runtime.md#query-state', 'RT-QUERY-003', 'state returns the state of the container as JSON'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    await h.mustCreate(b);
    const { r, state } = await h.state(b.id);
    expect(r.code).toBe(0);
    expect(state?.id).toBe(b.id);
    expect(state?.bundle).toBeDefined();
  });
});
