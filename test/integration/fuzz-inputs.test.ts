// Property-based fuzzing of what a caller hands the runtime: config.json and exec's process, each
// a valid document with random mutations (a field set to a value of any type, removed, or an
// array element repeated) at the paths the spec defines. Whatever the input: no internal error
// (TypeError, RangeError: only an OciError with a stable code), the error names what is at fault
// (a JSON pointer or config.json field, or the step and system call that failed), and a create
// that failed leaves nothing (no state directory, process, mount or cgroup).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOciError } from '../../lib/index.js';
import type { Process, Spec } from '../../lib/spec/index.js';
import { useHarness, waitFor } from '../support/harness.js';

const h = useHarness('fuzz');

/** Paths a mutation may touch (besides those of the base document itself). */
const CONFIG_PATHS = [
  'ociVersion', 'hostname', 'domainname', 'annotations', 'annotations.a',
  'root', 'root.path', 'root.readonly',
  'process', 'process.args', 'process.args.0', 'process.env', 'process.env.0', 'process.cwd', 'process.terminal',
  'process.user', 'process.user.uid', 'process.user.gid', 'process.user.umask', 'process.user.additionalGids', 'process.user.additionalGids.0',
  'process.capabilities', 'process.capabilities.bounding', 'process.capabilities.bounding.0', 'process.capabilities.effective',
  'process.rlimits', 'process.rlimits.0', 'process.rlimits.0.type', 'process.rlimits.0.hard', 'process.rlimits.0.soft',
  'process.noNewPrivileges', 'process.oomScoreAdj', 'process.consoleSize', 'process.consoleSize.height',
  'process.ioPriority', 'process.ioPriority.class', 'process.scheduler', 'process.scheduler.policy', 'process.apparmorProfile', 'process.selinuxLabel',
  'mounts', 'mounts.0', 'mounts.0.destination', 'mounts.0.type', 'mounts.0.source', 'mounts.0.options', 'mounts.0.options.0',
  'mounts.1.options', 'mounts.2.destination', 'mounts.9', 'mounts.9.destination', 'mounts.9.uidMappings',
  'hooks', 'hooks.prestart', 'hooks.createRuntime', 'hooks.createRuntime.0', 'hooks.createRuntime.0.path', 'hooks.createRuntime.0.args', 'hooks.createRuntime.0.timeout', 'hooks.poststop',
  'linux', 'linux.namespaces', 'linux.namespaces.0', 'linux.namespaces.0.type', 'linux.namespaces.9', 'linux.namespaces.9.type',
  'linux.uidMappings', 'linux.uidMappings.0', 'linux.uidMappings.0.size', 'linux.gidMappings',
  'linux.devices', 'linux.devices.0', 'linux.devices.0.path', 'linux.devices.0.type', 'linux.devices.0.major', 'linux.devices.0.minor', 'linux.devices.0.fileMode',
  'linux.resources', 'linux.resources.memory', 'linux.resources.memory.limit', 'linux.resources.pids', 'linux.resources.pids.limit',
  'linux.resources.cpu', 'linux.resources.cpu.shares', 'linux.resources.cpu.cpus', 'linux.resources.devices', 'linux.resources.devices.0',
  'linux.resources.devices.0.access', 'linux.resources.hugepageLimits', 'linux.resources.unified', 'linux.resources.blockIO',
  'linux.cgroupsPath', 'linux.sysctl', 'linux.sysctl.net\\.ipv4\\.ip_forward', 'linux.seccomp', 'linux.seccomp.defaultAction',
  'linux.seccomp.syscalls', 'linux.seccomp.syscalls.0', 'linux.seccomp.syscalls.0.names', 'linux.seccomp.syscalls.0.args',
  'linux.maskedPaths', 'linux.maskedPaths.0', 'linux.readonlyPaths', 'linux.readonlyPaths.0', 'linux.rootfsPropagation',
  'linux.mountLabel', 'linux.personality', 'linux.personality.domain', 'linux.timeOffsets', 'linux.timeOffsets.monotonic',
  'linux.intelRdt', 'linux.memoryPolicy', 'linux.netDevices', 'linux.netDevices.eth9',
];

const PROCESS_PATHS = [
  'args', 'args.0', 'args.1', 'env', 'env.0', 'cwd', 'terminal', 'user', 'user.uid', 'user.gid', 'user.umask', 'user.additionalGids',
  'user.additionalGids.0', 'user.username', 'capabilities', 'capabilities.bounding', 'capabilities.bounding.0', 'capabilities.ambient',
  'capabilities.ambient.0', 'rlimits', 'rlimits.0', 'rlimits.0.type', 'rlimits.0.hard', 'noNewPrivileges', 'oomScoreAdj',
  'consoleSize', 'apparmorProfile', 'selinuxLabel', 'ioPriority', 'scheduler', 'scheduler.policy', 'scheduler.nice', 'execCPUAffinity',
];

/** Values of every JSON type, with the edges that broke runtimes before: NUL, huge, negative, deep. */
const leaf = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1, 2 ** 31, 2 ** 32, -(2 ** 31) - 1, 2 ** 53 + 2, 1e308, 0.5, -0.0),
  fc.integer({ min: -70000, max: 5_000_000_000 }),
  fc.constantFrom('', '/', '.', '..', '/../../..', 'a\0b', '/proc/self/fd/3', 'x'.repeat(5000), '/tmp', 'ro', 'rbind', 'bind', 'tmpfs', 'proc', 'KILL', 'CAP_SYS_ADMIN', 'RLIMIT_NOFILE', 'pid', 'user', 'c', 'SCMP_ACT_ERRNO', '1.3.0', 'rw,nosuid', 'é', '%s%n'),
  fc.string({ maxLength: 12 }),
);
const value = fc.oneof(
  { weight: 4, arbitrary: leaf },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('type', 'path', 'limit', 'a', 'destination', 'options', 'uid', 'size'), leaf, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

type Mutation = { path: string; kind: 'set' | 'delete' | 'repeat'; value: unknown };
const mutation = (paths: string[]) =>
  fc.record({ path: fc.constantFrom(...paths), kind: fc.constantFrom('set', 'set', 'set', 'delete', 'repeat'), value }) as fc.Arbitrary<Mutation>;

function keysOf(path: string): string[] {
  return path.split(/(?<!\\)\./).map((k) => k.replace(/\\\./g, '.'));
}

/** Applies a mutation, making the objects on the way where they are missing. */
function mutate(doc: Record<string, unknown>, m: Mutation): void {
  const keys = keysOf(m.path);
  let at: Record<string, unknown> = doc;
  for (const k of keys.slice(0, -1)) {
    if (at[k] === null || typeof at[k] !== 'object') at[k] = /^\d+$/.test(k) ? {} : {};
    at = at[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (m.kind === 'delete') delete at[last];
  else if (m.kind === 'repeat' && Array.isArray(at[last]) && (at[last] as unknown[]).length) (at[last] as unknown[]).push((at[last] as unknown[])[0]);
  else at[last] = m.value;
}

/** A clean error: an OciError whose message names what is at fault, never an internal one. */
function expectClean(err: unknown, input: unknown): void {
  const shown = JSON.stringify(input).slice(0, 400);
  if (!isOciError(err)) throw new Error(`internal error (${(err as Error)?.name}: ${(err as Error)?.message}) for ${shown}\n${(err as Error)?.stack}`);
  const msg = err.message;
  expect(msg, shown).not.toMatch(/(?<!not )undefined|NaN|\[object Object\]|is not a function|Cannot read properties/);
  // A JSON pointer (/process/user/uid), a config.json field, a flag, or the step and errno.
  expect(msg, `${err.code}: ${msg} for ${shown}`).toMatch(/(^|[\s"'(])\/[A-Za-z]|config\.json|process\.json|process\.[a-zA-Z]|--[a-z]|: [a-z][a-z ]+$|\b(E[A-Z]+|errno)\b/);
}

describe('fuzzing create with mutated config.json (fast-check)', () => {
  it('no input crashes the runtime; each failure names its pointer and leaves nothing', async () => {
    const base = h.spec((s) => {
      s.process!.args = ['true'];
    });
    const bundle = h.dir('bundle');
    let created = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutation(CONFIG_PATHS), { minLength: 1, maxLength: 3 }), async (mutations) => {
        const doc = structuredClone(base) as unknown as Record<string, unknown>;
        for (const m of mutations) mutate(doc, m);
        writeFileSync(join(bundle, 'config.json'), JSON.stringify(doc));
        const id = h.id('fz');
        try {
          const c = await h.rt.create(id, bundle, { stdio: 'ignore', timeout: 10_000 });
          h.track(c.pid);
          created++;
          await c.delete({ force: true });
        } catch (err) {
          refused++;
          expectClean(err, mutations);
        }
        expect(h.leftovers(), JSON.stringify(mutations).slice(0, 400)).toEqual({ stateDirs: [], processes: [], mounts: [], cgroups: [] });
      }),
      { numRuns: 200, seed: Number(process.env.FUZZ_SEED ?? 16), endOnFailure: true },
    );
    // Both sides were reached: mutations that still make a container, and refused ones.
    expect(created).toBeGreaterThan(5);
    expect(refused).toBeGreaterThan(50);
  }, 300_000);
});

describe('fuzzing exec with a mutated process (fast-check)', () => {
  it('no process document crashes the runtime; each failure names its pointer; the container is untouched', async () => {
    const id = h.id('fzx');
    const c = await h.create(id, h.bundle((s) => (s.process!.args = ['sleep', '600'])));
    await c.start();
    const base: Process = { ...(await c.configProcess()), args: ['true'] };
    let ran = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutation(PROCESS_PATHS), { minLength: 1, maxLength: 3 }), async (mutations) => {
        const doc = structuredClone(base) as unknown as Record<string, unknown>;
        for (const m of mutations) mutate(doc, m);
        try {
          const p = await c.exec(doc as unknown as Process, { stdio: 'ignore', timeout: 10_000 });
          ran++;
          await p.wait();
        } catch (err) {
          refused++;
          expectClean(err, mutations);
        }
        expect((await c.state()).status).toBe('running');
        // The exec'd process is gone (its exit may take a moment to leave the cgroup).
        await waitFor(async () => (await c.pids()).length === 1, 3000);
        expect(await c.pids()).toHaveLength(1);
      }),
      { numRuns: 150, seed: Number(process.env.FUZZ_SEED ?? 16), endOnFailure: true },
    );
    expect(ran).toBeGreaterThan(5);
    expect(refused).toBeGreaterThan(30);
    await c.delete({ force: true });
  }, 300_000);
});

// Keep the generator's document type honest.
void (null as unknown as Spec);
