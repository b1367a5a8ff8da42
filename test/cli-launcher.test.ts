// The built command, dist/cli/ocirun.cjs: it runs the bundle with the code cache made at build
// time, works the same when the cache is missing, corrupt or from another build (and then writes
// one to the user's cache directory, never into the package), never prints anything about the
// cache, and loads no child_process, net or dgram at start-up.
import { beforeEach, describe, expect, it } from 'vitest';
import { useTempDirs } from './support/temp-dirs.js';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { SourceMap } from 'node:module';
import { SPEC_VERSION, VERSION } from '../lib/version.js';

const DIST_CLI = join(import.meta.dirname, '..', 'dist', 'cli');
const VERSION_TEXT = `ocirun version ${VERSION}\nspec: ${SPEC_VERSION}\n`;
const SCRIPTS = ['bundle', 'validators'];
const FILES = ['bundle.cjs', 'bundle.cjs.map', 'bundle.container.v8cache', 'bundle.v8cache', 'ocirun.cjs', 'validators.cjs', 'validators.v8cache'];
/** [script, cache]: the container verbs' cache is a second cache of the bundle. */
const CACHES = [['bundle', 'bundle'], ['bundle', 'bundle.container'], ['validators', 'validators']] as const;
// Without NODE_OPTIONS, as a user would run it (the launcher leaves the cache alone under options).
const { NODE_OPTIONS: _, ...ENV } = process.env;

const tempDir = useTempDirs('ocirun-launcher-');
/** Each test's XDG_CACHE_HOME, where the launcher writes the caches the package could not serve. */
let cacheHome = '';
beforeEach(() => {
  cacheHome = tempDir('ocirun-launcher-cache-');
});

/** A copy of dist/cli to spoil. */
function copyCli(): string {
  const dir = tempDir();
  cpSync(DIST_CLI, dir, { recursive: true });
  return dir;
}

function ocirun(dir: string, args: string[], opts: SpawnSyncOptions = {}) {
  const r = spawnSync(process.execPath, [join(dir, 'ocirun.cjs'), ...args], { encoding: 'utf8', env: { ...ENV, XDG_CACHE_HOME: cacheHome }, ...opts });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** A cache file's bytes and inode: both unchanged means the launcher used it and left it alone. */
function cacheSnapshot(dir: string, name = 'bundle') {
  const file = join(dir, `${name}.v8cache`);
  return { ino: statSync(file).ino, data: readFileSync(file) };
}

/** Every file of a directory with its inode and a digest of its bytes: the package's files as a run left them. */
function dirSnapshot(dir: string) {
  return readdir(dir).map((name) => {
    const file = join(dir, name);
    const st = statSync(file);
    return { name, ino: st.ino, sha256: st.isFile() ? createHash('sha256').update(readFileSync(file)).digest('hex') : null };
  });
}

/** The caches written to the user's cache directory: name (without build and Node version) → file. */
function userCaches(home = cacheHome): Record<string, string> {
  const dir = join(home, 'ocirun');
  let names: string[] = [];
  try {
    names = readdir(dir);
  } catch {
    // none written
  }
  return Object.fromEntries(
    names.map((f) => {
      const m = /^(bundle|bundle\.container|validators)\.[0-9a-f]{16}\.node-v[\d.]+\.v8cache$/.exec(f);
      expect(m, f).not.toBeNull();
      return [m![1], join(dir, f)];
    }),
  );
}

/** Checks that `file` holds a cache of `script` (dist/cli/<script>.cjs in `dir`) that V8 accepts. */
function expectGoodCache(dir: string, script: string, file: string) {
  const source = readFileSync(join(dir, `${script}.cjs`), 'utf8');
  const build = source.slice(0, source.indexOf('\n') + 1);
  const data = readFileSync(file);
  expect(data.toString('latin1', 0, build.length), file).toBe(build);
  expect(new Script(source, { filename: join(dir, `${script}.cjs`), cachedData: data.subarray(build.length) }).cachedDataRejected, file).toBe(false);
}

/** A bundle directory with a valid config.json, for `validate`. */
function validBundle(): string {
  const dir = tempDir('ocirun-launcher-bundle-');
  mkdirSync(join(dir, 'rootfs'));
  expect(ocirun(DIST_CLI, ['spec', '--bundle', dir]).code).toBe(0);
  return dir;
}

describe('the ocirun launcher', () => {
  it('is built: executable, with caches for these scripts that V8 accepts', () => {
    expect(statSync(join(DIST_CLI, 'ocirun.cjs')).mode & 0o111).toBe(0o111);
    expect(readFileSync(join(DIST_CLI, 'ocirun.cjs'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    expect(readdir(DIST_CLI)).toEqual(FILES);
    for (const [name, cacheName] of CACHES) {
      const source = readFileSync(join(DIST_CLI, `${name}.cjs`), 'utf8');
      const build = source.slice(0, source.indexOf('\n') + 1);
      expect(build).toMatch(/^\/\/ocirun-build [0-9a-f]{48}\n$/);
      const cache = readFileSync(join(DIST_CLI, `${cacheName}.v8cache`));
      expect(cache.toString('latin1', 0, build.length)).toBe(build);
      const script = new Script(source, { filename: join(DIST_CLI, `${name}.cjs`), cachedData: cache.subarray(build.length) });
      expect(script.cachedDataRejected, cacheName).toBe(false);
    }
  });

  it('runs --version and validate with the caches, and leaves them as they are', () => {
    const dir = copyCli();
    const bundle = validBundle();
    const before = SCRIPTS.map((name) => cacheSnapshot(dir, name));
    expect(ocirun(dir, ['--version'])).toEqual({ code: 0, stdout: VERSION_TEXT, stderr: '' });
    expect(ocirun(dir, ['validate', bundle])).toEqual({ code: 0, stdout: `bundle ${bundle} is valid (0 errors, 0 warnings)\n`, stderr: '' });
    SCRIPTS.forEach((name, i) => {
      const after = cacheSnapshot(dir, name);
      expect(after.ino, name).toBe(before[i].ino);
      expect(after.data.equals(before[i].data), name).toBe(true);
    });
    expect(userCaches()).toEqual({});
  });

  const spoilers: [string, (file: string, build: string) => void][] = [
    ['missing', (file) => rmSync(file)],
    ['empty', (file) => writeFileSync(file, '')],
    ['garbage', (file) => writeFileSync(file, Buffer.alloc(300_000, 0x5a))],
    ['truncated', (file) => writeFileSync(file, readFileSync(file).subarray(0, 20_000))],
    ['for another build', (file, build) => writeFileSync(file, Buffer.concat([Buffer.from(build.replace(/[0-9a-f](?=\n)/, (c) => (c === '0' ? '1' : '0'))), readFileSync(file).subarray(build.length)]))],
    ['V8 data without the build line', (file, build) => writeFileSync(file, readFileSync(file).subarray(build.length))],
    ['V8 data that V8 rejects', (file, build) => {
      // Right build line, but V8's header says another V8 version: cachedDataRejected.
      const data = readFileSync(file);
      data.writeUInt32LE(data.readUInt32LE(build.length + 4) ^ 0xffff, build.length + 4);
      writeFileSync(file, data);
    }],
  ];
  it.each(spoilers)('works without usable caches (%s), writes good ones to the user cache directory and leaves the package alone', (_name, spoil) => {
    const dir = copyCli();
    const bundle = validBundle();
    for (const name of SCRIPTS) {
      const source = readFileSync(join(dir, `${name}.cjs`), 'utf8');
      spoil(join(dir, `${name}.v8cache`), source.slice(0, source.indexOf('\n') + 1));
    }
    const spoiled = dirSnapshot(dir);
    const valid = { code: 0, stdout: `bundle ${bundle} is valid (0 errors, 0 warnings)\n`, stderr: '' };
    expect(ocirun(dir, ['validate', bundle])).toEqual(valid);
    expect(dirSnapshot(dir)).toEqual(spoiled);
    // Written at exit, atomically (no temp file left), for this build, and used from then on.
    const written = userCaches();
    expect(Object.keys(written).sort()).toEqual(SCRIPTS);
    for (const name of SCRIPTS) expectGoodCache(dir, name, written[name]);
    const snapshots = SCRIPTS.map((name) => ({ ino: statSync(written[name]).ino, data: readFileSync(written[name]) }));
    expect(ocirun(dir, ['validate', bundle])).toEqual(valid);
    expect(ocirun(dir, ['--version'])).toEqual({ code: 0, stdout: VERSION_TEXT, stderr: '' });
    expect(userCaches()).toEqual(written);
    SCRIPTS.forEach((name, i) => {
      expect(statSync(written[name]).ino, name).toBe(snapshots[i].ino);
      expect(readFileSync(written[name]).equals(snapshots[i].data), name).toBe(true);
    });
    expect(dirSnapshot(dir)).toEqual(spoiled);
  });

  it('without XDG_CACHE_HOME, writes to ~/.cache/ocirun; with neither it nor HOME, nowhere', () => {
    const dir = copyCli();
    rmSync(join(dir, 'bundle.v8cache'));
    const home = tempDir('ocirun-launcher-home-');
    const { XDG_CACHE_HOME: _x, HOME: _h, ...bare } = ENV;
    expect(ocirun(dir, ['--version'], { env: { ...bare, HOME: home, XDG_CACHE_HOME: 'relative/is/ignored' } }).stdout).toBe(VERSION_TEXT);
    expectGoodCache(dir, 'bundle', userCaches(join(home, '.cache')).bundle);
    const before = dirSnapshot(dir);
    expect(ocirun(dir, ['--version'], { env: bare })).toEqual({ code: 0, stdout: VERSION_TEXT, stderr: '' });
    expect(dirSnapshot(dir)).toEqual(before);
  });

  it('run, create and exec take the container cache; unusable, a user cache is written and the package left alone', () => {
    const dir = copyCli();
    const pristine = dirSnapshot(dir);
    const missing = join(tempDir(), 'no-bundle');
    const refused = (verb: string) => {
      const r = ocirun(dir, ['--root', join(tempDir(), 'state'), verb, '--bundle', missing, 'c1']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(missing);
    };
    refused('run');
    expect(dirSnapshot(dir)).toEqual(pristine);
    expect(userCaches()).toEqual({});
    const source = readFileSync(join(dir, 'bundle.cjs'), 'utf8');
    const build = source.slice(0, source.indexOf('\n') + 1);
    writeFileSync(join(dir, 'bundle.container.v8cache'), build + 'garbage');
    const spoiled = dirSnapshot(dir);
    refused('create');
    expect(Object.keys(userCaches())).toEqual(['bundle.container']);
    expectGoodCache(dir, 'bundle', userCaches()['bundle.container']);
    expect(dirSnapshot(dir)).toEqual(spoiled);
    // A build that could not make it (not root): the verbs' cache serves, and the container cache is written.
    rmSync(join(cacheHome, 'ocirun'), { recursive: true });
    rmSync(join(dir, 'bundle.container.v8cache'));
    const without = dirSnapshot(dir);
    refused('run');
    expectGoodCache(dir, 'bundle', userCaches()['bundle.container']);
    expect(dirSnapshot(dir)).toEqual(without);
  });

  it('keeps the four caches of a script written last in the user cache directory, and removes its stale temporary files', () => {
    const dir = copyCli();
    const bundle = validBundle();
    const user = join(cacheHome, 'ocirun');
    mkdirSync(user, { recursive: true });
    // Caches other builds and Node versions left, oldest first, and files that are not its caches.
    const old = (name: string, i: number) => {
      const file = join(user, name);
      writeFileSync(file, 'old');
      utimesSync(file, 1_000_000 + i, 1_000_000 + i);
      return name;
    };
    const left = [0, 1, 2, 3, 4, 5].map((i) => old(`validators.${String(i).repeat(16)}.node-v18.0.${i}.v8cache`, i));
    const others = [old('bundle.container.aaaaaaaaaaaaaaaa.node-v20.0.0.v8cache', 0), old('validators.notes.txt', 0), old('validators.0123.node-v20.0.0.v8cache', 0)];
    // A temporary file an ocirun killed mid-write left long ago goes; one written just now (another
    // ocirun writing it at this moment) stays.
    const staleTmp = old(`validators.${'7'.repeat(16)}.node-v20.0.0.v8cache.4242`, 0);
    const freshTmp = `validators.${'8'.repeat(16)}.node-v20.0.0.v8cache.4343`;
    writeFileSync(join(user, freshTmp), 'writing');
    others.push(freshTmp);
    rmSync(join(dir, 'validators.v8cache'));
    expect(ocirun(dir, ['validate', bundle]).code).toBe(0);
    const now = readdirSync(user);
    expect(now).not.toContain(staleTmp);
    const written = now.filter((f) => f.startsWith('validators.') && !left.includes(f) && !others.includes(f));
    expect(written).toHaveLength(1);
    // The one written and the three newest of the old ones; the rest of the directory untouched.
    expect(now.sort()).toEqual([...written, ...left.slice(3), ...others].sort());
  });

  it('keeps the cache it has just written even when older-built caches look newer (a clock set back)', () => {
    const dir = copyCli();
    const bundle = validBundle();
    const user = join(cacheHome, 'ocirun');
    mkdirSync(user, { recursive: true });
    const future = Date.now() / 1000 + 86_400;
    const ahead = [0, 1, 2, 3].map((i) => {
      const name = `validators.${String(i + 1).repeat(16)}.node-v18.0.${i}.v8cache`;
      writeFileSync(join(user, name), 'old');
      utimesSync(join(user, name), future + i, future + i);
      return name;
    });
    rmSync(join(dir, 'validators.v8cache'));
    expect(ocirun(dir, ['validate', bundle]).code).toBe(0);
    const now = readdirSync(user);
    const written = now.filter((f) => f.startsWith('validators.') && !ahead.includes(f));
    expect(written).toHaveLength(1);
    // The one written and the three of the others written last (by their clock).
    expect(now.sort()).toEqual([...written, ...ahead.slice(1)].sort());
  });

  it('is built without writing to the user cache directory, which would shadow the package cache for this build', () => {
    // The container cache is made after a run of ocirun.cjs (its plan made), when the package has
    // no container cache yet (as in a fresh build): that run must not leave one in the user's
    // cache directory. Made as the build makes it, in a copy of dist/cli inside the package (a
    // run needs the package's native parts); dist/cli itself is never touched.
    const home = tempDir('ocirun-launcher-home-');
    const dir = join(DIST_CLI, '..', `cli-cache-test-${process.pid}`);
    cpSync(DIST_CLI, dir, { recursive: true });
    try {
      rmSync(join(dir, 'bundle.container.v8cache'));
      const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'scripts', 'bundle-cli.mjs'), '--make-cache', 'container', '--out', dir], {
        encoding: 'utf8',
        env: { ...ENV, HOME: home, XDG_CACHE_HOME: cacheHome },
      });
      expect(r.status, r.stderr).toBe(0);
      expect(userCaches()).toEqual({});
      expect(readdir(home)).toEqual([]);
      expectGoodCache(dir, 'bundle', join(dir, 'bundle.container.v8cache'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('works when the caches cannot be read or replaced', () => {
    const dir = copyCli();
    const bundle = validBundle();
    for (const [, cacheName] of CACHES) {
      rmSync(join(dir, `${cacheName}.v8cache`));
      mkdirSync(join(dir, `${cacheName}.v8cache`));
    }
    // Nor can the user's cache directory be made: XDG_CACHE_HOME/ocirun is a file.
    writeFileSync(join(cacheHome, 'ocirun'), '');
    const before = dirSnapshot(dir);
    expect(ocirun(dir, ['--version'])).toEqual({ code: 0, stdout: VERSION_TEXT, stderr: '' });
    expect(ocirun(dir, ['validate', bundle])).toEqual({ code: 0, stdout: `bundle ${bundle} is valid (0 errors, 0 warnings)\n`, stderr: '' });
    expect(dirSnapshot(dir)).toEqual(before);
    expect(readdir(cacheHome)).toEqual(['ocirun']);
    expect(readFileSync(join(cacheHome, 'ocirun'), 'utf8')).toBe('');
  });

  it('ends with _exit(2) once a verb returns: its code and output kept, exit listeners run, no teardown', () => {
    // A preloaded script reports the process events: Node's own ending would emit beforeExit
    // (the event loop ran dry) before exit; _exit right after the verb leaves only exit.
    const hook = join(tempDir(), 'events.cjs');
    writeFileSync(hook, `const { writeSync } = require('node:fs');
process.on('beforeExit', () => writeSync(2, 'event beforeExit\\n'));
process.on('exit', (code) => writeSync(2, 'event exit ' + code + '\\n'));\n`);
    const env = { ...ENV, NODE_OPTIONS: `--require ${hook}` };
    const features = ocirun(DIST_CLI, ['features'], { env });
    expect(features.code).toBe(0);
    expect(JSON.parse(features.stdout).ociVersionMax).toBe(SPEC_VERSION);
    expect(features.stderr).toBe('event exit 0\n');
    const missing = ocirun(DIST_CLI, ['--root', tempDir(), 'state', 'c1'], { env });
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'ocirun: container does not exist: c1\nevent exit 1\n' });
  });

  it('exits the ordinary way when Node has a profile to write at exit', () => {
    const dir = tempDir();
    const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, join(DIST_CLI, 'ocirun.cjs'), '--version'], { encoding: 'utf8', env: ENV });
    expect(r.stdout).toBe(VERSION_TEXT);
    expect(readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))).toHaveLength(1);
  });

  it('says "does not exist" only when the container does not: a state root it cannot use is an error', () => {
    // containerd and podman take "does not exist" for a container already gone.
    expect(ocirun(DIST_CLI, ['--root', tempDir(), 'state', 'c1'])).toEqual({ code: 1, stdout: '', stderr: 'ocirun: container does not exist: c1\n' });
    for (const verb of ['state', 'delete']) {
      const r = ocirun(DIST_CLI, ['--root', '/dev/null/x', verb, 'c1']);
      expect(r.code, verb).toBe(1);
      expect(r.stderr, verb).toMatch(/not a directory/);
      expect(r.stderr, verb).not.toMatch(/does not exist/);
    }
  });

  it('keeps stack traces pointing into bundle.cjs, which bundle.cjs.map maps back to the sources', () => {
    // A state.json that cannot be read (a directory): an unexpected error, printed with its stack.
    const root = tempDir();
    mkdirSync(join(root, 'c1', 'state.json'), { recursive: true });
    const r = ocirun(DIST_CLI, ['--debug', '--root', root, 'state', 'c1']);
    expect(r.code).toBe(1);
    const at = /\(([^()]*\/dist\/cli\/bundle\.cjs):(\d+):(\d+)\)/.exec(r.stderr);
    expect(at, r.stderr).not.toBeNull();
    expect(readFileSync(at![1], 'utf8').split('\n').length).toBeGreaterThan(Number(at![2]));
    // The first frame in the bundle is the state store reading state.json.
    const map = new SourceMap(JSON.parse(readFileSync(join(DIST_CLI, 'bundle.cjs.map'), 'utf8')));
    const entry = map.findEntry(Number(at![2]) - 1, Number(at![3]) - 1) as { originalSource?: string };
    expect(entry.originalSource).toMatch(/lib\/state\/store\.ts$/);
  });

  it.each([[['--version']], [['--root', '/nonexistent-ocirun-root', 'state', 'c1']]])('%j loads no child_process, net or dgram', (args) => {
    const dir = tempDir();
    const list = join(dir, 'modules.json');
    const preload = join(dir, 'preload.cjs');
    writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(process.moduleLoadList)));\n`);
    // Output to files: pipes would make Node itself load net for process.stdout.
    const out = openSync(join(dir, 'out'), 'w');
    try {
      spawnSync(process.execPath, ['-r', preload, join(DIST_CLI, 'ocirun.cjs'), ...args], { stdio: ['ignore', out, out], env: ENV });
    } finally {
      closeSync(out);
    }
    const loaded: string[] = JSON.parse(readFileSync(list, 'utf8'));
    expect(loaded.length).toBeGreaterThan(0);
    expect(loaded.filter((m) => /^NativeModule (child_process|net|dgram)$/.test(m))).toEqual([]);
  });
});

const readdir = (dir: string) => readdirSync(dir).sort();
