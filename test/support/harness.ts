// Integration-test harness: per-file state root and temp dir, bundles built from defaultSpec(),
// containers run through the CLI and the library, and a cleanup that force-deletes whatever a
// test left and then proves nothing is left: no state dir, no process, no mount.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, rmdirSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { tryReap } from '../../bindings/libc.js';
import { PLAN_CACHE_DIR } from '../../lib/lifecycle/plan-cache.js';
import { Runtime, type Container, type ContainerState } from '../../lib/index.js';
import { defaultSpec } from '../../lib/spec/default-config.js';
import type { Spec } from '../../lib/spec/index.js';
import { parseMountinfo } from './probes.js';
import { hostLayout } from '../../lib/cgroups/index.js';
import { ownCgroups } from '../../lib/cgroups/layout.js';
import { cgroupDirs } from '../../lib/cgroups/path.js';

function rmdirQuietly(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // busy: reported by the check
  }
}
import { sharedRootfs } from './rootfs.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const CLI = join(REPO, 'dist/cli/ocirun.cjs');
const LIBRARY_RUNNER = join(REPO, 'test/support/library-run.mjs');
/** Every container process carries this variable; cleanup finds leftovers by it. */
export const TOKEN_VAR = 'OCIRUN_TEST_TOKEN';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** Extra stdio entries for fds 3.. (e.g. open fds to pass with --preserve-fds). */
  extraFds?: number[];
  input?: string;
  timeoutMs?: number;
  /** Extra environment for the command. */
  env?: Record<string, string>;
  /** Working directory of the command (default: this process's). */
  cwd?: string;
  /** Called with the child once spawned (to signal it, say). */
  onSpawn?: (child: ReturnType<typeof spawn>) => void;
}

/** Run a command and collect its output; kills it after the timeout. */
export function spawnCollect(command: string, args: string[], opts: SpawnOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe', ...(opts.extraFds ?? [])],
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      cwd: opts.cwd,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stdout!.destroy();
      child.stderr!.destroy();
      resolvePromise({ stdout, stderr, code, signal });
    };
    child.on('error', reject);
    child.on('close', finish);
    // A detached container (create, run -d, exec -d) keeps our pipes open: after the command
    // exits, take what it wrote and stop waiting for end-of-file.
    child.on('exit', (code, signal) => setTimeout(() => finish(code, signal), 300));
    // A command that exits before reading its input closes the pipe: EPIPE is not the test's error.
    child.stdin!.on('error', () => {});
    child.stdin!.end(opts.input ?? '');
    opts.onSpawn?.(child);
  });
}

export type Patch = (spec: Spec) => void;

export interface BundleOptions {
  /** Rootfs for this bundle (default: the shared busybox rootfs). */
  rootfs?: string;
}

export interface RunOptions extends BundleOptions, SpawnOptions {
  via?: 'cli' | 'library';
  /** Extra CLI flags for `run` (e.g. --preserve-fds 2). */
  flags?: string[];
}

export class Harness {
  readonly tmp: string;
  readonly root: string;
  readonly token: string;
  readonly rt: Runtime;
  /** Container pids made in this process (library create/run): reaped in cleanup. */
  private readonly ownPids = new Set<number>();
  private seq = 0;

  constructor(readonly name: string) {
    this.tmp = mkdtempSync(join(tmpdir(), `ocirun-it-${name}-`));
    // A container's mapped root (user namespaces) must be able to reach its rootfs in here.
    chmodSync(this.tmp, 0o755);
    this.root = join(this.tmp, 'state');
    this.token = `${name}-${process.pid}-${Date.now()}`;
    this.rt = new Runtime({ root: this.root });
  }

  get rootfs(): string {
    return sharedRootfs();
  }

  /** A fresh container id, unique to this process too: test runs in other checkouts may run at once. */
  id(prefix = 'c'): string {
    const id = `${prefix}-${this.name}-${++this.seq}-${process.pid.toString(36)}`;
    this.ids.push(id);
    return id;
  }

  private readonly ids: string[] = [];

  /** A fresh directory under the file's temp dir. */
  dir(prefix = 'd'): string {
    const d = join(this.tmp, `${prefix}-${++this.seq}`);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** The test config: defaultSpec() with terminal off, no cgroup resources, the token in env. */
  spec(patch?: Patch, opts: BundleOptions = {}): Spec {
    const spec = defaultSpec();
    spec.process!.terminal = false;
    spec.process!.env = [...(spec.process!.env ?? []), `${TOKEN_VAR}=${this.token}`];
    spec.root = { path: opts.rootfs ?? this.rootfs, readonly: true };
    // The default device rules only; tests that need limits add them.
    delete spec.linux!.resources;
    patch?.(spec);
    return spec;
  }

  /** A bundle dir holding config.json. */
  bundle(patch?: Patch, opts: BundleOptions = {}): string {
    const dir = this.dir('bundle');
    writeFileSync(join(dir, 'config.json'), JSON.stringify(this.spec(patch, opts), null, 2));
    return dir;
  }

  /** The ocirun CLI with this file's --root. */
  cli(args: string[], opts: SpawnOptions = {}): Promise<RunResult> {
    return spawnCollect(process.execPath, [CLI, '--root', this.root, ...args], opts);
  }

  /** `run` a container (foreground) and collect what it printed and its exit code. */
  async run(patch?: Patch, opts: RunOptions = {}): Promise<RunResult> {
    const bundle = this.bundle(patch, opts);
    const id = this.id('run');
    if (opts.via === 'library') {
      // A separate process, so the container's stdio can be captured like the CLI's.
      return spawnCollect(process.execPath, [LIBRARY_RUNNER, this.root, id, bundle], opts);
    }
    return this.cli(['run', ...(opts.flags ?? []), '--bundle', bundle, id], opts);
  }

  /** `sh -c script` in a container. */
  sh(script: string, patch?: Patch, opts: RunOptions = {}): Promise<RunResult> {
    return this.run((s) => {
      s.process!.args = ['sh', '-c', script];
      patch?.(s);
    }, opts);
  }

  /** Run through both the CLI and the library: they must agree; returns the CLI's result. */
  async shBoth(script: string, patch?: Patch): Promise<RunResult> {
    const viaCli = await this.sh(script, patch);
    const viaLib = await this.sh(script, patch, { via: 'library' });
    expect({ stdout: viaLib.stdout, code: viaLib.code }).toEqual({ stdout: viaCli.stdout, code: viaCli.code });
    return viaCli;
  }

  /** Library create in this process; the container is a child of this worker. */
  async create(id: string, bundle: string): Promise<Container> {
    const c = await this.rt.create(id, bundle);
    if (c.pid) this.ownPids.add(c.pid);
    return c;
  }

  /** The state of a container under this file's root (through the library). */
  async state(id: string): Promise<ContainerState> {
    return (await this.rt.load(id)).state();
  }

  track(pid: number): void {
    this.ownPids.add(pid);
  }

  /** What is left of this file's containers: state dirs, processes, mounts. */
  leftovers(): { stateDirs: string[]; processes: string[]; mounts: string[]; cgroups: string[] } {
    // The plan cache is the runtime's, not a container's: it stays.
    const stateDirs = existsSync(this.root) ? readdirSync(this.root).filter((n) => n !== PLAN_CACHE_DIR) : [];
    const processes: string[] = [];
    for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      if (Number(p) === process.pid) continue;
      const cmdline = readProc(`/proc/${p}/cmdline`).replace(/\0/g, ' ');
      const environ = readProc(`/proc/${p}/environ`);
      // A created container's process has not exec'd yet: it holds the state dir open.
      if (cmdline.includes(this.tmp) || environ.includes(`${TOKEN_VAR}=${this.token}`) || holdsFileUnder(p, this.tmp)) {
        processes.push(`${p}: ${cmdline.trim()}`);
      }
    }
    const mounts = mountPointsUnder([this.tmp, this.rootfs]);
    // Each id's default cgroup (below this process's own cgroup, as ocirun's children place it).
    const layout = hostLayout();
    const cgroups = this.ids.flatMap((id) => cgroupDirs(layout, undefined, id, ownCgroups).map((d) => d.dir)).filter((d) => existsSync(d));
    return { stateDirs, processes, mounts, cgroups };
  }

  /** Fails the test if anything of this file's containers is left. */
  expectClean(): void {
    expect(this.leftovers()).toEqual({ stateDirs: [], processes: [], mounts: [], cgroups: [] });
  }

  /** Force-delete every container, kill stragglers, then assert nothing is left. */
  async cleanup(): Promise<void> {
    const before = this.leftovers();
    const failures: string[] = [];
    for (const id of before.stateDirs) {
      await this.rt
        .load(id)
        .then((c) => c.delete({ force: true }))
        .catch((err) => failures.push(`delete --force ${id}: ${(err as Error).message}`));
    }
    for (const line of this.leftovers().processes) {
      try {
        process.kill(Number(line.split(':')[0]), 'SIGKILL');
      } catch {
        // gone
      }
    }
    await waitFor(() => this.leftovers().processes.length === 0, 5000);
    this.reapOwn();
    const after = this.leftovers();
    if (existsSync(this.root)) for (const d of after.stateDirs) rmSync(join(this.root, d), { recursive: true, force: true });
    // delete --force must have removed every state dir and process; a stray mount is a leak.
    for (const d of after.cgroups) rmdirQuietly(d);
    expect(after, failures.join('\n')).toEqual({ stateDirs: [], processes: [], mounts: [], cgroups: [] });
  }

  private reapOwn(): void {
    for (const pid of this.ownPids) {
      try {
        if (tryReap(pid)) this.ownPids.delete(pid);
      } catch {
        this.ownPids.delete(pid); // not our child (reaped elsewhere)
      }
    }
  }

  dispose(): void {
    this.reapOwn();
    // Deleting through a leaked bind mount would delete its source.
    const mounts = mountPointsUnder([this.tmp]);
    if (mounts.length) throw new Error(`left ${this.tmp} in place: mounts remain under it: ${mounts.join(', ')}`);
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

/** Registers the per-file lifecycle hooks and returns the harness. */
export function useHarness(name: string): Harness {
  const h = new Harness(name);
  beforeAll(() => {
    sharedRootfs();
  }, 120_000);
  afterEach(async () => {
    await h.cleanup();
  });
  afterAll(() => h.dispose());
  return h;
}

function holdsFileUnder(pid: string, dir: string): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target === dir || target.startsWith(dir + '/')) return true;
    } catch {
      // closed meanwhile
    }
  }
  return false;
}

function readProc(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

/** Mount points in this process's mount namespace at or below any of `dirs`. */
export function mountPointsUnder(dirs: string[]): string[] {
  return parseMountinfo(readProc('/proc/self/mountinfo'))
    .map((m) => m.mountPoint)
    .filter((mp) => dirs.some((d) => mp === d || mp.startsWith(d + '/')));
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return true;
}

/** A process exists and is not a zombie. */
export function alive(pid: number): boolean {
  const stat = readProc(`/proc/${pid}/stat`);
  if (!stat) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** Live processes whose command line mentions `text` (a run's temp dir), as "pid: cmdline"; `skip` left out. */
export function processesMentioning(text: string, skip: readonly (number | undefined)[] = []): string[] {
  const found: string[] = [];
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    if (Number(p) === process.pid || skip.includes(Number(p))) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${p}/cmdline`, 'latin1').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (cmdline.includes(text)) found.push(`${p}: ${cmdline.trim()}`);
  }
  return found;
}
