// A private podman for client tests: its storage (vfs), run root, engine tmp dir, network config
// and containers.conf in a temp dir, and every podman command run inside a mount and network
// namespace of its own (a holder process made with unshare(1), entered with nsenter(1)), where a
// tmpfs covers /run and /var/lib/containers: podman 4.3 keeps state there whatever its config
// says (the image blob cache, netavark's IPAM database, network namespaces under /run/netns), and
// netavark's bridge and firewall rules stay in the private network namespace. stop() removes the
// containers through podman, kills what is left by pid, and removes the cgroups podman made.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, mountPointsUnder, processesMentioning, spawnCollect, waitFor, type RunResult, type SpawnOptions } from './harness.js';
import { parseMountinfo } from './probes.js';
import { copyRootfs } from './rootfs.js';

/** What these tests run; CI installs them (.ci/run: podman, netavark, iptables), none may be missing. */
export const PODMAN_BINARIES = ['podman', 'conmon', 'iptables', 'nsenter', 'unshare', 'script', 'tar'];
const NETAVARK = '/usr/lib/podman/netavark';

export function missingBinaries(): string[] {
  const path = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  const missing = PODMAN_BINARIES.filter((n) => !path.some((d) => existsSync(join(d, n))));
  if (!existsSync(NETAVARK)) missing.push(NETAVARK);
  return missing;
}

const CGROUP_ROOT = '/sys/fs/cgroup';
/** podman's cgroup parent with the cgroupfs manager; it leaves <parent>/conmon behind. */
const CGROUP_PARENT = 'libpod_parent';
const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

export class PrivatePodman {
  readonly tmp: string;
  /** The runtime podman calls for ocirun: a wrapper of ocirun's CLI that records every call. */
  readonly ocirun: string;
  readonly calls: string;
  readonly image = 'localhost/ocirun-test/busybox:latest';
  private holder?: ChildProcess;
  private readonly env: Record<string, string>;
  /** Host paths podman needs as mount points that this run had to create (removed at stop). */
  private readonly made: string[] = [];
  /** The cgroup parents that existed before (left alone at stop). */
  private readonly parentsBefore: Set<string>;

  constructor(name: string) {
    this.tmp = mkdtempSync(join(tmpdir(), `ocirun-podman-${name}-`));
    chmodSync(this.tmp, 0o755);
    for (const d of ['root', 'runroot', 'engine', 'net', 'tmp', 'ocirun-state']) mkdirSync(join(this.tmp, d));
    this.calls = join(this.tmp, 'runtime-calls.log');
    this.ocirun = join(this.tmp, 'ocirun');
    // conmon and podman exec the runtime by path with runc's global flags: keep the argv, and
    // give ocirun a state root of the test's.
    writeFileSync(this.ocirun, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${this.calls}'\nexec '${process.execPath}' '${CLI}' --root '${join(this.tmp, 'ocirun-state')}' "$@"\n`, { mode: 0o755 });
    writeFileSync(
      join(this.tmp, 'containers.conf'),
      [
        '[containers]',
        // This VM lacks CAP_SYS_RESOURCE: podman's default (1048576) cannot be set (runc fails too).
        'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
        '[engine]',
        'runtime = "ocirun"',
        // podman passes --log-format=json only to runtimes it knows by name.
        'runtime_supports_json = ["ocirun", "runc"]',
        'cgroup_manager = "cgroupfs"',
        'events_logger = "file"',
        `tmp_dir = "${join(this.tmp, 'engine')}"`,
        'lock_type = "file"',
        '[engine.runtimes]',
        `ocirun = ["${this.ocirun}"]`,
        'runc = ["/usr/sbin/runc"]',
        '[network]',
        'network_backend = "netavark"',
        `network_config_dir = "${join(this.tmp, 'net')}"`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(this.tmp, 'storage.conf'), ['[storage]', 'driver = "vfs"', `graphroot = "${join(this.tmp, 'root')}"`, `runroot = "${join(this.tmp, 'runroot')}"`, ''].join('\n'));
    this.env = {
      CONTAINERS_CONF: join(this.tmp, 'containers.conf'),
      CONTAINERS_STORAGE_CONF: join(this.tmp, 'storage.conf'),
      // podman import and update write temporary files under TMPDIR (default /var/tmp).
      TMPDIR: join(this.tmp, 'tmp'),
    };
    this.parentsBefore = new Set(this.cgroupParents());
  }

  /** Make the private namespaces and import the busybox image. */
  async start(): Promise<void> {
    if (!existsSync('/var/lib/containers')) {
      mkdirSync('/var/lib/containers', { recursive: true });
      this.made.push('/var/lib/containers');
    }
    const holder = spawn('unshare', ['--mount', '--net', '--propagation', 'private', '--', 'sh', '-c', 'mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib/containers && echo ready && exec sleep 86400'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.holder = holder;
    let out = '';
    holder.stdout!.setEncoding('utf8').on('data', (d) => (out += d));
    holder.stderr!.setEncoding('utf8').on('data', (d) => (out += d));
    if (!(await waitFor(() => out.includes('ready') || holder.exitCode !== null, 10_000))) throw new Error(`the namespace holder did not come up: ${out}`);
    if (holder.exitCode !== null) throw new Error(`the namespace holder failed: ${out}`);
    await this.importImage();
  }

  /** The busybox rootfs as a tar, imported; /run holds a file, for --read-only's copy-up. */
  private async importImage(): Promise<void> {
    const rootfs = copyRootfs(join(this.tmp, 'image-rootfs'));
    writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n');
    writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    mkdirSync(join(rootfs, 'run'));
    writeFileSync(join(rootfs, 'run', 'from-image'), 'in the image\n');
    const tar = join(this.tmp, 'rootfs.tar');
    execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', tar, '.']);
    rmSync(rootfs, { recursive: true, force: true });
    const r = await this.podman(['import', '--change', 'CMD ["/bin/sh"]', tar, this.image], { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`podman import: ${r.stderr}`);
    rmSync(tar);
  }

  /** `podman` in the private namespaces with this run's configuration. */
  podman(args: string[], opts: SpawnOptions = {}): Promise<RunResult> {
    return spawnCollect('nsenter', [...this.enter(), 'podman', ...args], { timeoutMs: 60_000, ...opts, env: { ...this.env, ...opts.env } });
  }

  /** `podman` under script(1), so it has a terminal (80x24) for -t. Output comes with \r\n. */
  podmanTty(args: string[], opts: SpawnOptions = {}): Promise<RunResult> {
    const command = `stty rows 24 cols 80; exec ${[...['nsenter', ...this.enter()], 'podman', ...args].map(quote).join(' ')}`;
    return spawnCollect('script', ['--quiet', '--return', '--command', command, '/dev/null'], { timeoutMs: 60_000, ...opts, env: { ...this.env, ...opts.env } });
  }

  private enter(): string[] {
    if (!this.holder?.pid) throw new Error('PrivatePodman.start() first');
    return ['--target', String(this.holder.pid), '--mount', '--net', '--'];
  }

  /** The runtime calls podman and conmon made through the ocirun wrapper (argv joined by spaces). */
  runtimeCalls(): string[] {
    return existsSync(this.calls) ? readFileSync(this.calls, 'utf8').split('\n').filter(Boolean) : [];
  }

  /** A container's cgroup directory in one v1 hierarchy (podman's cgroupsPath with cgroupfs). */
  cgroupDir(controller: string, id: string): string {
    return join(CGROUP_ROOT, controller, CGROUP_PARENT, `libpod-${id}`);
  }

  private cgroupParents(): string[] {
    return readdirSync(CGROUP_ROOT)
      .map((c) => join(CGROUP_ROOT, c, CGROUP_PARENT))
      .filter((d) => existsSync(d));
  }

  /** Processes of this run: conmon and anything with the temp dir in its command line. */
  processes(): string[] {
    return processesMentioning(this.tmp, [this.holder?.pid]);
  }

  /** Mounts under the temp dir, in the host's namespace and in the private one. */
  private mounts(): string[] {
    const pid = this.holder?.pid;
    const inside = pid && this.holder!.exitCode === null ? parseMountinfo(readFileSync(`/proc/${pid}/mountinfo`, 'utf8')).map((m) => m.mountPoint).filter((mp) => mp.startsWith(this.tmp + '/')) : [];
    return [...mountPointsUnder([this.tmp]), ...inside];
  }

  /** What is left of the containers: processes, mounts, container cgroups, ocirun state. */
  leftovers(): { processes: string[]; mounts: string[]; cgroups: string[]; state: string[] } {
    const cgroups = this.cgroupParents().flatMap((p) => readdirSync(p, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name.startsWith('libpod-')).map((e) => join(p, e.name)));
    const stateDir = join(this.tmp, 'ocirun-state');
    const state = existsSync(stateDir) ? readdirSync(stateDir).filter((n) => !n.startsWith('@')) : [];
    return { processes: this.processes(), mounts: this.mounts(), cgroups, state };
  }

  /** Remove every container through podman. */
  async removeAll(): Promise<void> {
    await this.podman(['rm', '--all', '--force', '--time', '0']);
  }

  /** Remove everything: containers, the namespaces, podman's cgroup parents it made, the temp dir. */
  async stop(): Promise<void> {
    if (this.holder && this.holder.exitCode === null) await this.removeAll().catch(() => {});
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
    if (this.holder && this.holder.exitCode === null) {
      this.holder.kill('SIGKILL');
      await waitFor(() => this.holder!.exitCode !== null || this.holder!.signalCode !== null, 5000);
    }
    for (const parent of this.cgroupParents()) if (!this.parentsBefore.has(parent)) removeCgroupTree(parent);
    for (const d of this.made.reverse()) rmdirSync(d);
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
    // busy: the leftover check reports it
  }
}
