// From a bundle to a program ready to run: read config.json, complete the process's environment
// as runc does, validate, plan. Validation and planning cost 1–3 ms in a warm process and 20+ ms
// in a fresh CLI process (schema validators, cold planner code), yet the program depends only on
// config.json, a few host facts and the create options, so it is made once per bundle and reused:
// kept in memory per Runtime and on disk under the state root (each CLI call is a new process).
//
// An entry is reused only when its whole key matches (the config.json text itself, not a hash of
// it; the build of ocirun; the host; the options) and the host files it was made from (rootfs,
// bind sources, ...) are still what they were (lib/host/facts.ts). Per-container values are not
// in the program: its fds are fixed numbers (lib/protocol/child-fds.ts) and the container id goes
// into a slot.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { slotPatch, type ProgramPatch, type Slot } from '../../bindings/program-format.js';
import { factsHold, withFacts, type Facts } from '../host/facts.js';
import { host } from '../host/host.js';
import { hostLayout } from '../cgroups/index.js';
import { delegatedLayout } from '../cgroups/delegation.js';
import { ownCgroups, type CgroupLayout } from '../cgroups/layout.js';
import type { CgroupSettings } from '../cgroups/settings.js';
import { childFds, type ChildFds } from '../protocol/child-fds.js';
import { planIdmaps } from '../plan/idmap.js';
import type { Plan } from '../plan/index.js';
import type { NamespacePhase } from '../plan/namespaces.js';
import { CONTAINER_ID_SLOT } from '../plan/slots.js';
import type { StoredSeccomp } from '../seccomp/compile.js';
import type { LinuxNamespaceType, Spec } from '../spec/index.js';
import { packageRoot } from '../support/package-root.js';
import { ParsedConfigs } from './parsed-configs.js';
import { ROOT_MODE } from '../state/store.js';
// --no-pivot detaches the host's proc and sysfs mounts its plan lists: a new one is a new plan.
import { hostPseudoMounts } from '../host/pseudo-mounts.js';

export interface PrepareOptions {
  /** Absolute bundle directory. */
  bundle: string;
  /** create (wait on the exec fifo for `start`) or run (exec at once). */
  waitForStart: boolean;
  /** Rootless mode: plan nothing that needs a capability in the runtime's user namespace. */
  rootless?: boolean;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  /** Preserved fds, socket-activation fds included. */
  preserveFds: number;
  /** Socket activation: the process gets LISTEN_FDS and LISTEN_PID. */
  listenFds: number;
  /** Rootless: the cgroup hierarchies delegated to the user (set by prepare; part of the key). */
  cgroupLayout?: CgroupLayout;
}

export interface Prepared {
  /** config.json as validated, with the environment create adds (HOME, LISTEN_FDS). */
  spec: Spec;
  rootfs: string;
  /** The program, shared by every container of the bundle: never written to. */
  program: Buffer;
  /** What makes it this container's (its id in the slot), written over it on the way to the executor. */
  patches: ProgramPatch[];
  namespaces: NamespacePhase;
  /** Where the executor expects its fds. */
  fds: ChildFds;
  /** Namespace types joined by path, and the paths. */
  joins: { type: LinuxNamespaceType; path: string }[];
  /** The compiled seccomp filter (also inside the program), for the record and the listener. */
  seccomp?: StoredSeccomp;
  /** What linux.resources writes into the container's cgroups. */
  cgroup: CgroupSettings;
  /** The hierarchies the container gets a cgroup in. */
  cgroupLayout: CgroupLayout;
  /** One description per op, for error messages (planned again on demand after a cache hit). */
  descriptions(): Promise<readonly string[]>;
}

interface Entry {
  key: string;
  facts: Facts;
  warnings: string[];
  namespaces: NamespacePhase;
  slots: Record<string, Slot>;
  seccomp?: StoredSeccomp;
  cgroup: CgroupSettings;
  program: Buffer;
}

const FORMAT = 3;
const MEMORY_ENTRIES = 32;
const DISK_ENTRIES = 128;
/**
 * The directory of cached plans under the state root. Not a valid container id
 * (lib/state/store.ts), so it never clashes with a container's directory.
 */
export const PLAN_CACHE_DIR = '@plans';

export class PlanCache {
  private readonly memory = new Map<string, Entry>();
  private readonly configs = new ParsedConfigs(MEMORY_ENTRIES);

  /** `root`: the state root; undefined: memory only. */
  constructor(private readonly root?: string) {}

  async prepare(options: PrepareOptions, id: string, warn: (message: string) => void): Promise<Prepared> {
    let text: string | undefined;
    let parsed: Spec | undefined;
    try {
      text = readFileSync(join(options.bundle, 'config.json'), 'utf8');
      parsed = this.configs.parse(options.bundle, text);
    } catch {
      // Unreadable or not JSON: validation says exactly what is wrong.
    }
    // Rootless, the cgroups depend on what is delegated to the user now: part of the key.
    if (options.rootless) options = { ...options, cgroupLayout: delegatedLayout(hostLayout(), typeof parsed?.linux?.cgroupsPath === 'string' ? parsed.linux.cgroupsPath : undefined, id, ownCgroups) };
    if (text === undefined || typeof parsed?.root?.path !== 'string') return this.make(options, id, warn, text);
    let view: ReturnType<typeof containerView>;
    try {
      view = containerView(parsed, options);
    } catch {
      // Not validated yet: a config this cannot read (a null mount, say) is not one a cached
      // plan was made from; validation says exactly what is wrong.
      return this.make(options, id, warn, text);
    }
    const { rootfs, extraEnv, spec, fds } = view;
    const key = keyOf(options, extraEnv, text);
    const entry = this.lookup(key, diskName(options));
    if (!entry) return this.make(options, id, warn, text, key);
    for (const w of entry.warnings) warn(w);
    return prepared(spec, rootfs, fds, entry, id, layoutOf(options), async () => (await plan(spec, rootfs, fds, options)).program.descriptions);
  }

  /**
   * Validate and plan (a cache miss), then remember the result under its key (`key`: already
   * computed from the same text).
   */
  private async make(options: PrepareOptions, id: string, warn: (message: string) => void, text: string | undefined, key?: string): Promise<Prepared> {
    const [{ loadBundle, loadBundleText, VALIDATE_ONLY }, { planContainer }, { storeSeccomp }, { readExactSeccompArgs }] = await Promise.all([
      import('../validate/index.js'),
      import('../plan/index.js'),
      import('../seccomp/compile.js'),
      import('../seccomp/exact-args.js'),
    ]);
    const warnings: string[] = [];
    const say = (m: string) => {
      warnings.push(m);
      warn(m);
    };
    const { value, facts } = withFacts(() => {
      // Without the text (unreadable, not JSON) loadBundle reads the file and says what is wrong.
      const { config, report } = text === undefined ? loadBundle(options.bundle) : loadBundleText(options.bundle, text);
      for (const p of report.problems) if (!VALIDATE_ONLY.has(p.rule ?? '')) say(`config.json: ${p.pointer || '/'}: ${p.message}`);
      // Syscall argument values above 2^53, exactly (JSON.parse rounds them).
      if (text !== undefined) readExactSeccompArgs(config, text);
      const view = containerView(config, options);
      return { ...view, plan: planWith(planContainer, view.spec, view.rootfs, view.fds, options, say) };
    });
    const { spec, rootfs, extraEnv, fds } = value;
    const { program, namespaces, seccomp, cgroup } = value.plan;
    const entry: Omit<Entry, 'key'> = { facts, warnings, namespaces, slots: program.slots, cgroup, program: program.bytes, ...(seccomp && { seccomp: storeSeccomp(seccomp) }) };
    if (text !== undefined) this.remember({ key: key ?? keyOf(options, extraEnv, text), ...entry }, diskName(options));
    return prepared(spec, rootfs, fds, entry, id, layoutOf(options), async () => program.descriptions);
  }

  private lookup(key: string, name: string): Entry | undefined {
    let entry = this.memory.get(key);
    if (!entry) {
      entry = this.readDisk(key, name);
      if (entry) this.keep(entry);
    }
    if (entry && !factsHold(entry.facts)) return undefined;
    return entry;
  }

  private remember(entry: Entry, name: string): void {
    this.keep(entry);
    this.writeDisk(entry, name);
  }

  private keep(entry: Entry): void {
    this.memory.delete(entry.key);
    this.memory.set(entry.key, entry);
    if (this.memory.size > MEMORY_ENTRIES) this.memory.delete(this.memory.keys().next().value as string);
  }

  // ---- on disk: [u32 header length][header JSON][program] ----

  private diskPath(name: string): string | undefined {
    if (!this.root || !buildId()) return undefined;
    return join(this.root, PLAN_CACHE_DIR, name);
  }

  private readDisk(key: string, name: string): Entry | undefined {
    const path = this.diskPath(name);
    if (!path) return undefined;
    try {
      const buf = readFileSync(path);
      const headerLength = buf.readUInt32LE(0);
      const header = JSON.parse(buf.toString('utf8', 4, 4 + headerLength)) as Omit<Entry, 'program'>;
      if (header.key !== key) return undefined;
      return { ...header, program: buf.subarray(4 + headerLength) };
    } catch {
      return undefined;
    }
  }

  /** Best effort: a cache that cannot be written only costs time. */
  private writeDisk(entry: Entry, name: string): void {
    const path = this.diskPath(name);
    if (!path) return;
    const { program, ...header } = entry;
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(json.length, 0);
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      // The root as the state store makes it (lib/state/store.ts), then the cache, private.
      mkdirSync(this.root!, { recursive: true, mode: ROOT_MODE });
      mkdirSync(join(this.root!, PLAN_CACHE_DIR), { recursive: true, mode: 0o700 });
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, length);
        writeSync(fd, json);
        writeSync(fd, program);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
      this.trimDisk();
    } catch {
      try {
        unlinkSync(tmp);
      } catch {
        // never written
      }
    }
  }

  /** Keep the newest DISK_ENTRIES / 2 once there are more than DISK_ENTRIES. */
  private trimDisk(): void {
    const dir = join(this.root!, PLAN_CACHE_DIR);
    const names = readdirSync(dir);
    if (names.length <= DISK_ENTRIES) return;
    const aged = names.map((n) => ({ n, t: statSync(join(dir, n), { throwIfNoEntry: false })?.mtimeMs ?? 0 })).sort((a, b) => a.t - b.t);
    for (const { n } of aged.slice(0, names.length - DISK_ENTRIES / 2)) unlinkSync(join(dir, n));
  }
}

/**
 * Everything a program depends on, the config.json text itself included: a line of JSON, then
 * the text as it is (JSON-escaping 3 KB of config on every create cost ~0.1 ms).
 */
function keyOf(options: PrepareOptions, extraEnv: string[], text: string): string {
  const o = options;
  return `${JSON.stringify([FORMAT, buildId(), o.bundle, o.waitForStart, !!o.rootless, o.noPivot ? hostPseudoMounts() : false, !!o.noNewKeyring, o.preserveFds, o.listenFds, extraEnv, o.cgroupLayout ?? null])}${hostKey()}\n${text}`;
}

let hostJson: string | undefined;
function hostKey(): string {
  return (hostJson ??= JSON.stringify([host(), hostLayout()]));
}

/**
 * The planner and the validators are loaded when a plan is made, not when a cached one is used:
 * a CLI call with a cached plan then initialises neither (~1 ms of module set-up).
 */
async function plan(spec: Spec, rootfs: string, fds: ChildFds, options: PrepareOptions): Promise<Plan> {
  const { planContainer } = await import('../plan/index.js');
  return planWith(planContainer, spec, rootfs, fds, options);
}

function planWith(
  planContainer: typeof import('../plan/index.js').planContainer,
  spec: Spec,
  rootfs: string,
  fds: ChildFds,
  options: PrepareOptions,
  warn?: (m: string) => void,
): Plan {
  return planContainer({
    spec,
    bundleDir: options.bundle,
    rootfs,
    host: host(),
    syncFd: fds.sync,
    fifoDirFd: options.waitForStart ? fds.fifoDir : undefined,
    joinFds: Object.fromEntries(joinsOf(spec).map((j) => [j.type, fds.join[j.type]])),
    idmapFds: fds.idmap,
    rootless: options.rootless,
    consoleFd: spec.process?.terminal ? fds.console : undefined,
    noPivot: options.noPivot,
    noNewKeyring: options.noNewKeyring,
    preserveFds: options.preserveFds,
    cgroupLayout: layoutOf(options),
    cgroupFds: fds.cgroups,
    warn,
  });
}

/** What the container sees of a config: its rootfs, the environment create adds, the fds. */
function containerView(config: Spec, options: PrepareOptions): { rootfs: string; extraEnv: string[]; spec: Spec; fds: ChildFds } {
  const rootfs = rootfsOf(config, options.bundle);
  const extraEnv = processEnv(config, rootfs, options.listenFds);
  const spec = withEnv(config, extraEnv);
  return { rootfs, extraEnv, spec, fds: fdsFor(spec, options) };
}

function rootfsOf(spec: Spec, bundle: string): string {
  const path = spec.root!.path;
  return isAbsolute(path) ? path : join(bundle, path);
}

function joinsOf(spec: Spec): { type: LinuxNamespaceType; path: string }[] {
  return (spec.linux?.namespaces ?? []).filter((n) => n.path).map((n) => ({ type: n.type, path: n.path! }));
}

function fdsFor(spec: Spec, options: PrepareOptions): ChildFds {
  return childFds(options.preserveFds, joinsOf(spec).map((j) => j.type), planIdmaps(spec).mappings.length, layoutOf(options).hierarchies.length);
}

/** The hierarchies the container joins: the host's; rootless, those delegated to the user. */
function layoutOf(options: PrepareOptions): CgroupLayout {
  return options.rootless ? options.cgroupLayout ?? { mode: 'none', hierarchies: [] } : hostLayout();
}

/** What create adds to process.env: LISTEN_FDS/LISTEN_PID, and a HOME when there is none. */
function processEnv(spec: Spec, rootfs: string, listenFds: number): string[] {
  if (!spec.process) return [];
  const env = spec.process.env ?? [];
  const extra: string[] = [];
  if (listenFds > 0) extra.push(`LISTEN_FDS=${listenFds}`, 'LISTEN_PID=1');
  // runc gives the process a HOME when config.json has none: the user's, from the rootfs.
  if (!env.some((e) => typeof e === 'string' && e.startsWith('HOME='))) extra.push(`HOME=${homeOf(spec, rootfs)}`);
  return extra;
}

function withEnv(spec: Spec, extra: string[]): Spec {
  if (!spec.process || (!extra.length && spec.process.env)) return spec;
  return { ...spec, process: { ...spec.process, env: [...(spec.process.env ?? []), ...extra] } };
}

/** The home directory of process.user.uid in the rootfs's /etc/passwd, else "/". */
function homeOf(spec: Spec, rootfs: string): string {
  const uid = spec.process?.user?.uid ?? 0;
  const passwd = join(rootfs, 'etc', 'passwd');
  // Asked first: a process's first failed fs call costs ~0.2 ms (Node builds its error machinery).
  if (!existsSync(passwd)) return '/';
  try {
    // Read it only if it really lies inside the rootfs: a symlink there could name a host file.
    const file = realpathSync.native(passwd);
    if (!file.startsWith(realpathSync.native(rootfs) + '/')) return '/';
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 6 && Number(f[2]) === uid && f[5]) return f[5];
    }
  } catch {
    // No passwd in the rootfs.
  }
  return '/';
}

/**
 * A container's view of an entry: the shared program, and its id as a patch for the slot (a copy
 * of the program per container cost ~0.15 ms: 41 KB of fresh memory).
 */
function prepared(
  spec: Spec,
  rootfs: string,
  fds: ChildFds,
  entry: Pick<Entry, 'program' | 'slots' | 'namespaces' | 'seccomp' | 'cgroup'>,
  id: string,
  cgroupLayout: CgroupLayout,
  descriptions: () => Promise<readonly string[]>,
): Prepared {
  const slot = entry.slots[CONTAINER_ID_SLOT];
  const patches = slot ? [slotPatch(slot, id)] : [];
  return { spec, rootfs, program: entry.program, patches, namespaces: entry.namespaces, fds, joins: joinsOf(spec), seccomp: entry.seccomp, cgroup: entry.cgroup, cgroupLayout, descriptions };
}

let build: string | undefined | null = null;
/** Identifies this build of ocirun (written by scripts/build-id.mjs); a new build plans anew. */
function buildId(): string | undefined {
  if (build === null) {
    try {
      build = readFileSync(join(packageRoot(), 'build', 'build-id'), 'utf8').trim() || undefined;
    } catch {
      build = undefined;
    }
  }
  return build;
}

/**
 * The file of a bundle's plan: one per bundle and options, so an edited config.json replaces
 * its old plan. Named by a hash of those only (hashing the whole key, config text included,
 * took 0.4–0.7 ms in a cold CLI process); the whole key is compared on read.
 */
function diskName(o: PrepareOptions): string {
  return hash(JSON.stringify([o.bundle, o.waitForStart, !!o.rootless, !!o.noPivot, !!o.noNewKeyring, o.preserveFds, o.listenFds]));
}

/** Two 32-bit FNV-1a lanes. */
function hash(key: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

