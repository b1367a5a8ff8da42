// The built command, dist/cli/ocirun.cjs: it runs the bundle with the code cache made at build
// time, works the same when the cache is missing, corrupt or from another build (and then rewrites
// it), never prints anything about the cache, and loads no child_process, net or dgram at start-up.
import { describe, expect, it } from 'vitest';
import { useTempDirs } from './support/temp-dirs.js';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { closeSync, cpSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/** A copy of dist/cli to spoil. */
function copyCli(): string {
  const dir = tempDir();
  cpSync(DIST_CLI, dir, { recursive: true });
  return dir;
}

function ocirun(dir: string, args: string[], opts: SpawnSyncOptions = {}) {
  const r = spawnSync(process.execPath, [join(dir, 'ocirun.cjs'), ...args], { encoding: 'utf8', env: ENV, ...opts });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** A cache file's bytes and inode: both unchanged means the launcher used it and left it alone. */
function cacheSnapshot(dir: string, name = 'bundle') {
  const file = join(dir, `${name}.v8cache`);
  return { ino: statSync(file).ino, data: readFileSync(file) };
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
  it.each(spoilers)('works without usable caches (%s) and writes good ones', (_name, spoil) => {
    const dir = copyCli();
    const bundle = validBundle();
    const builds = SCRIPTS.map((name) => {
      const source = readFileSync(join(dir, `${name}.cjs`), 'utf8');
      const build = source.slice(0, source.indexOf('\n') + 1);
      spoil(join(dir, `${name}.v8cache`), build);
      return build;
    });
    const valid = { code: 0, stdout: `bundle ${bundle} is valid (0 errors, 0 warnings)\n`, stderr: '' };
    expect(ocirun(dir, ['validate', bundle])).toEqual(valid);
    // Rewritten at exit, atomically (no temp file left), for this build, and used from then on.
    expect(readdir(dir)).toEqual(FILES);
    const rewritten = SCRIPTS.map((name, i) => {
      const snapshot = cacheSnapshot(dir, name);
      expect(snapshot.data.toString('latin1', 0, builds[i].length), name).toBe(builds[i]);
      expect(snapshot.data.length).toBeGreaterThan(builds[i].length);
      return snapshot;
    });
    expect(ocirun(dir, ['validate', bundle])).toEqual(valid);
    expect(ocirun(dir, ['--version'])).toEqual({ code: 0, stdout: VERSION_TEXT, stderr: '' });
    SCRIPTS.forEach((name, i) => {
      const after = cacheSnapshot(dir, name);
      expect(after.ino, name).toBe(rewritten[i].ino);
      expect(after.data.equals(rewritten[i].data), name).toBe(true);
    });
  });

  it('run, create and exec take the container cache; spoiled, it is rewritten and the other left alone', () => {
    const dir = copyCli();
    const verbs = cacheSnapshot(dir, 'bundle');
    const container = cacheSnapshot(dir, 'bundle.container');
    const missing = join(tempDir(), 'no-bundle');
    const refused = (verb: string) => {
      const r = ocirun(dir, ['--root', join(tempDir(), 'state'), verb, '--bundle', missing, 'c1']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(missing);
    };
    refused('create');
    refused('run');
    expect(cacheSnapshot(dir, 'bundle.container')).toEqual(container);
    const source = readFileSync(join(dir, 'bundle.cjs'), 'utf8');
    const build = source.slice(0, source.indexOf('\n') + 1);
    writeFileSync(join(dir, 'bundle.container.v8cache'), build + 'garbage');
    refused('create');
    const rewritten = cacheSnapshot(dir, 'bundle.container');
    expect(rewritten.data.toString('latin1', 0, build.length)).toBe(build);
    expect(new Script(source, { filename: join(dir, 'bundle.cjs'), cachedData: rewritten.data.subarray(build.length) }).cachedDataRejected).toBe(false);
    expect(cacheSnapshot(dir, 'bundle')).toEqual(verbs);
    expect(readdir(dir)).toEqual(FILES);
    // A build that could not make it (not root): the verbs' cache serves, and the container cache is written.
    rmSync(join(dir, 'bundle.container.v8cache'));
    refused('run');
    const made = cacheSnapshot(dir, 'bundle.container');
    expect(new Script(source, { filename: join(dir, 'bundle.cjs'), cachedData: made.data.subarray(build.length) }).cachedDataRejected).toBe(false);
    expect(cacheSnapshot(dir, 'bundle')).toEqual(verbs);
  });

  it('works when the caches cannot be read or replaced', () => {
    const dir = copyCli();
    const bundle = validBundle();
    for (const [, cacheName] of CACHES) {
      rmSync(join(dir, `${cacheName}.v8cache`));
      mkdirSync(join(dir, `${cacheName}.v8cache`));
    }
    expect(ocirun(dir, ['--version'])).toEqual({ code: 0, stdout: VERSION_TEXT, stderr: '' });
    expect(ocirun(dir, ['validate', bundle])).toEqual({ code: 0, stdout: `bundle ${bundle} is valid (0 errors, 0 warnings)\n`, stderr: '' });
    expect(readdir(dir)).toEqual(FILES);
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
