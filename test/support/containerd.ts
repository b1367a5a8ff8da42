// A private containerd for client tests: its own root, state, socket and config in a temp dir,
// its own namespace (so the containers' cgroups are /<namespace>/<id>), the busybox image built
// offline, and ctr driving the runc shim with a runtime binary of the test's choice. stop() kills
// what it started by pid and removes everything it made, whatever state a failed test left.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, closeSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, mountPointsUnder, processesMentioning, spawnCollect, waitFor, type RunResult, type SpawnOptions } from './harness.js';
import { buildBusyboxImage, type BuiltImage } from './oci-image.js';
import { hostLayout } from '../../lib/cgroups/index.js';
import { ownCgroups } from '../../lib/cgroups/layout.js';
import { cgroupDirs } from '../../lib/cgroups/path.js';

/** Where the runc shim of containerd 1.6 puts its sockets (fixed, not under containerd's state). */
const SHIM_SOCKET_DIR = '/run/containerd/s';

/** Every binary these tests need; CI installs them (the containerd package), so none may be missing. */
export const CONTAINERD_BINARIES = ['containerd', 'ctr', 'containerd-shim-runc-v2', 'script', 'tar'];

export function missingBinaries(names = CONTAINERD_BINARIES): string[] {
  const path = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  return names.filter((n) => !path.some((d) => existsSync(join(d, n))));
}

export class PrivateContainerd {
  readonly tmp: string;
  readonly socket: string;
  readonly namespace: string;
  /** The runtime binary the shim calls: a wrapper around ocirun's CLI that records every call. */
  readonly ocirun: string;
  readonly calls: string;
  readonly log: string;
  /** Where ctr makes the task's stdio FIFOs (its default is under /run/containerd). */
  readonly fifoDir: string;
  image!: BuiltImage;
  private daemon?: ChildProcess;
  /** The shims make /run/containerd/s: removed at stop if it was not there before (and is empty). */
  private readonly madeRunDirs = ['/run/containerd', SHIM_SOCKET_DIR].filter((dir) => !existsSync(dir));
  private readonly ids = new Set<string>();

  constructor(name: string) {
    this.tmp = mkdtempSync(join(tmpdir(), `ocirun-ctrd-${name}-`));
    chmodSync(this.tmp, 0o755);
    this.socket = join(this.tmp, 'containerd.sock');
    this.namespace = `ocirun-${name}-${process.pid}`;
    this.log = join(this.tmp, 'containerd.log');
    this.calls = join(this.tmp, 'runtime-calls.log');
    this.fifoDir = join(this.tmp, 'fifo');
    this.ocirun = join(this.tmp, 'ocirun');
    // The shim execs the binary by path with runc's global flags first: a script that keeps
    // the argv and runs the CLI with this Node.
    writeFileSync(this.ocirun, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${this.calls}'\nexec '${process.execPath}' '${CLI}' "$@"\n`, { mode: 0o755 });
    for (const d of ['root', 'state', 'fifo', 'runtime-root']) mkdirSync(join(this.tmp, d));
  }

  /** Start the daemon and import the busybox image. */
  async start(): Promise<void> {
    const config = join(this.tmp, 'config.toml');
    writeFileSync(
      config,
      [
        'version = 2',
        `root = "${join(this.tmp, 'root')}"`,
        `state = "${join(this.tmp, 'state')}"`,
        // No CRI (it would set up networking and its own state); nothing listens beyond the socket.
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        '[grpc]',
        `  address = "${this.socket}"`,
        '[ttrpc]',
        '  address = ""',
        '[debug]',
        '  address = ""',
        '  level = "debug"',
        '[metrics]',
        '  address = ""',
        '',
      ].join('\n'),
    );
    const out = openSync(this.log, 'a');
    this.daemon = spawn('containerd', ['--config', config], { stdio: ['ignore', out, out] });
    closeSync(out);
    const exited = new Promise<void>((resolve) => this.daemon!.once('exit', () => resolve()));
    const up = await waitFor(async () => existsSync(this.socket) && (await this.ctrRaw(['version'])).code === 0, 20_000, 100);
    if (!up) {
      const exitedEarly = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 10))]);
      throw new Error(`containerd did not come up${exitedEarly ? ' (it exited)' : ''}; its log:\n${this.daemonLog().slice(-3000)}`);
    }
    this.image = buildBusyboxImage(this.dir('image'));
    const imported = await this.ctr(['image', 'import', this.image.tar]);
    if (imported.code !== 0) throw new Error(`ctr image import: ${imported.stderr}`);
  }

  dir(prefix: string): string {
    const d = mkdtempSync(join(this.tmp, `${prefix}-`));
    return d;
  }

  daemonLog(): string {
    return existsSync(this.log) ? readFileSync(this.log, 'utf8') : '';
  }

  /** A container id, remembered for cleanup. */
  id(prefix: string): string {
    const id = `${prefix}-${this.ids.size + 1}`;
    this.ids.add(id);
    return id;
  }

  private ctrRaw(args: string[], opts: SpawnOptions = {}): Promise<RunResult> {
    return spawnCollect('ctr', ['--address', this.socket, '--namespace', this.namespace, ...args], { timeoutMs: 30_000, ...opts });
  }

  /** `ctr` against this daemon and namespace. */
  ctr(args: string[], opts: SpawnOptions = {}): Promise<RunResult> {
    return this.ctrRaw(args, opts);
  }

  /** `ctr events` of this namespace while it runs: what it printed so far, and a stop. */
  events(): { output: () => string; stop: () => void } {
    const child = spawn('ctr', ['--address', this.socket, '--namespace', this.namespace, 'events'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    return { output: () => out, stop: () => child.kill('SIGKILL') };
  }

  /** `ctr` under script(1), so it has a terminal for -t. The output comes with the tty's \r\n. */
  ctrTty(args: string[], opts: SpawnOptions = {}): Promise<RunResult> {
    const quoted = ['ctr', '--address', this.socket, '--namespace', this.namespace, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    return spawnCollect('script', ['--quiet', '--return', '--command', quoted, '/dev/null'], { timeoutMs: 30_000, ...opts });
  }

  /** The flags that make the runc shim call `binary` with its state under this daemon's dir. */
  runtimeFlags(binary: string): string[] {
    const root = join(this.tmp, 'runtime-root', binary.replace(/\W/g, '_'));
    return ['--runc-binary', binary, '--runc-root', root, '--fifo-dir', this.fifoDir];
  }

  /** The runtime calls the shim made through the ocirun wrapper (argv joined by spaces). */
  runtimeCalls(): string[] {
    return existsSync(this.calls) ? readFileSync(this.calls, 'utf8').split('\n').filter(Boolean) : [];
  }

  /**
   * A container's cgroup directory (the shim's default cgroupsPath, /<namespace>/<id>): in the v1
   * hierarchy carrying `controller`, or the unified one on a pure v2 host.
   */
  cgroupDir(controller: string, id: string): string {
    const layout = hostLayout();
    const dirs = cgroupDirs(layout, `/${this.namespace}/${id}`, id, ownCgroups);
    const d = dirs.find((x) => x.hierarchy.version === 1 && x.hierarchy.controllers.includes(controller)) ?? (layout.mode === 'v2' ? dirs[0] : undefined);
    if (!d) throw new Error(`no cgroup hierarchy carries ${controller} on this ${layout.mode} host`);
    return d.dir;
  }

  /** The memory limit in the container's cgroup file (v1 memory.limit_in_bytes, v2 memory.max). */
  memoryLimit(id: string): string {
    const file = hostLayout().mode === 'v2' ? 'memory.max' : 'memory.limit_in_bytes';
    return readFileSync(join(this.cgroupDir('memory', id), file), 'utf8').trim();
  }

  /** FROZEN or THAWED, from v1 freezer.state or v2 cgroup.freeze. */
  freezerState(id: string): string {
    if (hostLayout().mode !== 'v2') return readFileSync(join(this.cgroupDir('freezer', id), 'freezer.state'), 'utf8').trim();
    return readFileSync(join(this.cgroupDir('freezer', id), 'cgroup.freeze'), 'utf8').trim() === '1' ? 'FROZEN' : 'THAWED';
  }

  /** The /proc/PID/cgroup line that puts a process in the container's memory cgroup. */
  memoryCgroupLine(id: string): RegExp {
    return new RegExp(`^\\d+:${hostLayout().mode === 'v2' ? '' : 'memory'}:/${this.namespace}/${id}$`, 'm');
  }

  /** Processes that are this daemon's (shims, containers started from its state). */
  processes(): string[] {
    return processesMentioning(this.tmp);
  }

  /** The namespace's cgroup directories (runc 1.1 leaves them after its containers' are gone). */
  private namespaceCgroups(): string[] {
    return hostLayout()
      .hierarchies.map((h) => join(h.mount, this.namespace))
      .filter((d) => existsSync(d));
  }

  /** What is left behind: processes, mounts, the containers' cgroups, shim sockets. */
  leftovers(): { processes: string[]; mounts: string[]; cgroups: string[]; sockets: string[] } {
    const cgroups = this.namespaceCgroups().flatMap((ns) => readdirSync(ns, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(ns, e.name)));
    return { processes: this.processes().filter((p) => !p.includes(' containerd --config ')), mounts: mountPointsUnder([this.tmp]), cgroups, sockets: this.shimSockets().filter((s) => existsSync(s)) };
  }

  private shimSockets(): string[] {
    // containerd 1.6: sha256 of <containerd address>/<namespace>/<id>.
    return [...this.ids].map((id) => join(SHIM_SOCKET_DIR, createHash('sha256').update(join(this.socket, this.namespace, id)).digest('hex')));
  }

  /** Remove the tasks and containers still in the namespace (through containerd). */
  async removeAll(): Promise<void> {
    const list = await this.ctr(['container', 'list', '--quiet']);
    for (const id of list.stdout.split('\n').filter(Boolean)) {
      await this.ctr(['task', 'kill', '--all', '--signal', 'SIGKILL', id]);
      await this.ctr(['task', 'delete', '--force', id]);
      await this.ctr(['container', 'delete', id]);
    }
  }

  /** Stop everything this daemon started and remove its directory. */
  async stop(): Promise<void> {
    if (this.daemon && this.daemon.exitCode === null) await this.removeAll().catch(() => {});
    this.daemon?.kill('SIGTERM');
    if (this.daemon && this.daemon.exitCode === null && this.daemon.signalCode === null) {
      const gone = await waitFor(() => this.daemon!.exitCode !== null || this.daemon!.signalCode !== null, 5000);
      if (!gone) this.daemon.kill('SIGKILL');
    }
    // Shims outlive their daemon by design: ours go by pid, then whatever they ran.
    for (let round = 0; round < 3 && this.processes().length; round++) {
      for (const line of this.processes()) {
        try {
          process.kill(Number(line.split(':')[0]), 'SIGKILL');
        } catch {
          // gone
        }
      }
      await waitFor(() => this.processes().length === 0, 2000);
    }
    for (const mp of mountPointsUnder([this.tmp]).reverse()) {
      try {
        execFileSync('umount', ['--lazy', mp]);
      } catch {
        // reported below
      }
    }
    for (const s of this.shimSockets()) rmSync(s, { force: true });
    for (const dir of [...this.madeRunDirs].reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // not empty: another containerd's
      }
    }
    for (const dir of this.namespaceCgroups()) removeCgroupTree(dir);
    const mounts = mountPointsUnder([this.tmp]);
    if (mounts.length) throw new Error(`left ${this.tmp} in place: mounts remain under it: ${mounts.join(', ')}`);
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

function removeCgroupTree(dir: string): void {
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroupTree(join(dir, e.name));
    rmdirSync(dir);
  } catch {
    // busy: the caller's leftover check reports it
  }
}
