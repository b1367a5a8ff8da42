// The package as npm delivers it: `npm pack` (which builds the prebuilt native parts), then an
// install of the tarball into a project outside the repository with every C compiler hidden from
// PATH, and that project's use of it: `ocirun` imported by name from ES modules and CommonJS, its
// types checked by tsc against the installed .d.ts, a container run through the public API and
// through the installed `ocirun` command, with the container's output captured. The installed
// package's files must be left exactly as npm wrote them.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, spawnCollect, useHarness } from '../support/harness.js';

const h = useHarness('package');
const PLATFORM = `${process.platform}-${process.arch}`;
const MESSAGE = 'hello from the installed package';
// As a user runs things: no NODE_OPTIONS (vitest's would reach every child).
const { NODE_OPTIONS: _, ...ENV } = process.env;

let tarball = '';
let app = '';
let pkg = '';
let cacheHome = '';
let installLog = '';
let installed: Record<string, string> = {};

/** Every file under `dir` (relative name → inode and sha256): what a run must leave unchanged. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = `${statSync(p).ino} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
    }
  };
  walk(dir);
  return out;
}

/** A directory of links to every program on PATH but C compilers and preprocessors. */
function pathWithoutCompilers(): string {
  const dir = h.dir('path-without-cc');
  const compiler = /(^|-)(cc|gcc|g\+\+|c\+\+|cpp|clang|clang\+\+|c89|c99|tcc|musl-gcc)(-[\d.]+)?$/;
  for (const from of (process.env.PATH ?? '').split(delimiter)) {
    if (!from || !existsSync(from)) continue;
    for (const name of readdirSync(from)) {
      if (compiler.test(name) || existsSync(join(dir, name))) continue;
      symlinkSync(join(from, name), join(dir, name));
    }
  }
  return dir;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in the app's project (by default) and collects its output. */
function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Ran {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd ?? app, env: opts.env ?? { ...ENV, XDG_CACHE_HOME: cacheHome }, timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same without blocking the event loop (vitest's worker must answer its runner meanwhile). */
function runAsync(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  const work = h.dir('npm');
  cacheHome = h.dir('xdg-cache');
  // npm pack runs prepack (the prebuilt parts) and prepare (npm run build).
  const packed = await runAsync('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO, env: ENV });
  expect(packed.code, packed.stderr).toBe(0);
  tarball = join(work, JSON.parse(packed.stdout)[0].filename);
  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  const noCc = pathWithoutCompilers();
  const env = { ...ENV, PATH: noCc };
  expect(spawnSync('sh', ['-c', 'command -v cc || command -v gcc'], { env }).status).not.toBe(0);
  // Offline-first: koffi comes from npm's cache, which the repository's own install filled.
  const inst = await runAsync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts', tarball], { cwd: app, env });
  installLog = inst.stdout + inst.stderr;
  expect(inst.code, installLog).toBe(0);
  pkg = join(app, 'node_modules', 'ocirun');
  installed = snapshot(pkg);
}, 900_000);

describe('the packed and installed package', () => {
  it('holds the built library, the CLI with its code caches and the prebuilt parts, not the repository', () => {
    const files = spawnSync('tar', ['tzf', tarball], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    for (const f of [
      'dist/lib/index.js',
      'dist/lib/index.d.ts',
      'dist/cli/ocirun.cjs',
      'dist/cli/bundle.cjs',
      'dist/cli/bundle.v8cache',
      'dist/cli/bundle.container.v8cache',
      'build/validators.cjs',
      'prebuilds/linux-x64/ocirun.node',
      'prebuilds/linux-x64/ocirun-executor',
      'prebuilds/linux-arm64/ocirun.node',
      'prebuilds/linux-arm64/ocirun-executor',
      'scripts/install-native.mjs',
      'scripts/build-native.mjs',
      'bindings/addon.c',
      'bindings/executor.c',
      'spec-schemas/LICENSE',
    ]) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^(test|conformance|bench|examples|lib|\.ci)\/|^build\/ocirun|^dist\/test\//.test(f))).toEqual([]);
    // Every compiled module has its source: nothing stale from an earlier build (tsc leaves those).
    const stale = files.filter((f) => /^dist\/(lib|bindings)\/.*\.js$/.test(f) && !existsSync(join(REPO, f.replace(/^dist\//, '').replace(/\.js$/, '.ts'))));
    expect(stale).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    expect(Object.keys(manifest.dependencies)).toEqual(['koffi']);
    expect(manifest.cpu).toEqual(['x64', 'arm64']);
    expect(manifest.os).toEqual(['linux']);
  });

  it('installs with no compiler on PATH: the prebuilt parts for this platform serve, nothing is built', () => {
    // The install script ran, and found the prebuilt parts working.
    expect(installLog).toContain('> node scripts/install-native.mjs');
    expect(installLog).not.toContain('ocirun: no native parts');
    expect(existsSync(join(pkg, 'build', 'ocirun.node'))).toBe(false);
    expect(existsSync(join(pkg, 'prebuilds', PLATFORM, 'ocirun.node'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'ajv'))).toBe(false);
  });

  it('is imported by name from ES modules and CommonJS, with the same exports, and nothing else is reachable', () => {
    // koffi is loaded only for libseccomp: by a config with seccomp rules, not before.
    const show = [
      "const koffi = () => require('node:fs').readFileSync('/proc/self/maps', 'utf8').includes('koffi');",
      'const r = m.validateConfig({ ociVersion: "1.3.0", root: { path: "rootfs" } });',
      'const before = koffi();',
      'm.validateConfig({ ociVersion: "1.3.0", root: { path: "rootfs" }, linux: { seccomp: { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["getpid"], action: "SCMP_ACT_ERRNO" }] } } });',
      'console.log(JSON.stringify({ keys: Object.keys(m).sort(), valid: r.valid, runtime: typeof m.Runtime, koffi: [before, koffi()] }));',
    ].join('\n');
    writeFileSync(join(app, 'esm.mjs'), `import * as m from 'ocirun';\nimport { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n${show}\n`);
    writeFileSync(join(app, 'cjs.cjs'), `const m = require('ocirun');\n${show}\n`);
    const esm = run(process.execPath, ['esm.mjs']);
    const cjs = run(process.execPath, ['cjs.cjs']);
    expect(esm.stderr).toBe('');
    expect(cjs.stderr).toBe('');
    const fromEsm = JSON.parse(esm.stdout);
    expect(fromEsm).toEqual(JSON.parse(cjs.stdout));
    expect(fromEsm.keys).toEqual(expect.arrayContaining(['Runtime', 'OciError', 'validateConfig', 'validateBundle', 'VERSION']));
    expect(fromEsm).toMatchObject({ valid: true, runtime: 'function', koffi: [false, true] });
    // The exports map is the only way in.
    const deep = run(process.execPath, ['-e', "require('ocirun/dist/lib/errors.js')"]);
    expect(deep.stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  // The declarations and every type they use (@types/node included) are checked: slow on a busy machine.
  it('type-checks with tsc against the installed declarations', { timeout: 240_000 }, async () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [join(REPO, 'node_modules', '@types')] },
        files: ['check.mts'],
      }),
    );
    writeFileSync(
      join(app, 'check.mts'),
      `import { Runtime, isOciError, validateConfig, VERSION, type Container, type ExitStatus, type Spec, type ValidationReport } from 'ocirun';
const spec: Spec = { ociVersion: '1.3.0', root: { path: 'rootfs' }, process: { cwd: '/', args: ['true'] } };
const report: ValidationReport = validateConfig(spec);
const rt = new Runtime({ root: '/run/ocirun' });
export async function once(bundle: string): Promise<string> {
  const container: Container = await rt.run('c1', bundle, { stdio: ['ignore', 'pipe', 'inherit'], signal: AbortSignal.timeout(5000) });
  let out = '';
  if (container.stdout) for await (const chunk of container.stdout.setEncoding('utf8')) out += chunk;
  const exit: ExitStatus = await container.wait();
  await container.delete();
  return \`\${out} \${exit.code ?? exit.signal}\`;
}
export const code = (err: unknown): string | undefined => (isOciError(err) ? err.code : undefined);
// @ts-expect-error: VERSION is a string (an unresolved module would make this any, and the directive unused)
const n: number = VERSION;
console.log(report.valid, n);
`,
    );
    const tsc = await runAsync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: app, env: ENV });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
  });

  it('runs a container through the public API, its output captured, without loading koffi', async () => {
    const bundle = h.bundle((s) => (s.process!.args = ['/bin/echo', MESSAGE]));
    writeFileSync(
      join(app, 'run.mjs'),
      `import { Runtime } from 'ocirun';
import { readFileSync } from 'node:fs';
const [root, id, bundle] = process.argv.slice(2);
const rt = new Runtime({ root });
const container = await rt.run(id, bundle, { stdio: ['ignore', 'pipe', 'pipe'] });
// Each stream to its end (the container closes it), as with child_process.
const text = async (stream) => {
  let t = '';
  for await (const chunk of stream.setEncoding('utf8')) t += chunk;
  return t;
};
const [stdout, stderr, exit] = await Promise.all([text(container.stdout), text(container.stderr), container.wait()]);
await container.delete();
const koffi = readFileSync('/proc/self/maps', 'utf8').includes('koffi');
console.log(JSON.stringify({ stdout, stderr, exit, koffi }));
`,
    );
    const r = await spawnCollect(process.execPath, [join(app, 'run.mjs'), h.root, h.id('api'), bundle], { env: { XDG_CACHE_HOME: cacheHome } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ stdout: `${MESSAGE}\n`, stderr: '', exit: { code: 0, signal: null }, koffi: false });
  });

  it('runs a container through the installed ocirun command, its output captured', async () => {
    const bundle = h.bundle((s) => (s.process!.args = ['/bin/echo', MESSAGE]));
    const bin = join(app, 'node_modules', '.bin', 'ocirun');
    const r = await spawnCollect(bin, ['--root', h.root, 'run', '--bundle', bundle, h.id('bin')], { env: { XDG_CACHE_HOME: cacheHome } });
    expect(r).toEqual({ stdout: `${MESSAGE}\n`, stderr: '', code: 0, signal: null });
    const version = await spawnCollect(bin, ['--version'], { env: { XDG_CACHE_HOME: cacheHome } });
    expect(version.stdout).toMatch(/^ocirun version /);
  });

  it('runs the conformance suite from the installed package against runc and crun (a few clauses)', { timeout: 900_000 }, async () => {
    const runtimes = [
      ['runc', '/usr/sbin/runc', '/usr/sbin/runc'],
      ['crun', join(REPO, 'conformance/crun-hybrid.sh'), '/usr/bin/crun'],
    ].filter(([, , binary]) => existsSync(binary!));
    expect(runtimes.length, 'runc (README test command) is not installed').toBeGreaterThan(0);
    const json = join(h.dir('conformance-report'), 'report.json');
    const bin = join(app, 'node_modules', '.bin', 'ocirun-conformance');
    const args = [...runtimes.flatMap(([name, path]) => ['--runtime', `${name}=${path}`]), '--filter', 'RT-QUERY-|RT-CREATE-00[1-5]|CFG-PROC-CWD-001', '--json', json, '--html', `${json}.html`];
    const r = await spawnCollect(bin, args, { timeoutMs: 840_000, env: { XDG_CACHE_HOME: cacheHome } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^runtime\.md#query-state +\d+\/\d+\/\d+/m);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { runtimes: { name: string; summary: { pass: number; fail: number }; results: { id: string; result: string; reason: string }[] }[] };
    expect(report.runtimes.map((x) => x.name)).toEqual(runtimes.map(([name]) => name));
    for (const rt of report.runtimes) {
      expect(rt.results.filter((x) => x.result !== 'pass'), rt.name).toEqual([]);
      expect(rt.summary.pass, rt.name).toBe(9);
    }
    expect(readFileSync(`${json}.html`, 'utf8')).toContain('id="RT-QUERY-001"');
  });

  it('leaves its own files as npm wrote them, and its code caches serve (none written elsewhere)', () => {
    expect(snapshot(pkg)).toEqual(installed);
    expect(readdirSync(cacheHome)).toEqual([]);
  });

  it('without a native part that works here, running a container is an error that names the platform; npm rebuild builds them from source', { timeout: 120_000 }, async () => {
    const prebuilt = join(pkg, 'prebuilds', PLATFORM);
    const bin = join(app, 'node_modules', '.bin', 'ocirun');
    renameSync(prebuilt, `${prebuilt}.away`);
    try {
      const bundle = h.bundle((s) => (s.process!.args = ['/bin/echo', MESSAGE]));
      const r = await spawnCollect(bin, ['--root', h.root, 'run', '--bundle', bundle, h.id('none')], { env: { XDG_CACHE_HOME: cacheHome } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`ocirun has no native part that works on ${PLATFORM}`);
      expect(r.stderr).toContain(join(pkg, 'prebuilds', PLATFORM, 'ocirun.node'));
      expect(r.stderr).toContain('npm rebuild ocirun');
      // The fix the error names: the install script builds build/ from source (with Node's own
      // headers: node-api-headers is not installed with the package).
      const rebuilt = await runAsync('npm', ['rebuild', 'ocirun', '--foreground-scripts'], { cwd: app, env: ENV });
      expect(rebuilt.code, rebuilt.stdout + rebuilt.stderr).toBe(0);
      expect(rebuilt.stdout + rebuilt.stderr).not.toContain('ocirun: no native parts');
      expect(existsSync(join(pkg, 'build', 'ocirun.node'))).toBe(true);
      const again = await spawnCollect(bin, ['--root', h.root, 'run', '--bundle', bundle, h.id('rebuilt')], { env: { XDG_CACHE_HOME: cacheHome } });
      expect(again).toEqual({ stdout: `${MESSAGE}\n`, stderr: '', code: 0, signal: null });
    } finally {
      rmSync(join(pkg, 'build', 'ocirun.node'), { force: true });
      rmSync(join(pkg, 'build', 'ocirun-executor'), { force: true });
      renameSync(`${prebuilt}.away`, prebuilt);
    }
  });
});
