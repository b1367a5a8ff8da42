// The per-test harness: makes bundles, drives the runtime CLI, remembers every container and
// pid it saw, and tears all of it down after the test — also when the test failed. A test whose
// containers leave a live process behind fails in teardown.
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, inject, test as base } from 'vitest';
import { baseConfig, type Bundle, type Config, writeBundle } from './bundle.js';
import { describeResult, runCli, type CliOptions, type CliResult } from './cli.js';
import { cgroupMounts, nsId, pidAlive, removeCgroupTree, removeTree } from './host.js';
import type { Requirement } from './requires.js';
import { controlOf, featureSkip, type Feature } from './features.js';
import { startReaper } from './reaper.js';
import { KEEP } from './env.js';

const ERRLOG = process.env.CONFORMANCE_ERRLOG;

startReaper();

export type { Bundle, Config, CliResult };

export interface BundleOptions {
  args?: string[];
  patch?: (c: Config, b: { dir: string; id: string; cgroupsPath: string }) => void;
  /** container id to make the bundle for; default a fresh one */
  id?: string;
}

export interface State {
  ociVersion: string;
  id: string;
  status: string;
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

export class Harness {
  readonly dir: string;
  readonly root: string;
  private readonly template: string;
  private readonly cgroupParent: string;
  private readonly ids = new Set<string>();
  private readonly pids = new Set<number>();
  private readonly deferred: (() => void)[] = [];
  private lastCreated: State | undefined;
  private seq = 0;

  constructor(
    runDir: string,
    cgroupParent: string,
    private readonly skipFn: (note?: string) => never,
    private readonly meta: Record<string, unknown>,
  ) {
    this.root = join(runDir, 'state');
    this.template = join(runDir, 'rootfs-template');
    this.cgroupParent = cgroupParent;
    this.dir = join(runDir, 'tests', randomBytes(4).toString('hex'));
    mkdirSync(this.dir, { recursive: true });
  }

  /** Skip the test, with the reason recorded in the report, unless every requirement holds. */
  requires(...reqs: Requirement[]): void {
    for (const r of reqs) {
      const why = r();
      if (why) {
        this.meta.skipReason = why;
        this.skipFn(why);
      }
    }
  }

  /**
   * Skip unless the runtime supports feature `f`: its positive control (once per file) was not
   * refused. `mustWork` (for tests that expect an invalid config of `f` to be refused): skip also
   * when the valid config was accepted without its effect.
   */
  async requiresFeature(f: Feature, o: { mustWork?: boolean } = {}): Promise<void> {
    const why = featureSkip(f.name, await controlOf(f, this), o.mustWork ?? false);
    if (why) this.requires(() => why);
  }

  /**
   * The call failed, and for the reason the test is about: its error output names the field, value
   * or step (`pattern`, written to match any runtime's wording of that reason).
   */
  expectError(r: CliResult, pattern: RegExp): void {
    expect(r.timedOut, `timed out instead of failing: ${describeResult(r)}`).toBe(false);
    expect(r.code, `expected an error matching ${pattern}, but the call succeeded: ${describeResult(r)}`).not.toBe(0);
    expect(`${r.stderr}\n${r.stdout}`, `the error does not name what was wrong (${pattern}): ${describeResult(r)}`).toMatch(pattern);
  }

  newId(tag = 'c'): string {
    return `${tag}-${randomBytes(4).toString('hex')}`;
  }

  cgroupsPath(id: string): string {
    return `${this.cgroupParent}/${id}`;
  }

  /** A fresh dir inside this test's work dir. */
  mkdir(name: string): string {
    const d = join(this.dir, name);
    mkdirSync(d, { recursive: true });
    return d;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** An executable host shell script (hooks run in the runtime namespace use these). */
  script(name: string, body: string): string {
    const p = join(this.dir, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`);
    chmodSync(p, 0o755);
    return p;
  }

  bundle(o: BundleOptions = {}): Bundle {
    const id = o.id ?? this.newId();
    const dir = this.mkdir(`bundle-${++this.seq}`);
    const c = baseConfig(o.args ?? ['true']);
    // A known cgroup path lets tests read the container's cgroup and lets cleanup remove it.
    c.linux.cgroupsPath = this.cgroupsPath(id);
    o.patch?.(c, { dir, id, cgroupsPath: c.linux.cgroupsPath as string });
    return writeBundle(dir, id, this.template, c);
  }

  async cli(args: string[], o: Partial<CliOptions> = {}): Promise<CliResult> {
    const r = await runCli(['--root', this.root], args, { ioDir: this.dir, ...o });
    // CONFORMANCE_ERRLOG=file: every failed call as a JSON line, to see each runtime's error texts
    if (ERRLOG && r.code !== 0) appendFileSync(ERRLOG, JSON.stringify({ test: this.meta.testName, argv: r.argv.slice(-3), code: r.code, stderr: r.stderr.slice(0, 600) }) + '\n');
    return r;
  }

  async create(b: Bundle, o: { id?: string; extra?: string[]; cwd?: string; bundleArg?: string | null } & Partial<CliOptions> = {}): Promise<CliResult> {
    const id = o.id ?? b.id;
    this.ids.add(id);
    const bundleArgs = o.bundleArg === null ? [] : ['--bundle', o.bundleArg ?? b.dir];
    const r = await this.cli(['create', ...bundleArgs, ...(o.extra ?? []), id], o);
    // the state right after create: its pid is tracked for cleanup, and mustCreate returns it
    this.lastCreated = r.code === 0 ? (await this.state(id)).state : undefined;
    return r;
  }

  /** create, and fail the test with the runtime's output if it does not succeed */
  async mustCreate(b: Bundle, o: Parameters<Harness['create']>[1] = {}): Promise<State> {
    const r = await this.create(b, o);
    expect(r.code, describeResult(r)).toBe(0);
    const st = this.lastCreated ?? (await this.mustState(o.id ?? b.id));
    // Tests read /proc/<pid> and its cgroups: make sure that is the container's process, not one
    // in the runtime's own mount namespace (every config here asks for a new one).
    expect(st.pid, `state of created container ${st.id} has no pid`).toBeGreaterThan(0);
    expect(nsId(st.pid!, 'mnt'), `pid ${st.pid} from state is not the container's process: it shares the runtime's mount namespace`).not.toBe(nsId('self', 'mnt'));
    return st;
  }

  async start(id: string, o: Partial<CliOptions> = {}): Promise<CliResult> {
    this.ids.add(id);
    return this.cli(['start', id], o);
  }

  async mustStart(id: string): Promise<void> {
    const r = await this.start(id);
    expect(r.code, describeResult(r)).toBe(0);
  }

  async state(id: string): Promise<{ r: CliResult; state?: State }> {
    const r = await this.cli(['state', id]);
    if (r.code !== 0) return { r };
    try {
      const state = JSON.parse(r.stdout) as State;
      if (typeof state.pid === 'number' && state.pid > 0 && state.status !== 'stopped') this.pids.add(state.pid);
      return { r, state };
    } catch {
      return { r };
    }
  }

  async mustState(id: string): Promise<State> {
    const { r, state } = await this.state(id);
    expect(r.code, describeResult(r)).toBe(0);
    expect(state, `state output is not JSON: ${r.stdout}`).toBeDefined();
    return state!;
  }

  async kill(id: string, signal?: string): Promise<CliResult> {
    return this.cli(['kill', id, ...(signal ? [signal] : [])]);
  }

  async delete(id: string, force = false): Promise<CliResult> {
    return this.cli(['delete', ...(force ? ['--force'] : []), id]);
  }

  /** `run` in the foreground: the container's stdout/stderr and exit code come back. */
  async run(b: Bundle, o: { id?: string; extra?: string[] } & Partial<CliOptions> = {}): Promise<CliResult> {
    const id = o.id ?? b.id;
    this.ids.add(id);
    return this.cli(['run', '--bundle', b.dir, ...(o.extra ?? []), id], o);
  }

  /** Run `sh -c script` in a container made from the base config plus `patch`. */
  async probe(script: string, patch?: BundleOptions['patch']): Promise<CliResult> {
    const b = this.bundle({ args: ['sh', '-c', script], patch });
    return this.run(b);
  }

  /** probe that must exit 0; returns its stdout */
  async mustProbe(script: string, patch?: BundleOptions['patch']): Promise<string> {
    const r = await this.probe(script, patch);
    expect(r.code, describeResult(r)).toBe(0);
    return r.stdout;
  }

  async exec(id: string, args: string[], extra: string[] = []): Promise<CliResult> {
    return this.cli(['exec', ...extra, id, ...args]);
  }

  async status(id: string): Promise<string | undefined> {
    return (await this.state(id)).state?.status;
  }

  /** Poll `state` until the status is reached; returns the last status seen. */
  async waitStatus(id: string, want: string, timeoutMs = 30_000): Promise<string | undefined> {
    const until = Date.now() + timeoutMs;
    let s: string | undefined;
    while (Date.now() < until) {
      s = await this.status(id);
      if (s === want) return s;
      await sleep(50);
    }
    return s;
  }

  /**
   * Wait for a file a container writes, and return its content once it is non-empty and stable:
   * `echo x > f` creates the file before it writes, so existence alone would race the write.
   */
  async waitFile(path: string, timeoutMs = 30_000): Promise<string | undefined> {
    const until = Date.now() + timeoutMs;
    let last: string | undefined;
    while (Date.now() < until) {
      const now = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
      if (now && now === last) return now;
      last = now;
      await sleep(25);
    }
    return last;
  }

  /** Host-side undo (e.g. delete a test interface), run at cleanup even when the test failed. */
  defer(fn: () => void): void {
    this.deferred.push(fn);
  }

  trackPid(pid: number): void {
    this.pids.add(pid);
  }

  /** Kill and delete everything this test made; report processes that outlived deletion. */
  async cleanup(): Promise<void> {
    const problems: string[] = [];
    for (const id of this.ids) {
      const { state } = await this.state(id);
      if (!state) continue;
      // delete --force kills a live container itself; kill first only when that was not enough
      let d = await this.delete(id, true);
      if ((await this.state(id)).state) {
        await this.kill(id, 'KILL');
        d = await this.delete(id, true);
        if ((await this.state(id)).state) problems.push(`container ${id} still exists after kill + delete --force: ${d.stderr.trim()}`);
      }
    }
    for (const pid of this.pids) {
      let alive = pidAlive(pid);
      for (let i = 0; alive && i < 200; i++) {
        await sleep(50);
        alive = pidAlive(pid);
      }
      if (alive) {
        problems.push(`process ${pid} still alive after kill + delete --force`);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone meanwhile */
        }
      }
    }
    for (const id of this.ids) {
      // One container's cgroup trouble (a race with the kernel, say) must not skip the steps below.
      try {
        for (const mount of new Set(cgroupMounts().values())) {
          const procs = join(mount, this.cgroupsPath(id), 'cgroup.procs');
          if (existsSync(procs) && readFileSync(procs, 'utf8').trim()) problems.push(`processes left in ${procs}`);
        }
        removeCgroupTree(this.cgroupsPath(id));
      } catch (err) {
        problems.push(`cgroups of ${id}: ${(err as Error).message}`);
      }
    }
    for (const fn of this.deferred.reverse()) {
      try {
        fn();
      } catch {
        /* best effort: the thing may be gone with the container */
      }
    }
    if (!KEEP) removeTree(this.dir);
    if (problems.length) throw new Error(`cleanup: ${problems.join('; ')}`);
  }
}

/** vitest test with a `h` fixture: one Harness per test, cleaned up whatever the outcome. */
export const test = base.extend<{ h: Harness }>({
  // eslint-disable-next-line no-empty-pattern
  h: async ({ task, skip }, use) => {
    const h = new Harness(inject('runDir'), inject('cgroupParent'), skip as (note?: string) => never, task.meta as Record<string, unknown>);
    if (ERRLOG) (task.meta as Record<string, unknown>).testName = task.name;
    await use(h);
    await h.cleanup();
  },
});

/**
 * `test` for the tests of feature `f`: each first asks the feature's positive control and skips
 * when the runtime does not support it (`mustWork`: also when the feature had no effect).
 */
export function featureTest(f: Feature, o: { mustWork?: boolean } = {}) {
  return (name: string, fn: (ctx: { h: Harness }) => Promise<void>) =>
    test(name, async ({ h }) => {
      await h.requiresFeature(f, o);
      await fn({ h });
    });
}

/** Test name: `<spec file>#<anchor>: <what> [<ID>]` — the report keys results by ID. */
export function spec(where: string, id: string, what: string): string {
  return `${where}: ${what} [${id}]`;
}

export { expect, describe } from 'vitest';
export { describeResult };
