// Builds the native parts:
//   ocirun-executor  the executor program, from bindings/executor.c (static, without libc: starts
//                    fast, and one binary serves every Linux of its architecture, glibc or musl)
//   ocirun.node      the Node-API addon of bindings/addon.c: the runtime process's libc calls and
//                    the executor's spawn (spawn.c's ocirun_spawn)
// The addon uses Node-API only, so one build serves every Node version.
//
//   node scripts/build-native.mjs              build/ for this machine: npm run build, and at
//                                              install time when the package has no prebuilt part
//                                              that works here (scripts/install-native.mjs)
//   node scripts/build-native.mjs --prebuilds  prebuilds/linux-x64 and prebuilds/linux-arm64 for
//                                              the package (npm pack): cross-built, -Werror, and
//                                              checked to need nothing newer than glibc 2.17
// Only the prebuilds are built with -Werror: a newer compiler's new warning must not fail a
// user's install.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'bindings', 'executor.c');
const addonSrc = join(root, 'bindings', 'addon.c');
const common = ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-fno-stack-protector'];
/** No libc (see the top of executor.c): freestanding, its own _start, memcpy and memset. */
export const EXECUTOR_FLAGS = [...common, '-static', '-nostdlib', '-ffreestanding', '-fno-tree-loop-distribute-patterns', '-fno-pie', '-no-pie', '-fno-asynchronous-unwind-tables', '-DOCIRUN_EXECUTOR_MAIN'];
export const EXECUTOR_SOURCE = src;
export const ADDON_SOURCES = [src, join(root, 'bindings', 'spawn.c'), addonSrc];
/** What executor.c includes from beside it. */
export const EXECUTOR_HEADERS = ['copy-tree.h', 'raw-syscall.h'].map((h) => join(root, 'bindings', h));
const ADDON_HEADERS = ['addon-sockets.h', 'addon-terminal.h', 'addon-bpf.h', 'spawn.h'].map((h) => join(root, 'bindings', h));
export const ADDON_FLAGS = [...common, '-fPIC', '-shared', '-fvisibility=hidden'];
/** The newest glibc symbol version a prebuilt addon may need (glibc 2.17, 2012: RHEL 7's). */
export const GLIBC_MAX = [2, 17];
/** The architectures the executor supports, by Node's name: the ELF machine and the cross tools' prefix. */
export const PREBUILT = {
  x64: { machine: 62, prefix: 'x86_64-linux-gnu-' },
  arm64: { machine: 183, prefix: 'aarch64-linux-gnu-' },
};

/** The two programs of `dir`: [executor, addon]. */
function targets(dir) {
  return [
    { out: join(dir, 'ocirun-executor'), args: EXECUTOR_FLAGS, sources: [src], headers: EXECUTOR_HEADERS },
    { out: join(dir, 'ocirun.node'), args: ADDON_FLAGS, napi: true, sources: ADDON_SOURCES, headers: [...EXECUTOR_HEADERS, ...ADDON_HEADERS] },
  ];
}

/**
 * -I for node_api.h: the node-api-headers package (a dev dependency), else the headers of the
 * Node that runs this (npm's nodedir, or <prefix>/include/node beside the node binary).
 */
export function napiInclude() {
  try {
    return ['-I', createRequire(import.meta.url)('node-api-headers').include_dir];
  } catch {
    // not a development checkout
  }
  const dirs = [process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'), join(dirname(process.execPath), '..', 'include', 'node')];
  const dir = dirs.find((d) => d && existsSync(join(d, 'node_api.h')));
  if (dir) return ['-I', dir];
  throw new Error(`the Node-API headers (node_api.h) are in none of ${dirs.filter(Boolean).join(', ')}: run \`npm install\` in ${root} (package node-api-headers), or install Node's headers`);
}

/** Compiles the targets of `dir` that are older than their sources (or all, with force). */
function compile(dir, { cc, werror = false, force = false }) {
  for (const t of targets(dir)) {
    // Up to date unless a source or this script (the flags) changed since.
    const newest = Math.max(...[...t.sources, ...t.headers, fileURLToPath(import.meta.url)].map((f) => statSync(f).mtimeMs));
    if (!force && existsSync(t.out) && statSync(t.out).mtimeMs >= newest) continue;
    mkdirSync(dirname(t.out), { recursive: true });
    const tmp = `${t.out}.${process.pid}`;
    const args = [...t.args, ...(werror ? ['-Werror'] : []), ...(t.napi ? napiInclude() : []), '-o', tmp, ...t.sources];
    try {
      execFileSync(cc, args, { stdio: 'inherit' });
    } catch (err) {
      throw new Error(`building ${t.out} failed (${cc} ${args.join(' ')}: ${err.code ?? `exit ${err.status}`}); it needs a C compiler and the C library headers (Debian: apt-get install gcc libc6-dev)`);
    }
    // Renamed into place: a Node process that has the old addon loaded keeps its mapping.
    renameSync(tmp, t.out);
  }
}

/** The compiler for `arch` on this machine: the host's for its own architecture, else the cross compiler. */
function compilerFor(arch) {
  return process.arch === arch ? process.env.CC || 'cc' : `${PREBUILT[arch].prefix}gcc`;
}

/**
 * Checks what a prebuilt needs: the executor a static program without an interpreter, the addon
 * a shared object of the right machine whose glibc symbols are all at most GLIBC_MAX.
 */
export function checkPrebuilt(dir, arch) {
  const { machine, prefix } = PREBUILT[arch];
  const exe = elf(join(dir, 'ocirun-executor'));
  if (exe.machine !== machine || exe.interp || exe.dynamic) throw new Error(`${dir}/ocirun-executor: not a static ${arch} program (machine ${exe.machine}, interpreter ${exe.interp}, dynamic ${exe.dynamic})`);
  const addon = elf(join(dir, 'ocirun.node'));
  if (addon.machine !== machine) throw new Error(`${dir}/ocirun.node: ELF machine ${addon.machine}, expected ${machine} (${arch})`);
  const versions = glibcVersions(join(dir, 'ocirun.node'), process.arch === arch ? 'objdump' : `${prefix}objdump`);
  const [major, minor] = GLIBC_MAX;
  const newer = versions.filter(([, a, b]) => a > major || (a === major && b > minor)).map(([s]) => s);
  if (newer.length) throw new Error(`${dir}/ocirun.node needs glibc symbols newer than ${major}.${minor}: ${newer.join(', ')} (use the raw system call)`);
  return versions;
}

/** [symbol (version), major, minor] of each glibc symbol a shared object imports, from `objdump -T`. */
export function glibcVersions(file, objdump = 'objdump') {
  const out = execFileSync(objdump, ['-T', file], { encoding: 'utf8' });
  return [...out.matchAll(/\(GLIBC_((\d+)\.(\d+)(?:\.\d+)?)\)\s+(\S+)/g)].map((m) => [`${m[4]} (GLIBC_${m[1]})`, Number(m[2]), Number(m[3])]);
}

/** The ELF machine of a 64-bit little-endian file, and whether it has PT_INTERP or PT_DYNAMIC. */
function elf(file) {
  const b = readFileSync(file);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) throw new Error(`${file}: not a 64-bit little-endian ELF file`);
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const types = Array.from({ length: b.readUInt16LE(56) }, (_, i) => b.readUInt32LE(phoff + i * phentsize));
  return { machine: b.readUInt16LE(18), interp: types.includes(3), dynamic: types.includes(2) };
}

/** build/ for this machine, with its compiler. */
export function buildHere() {
  compile(join(root, 'build'), { cc: process.env.CC || 'cc' });
}

/** prebuilds/linux-<arch> for each architecture, under `into` (the package root). */
export function buildPrebuilds(into = root) {
  for (const arch of Object.keys(PREBUILT)) {
    const dir = join(into, 'prebuilds', `linux-${arch}`);
    compile(dir, { cc: compilerFor(arch), werror: true, force: true });
    checkPrebuilt(dir, arch);
  }
}

// Run as a script it builds; the tests import it for the flags and checks.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    if (process.argv.includes('--prebuilds')) buildPrebuilds();
    else buildHere();
  } catch (err) {
    console.error(`ocirun: ${err.message}`);
    process.exit(1);
  }
}
