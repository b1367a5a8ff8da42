#!/usr/bin/env node
'use strict';
// The ocirun command (copied to dist/cli/ocirun.cjs by scripts/bundle-cli.mjs). It runs the bundled
// CLI, dist/cli/bundle.cjs, as CommonJS compiled with the V8 code cache made at build time
// (bundle.v8cache): start-up then deserialises bytecode instead of parsing and compiling the bundle
// and the functions the verb calls. The bundle loads the schema validators (validators.cjs) the
// same way, through `load`, when a verb needs them. A cache can only make start-up faster: when it
// is missing, made for another build, or rejected by V8 (another Node version, other V8 flags),
// the script is compiled from source, and a cache of this process's compilation is written at exit
// to the user's cache directory ($XDG_CACHE_HOME/ocirun, else ~/.cache/ocirun), which later starts
// then take. The package's own files are never rewritten: npm owns them, and one installation may
// serve many users. Nothing about caches is ever printed.
const fs = require('node:fs');
const { join } = require('node:path');
const vm = require('node:vm');

// run, create and exec take the code cache made by running a container (scripts/bundle-cli.mjs);
// the other verbs the one made by running them. A word of the command line that merely looks like
// one of these verbs (a container named "run") only picks the other cache: either works.
const CONTAINER_VERBS = new Set(['run', 'create', 'exec']);

/**
 * Runs dist/cli/<name>.cjs, compiled with <cache>.v8cache when that cache was made for it, and
 * returns its exports; undefined when there is no such file. The file is a script whose value is
 * a CommonJS module's function: (exports, require, module, __filename, __dirname, __ocirunLoad).
 * The wrapper is in the file, not added here, so stack traces give the file's own lines and the
 * source is not copied once more.
 */
function load(name, cache = name) {
  const filename = join(__dirname, `${name}.cjs`);
  let source;
  try {
    // Room for the package's cache too, which is read next into the same (then touched) pages.
    // ASCII (the build checks): Latin-1 decoding is a plain copy.
    source = readFile(filename, sizeOf(join(__dirname, `${cache}.v8cache`))).toString('latin1');
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  }
  // The first line names the build (V8 itself checks only the length of the source); the cache
  // file starts with the same line.
  const build = source.slice(0, source.indexOf('\n') + 1);
  // The user's cache, written when the package's could not serve, else the package's cache asked
  // for, else (a build that could not make that one) the script's own.
  const userFile = userCacheFile(cache, build);
  const user = userFile !== undefined && fs.existsSync(userFile) ? readCache(userFile, build) : undefined;
  const asked = user ?? readCache(join(__dirname, `${cache}.v8cache`), build);
  const cachedData = asked ?? (cache === name ? undefined : readCache(join(__dirname, `${name}.v8cache`), build));
  const script = new vm.Script(source, { filename, cachedData });
  // V8 has taken what it needs of the buffer: a long call (a foreground run) does not keep it.
  scratch = undefined;
  // A cache of this compilation goes to the user's cache directory when the one asked for is
  // missing or unusable, only under default options: V8 rejects a cache made under other flags.
  const usable = asked !== undefined && !script.cachedDataRejected;
  if (!usable && userFile !== undefined && process.execArgv.length === 0 && !process.env.NODE_OPTIONS) {
    process.once('exit', () => rewrite(userFile, build, script, cache));
  }
  const mod = { exports: {}, filename, id: filename, loaded: false };
  // The scripts sit beside this file, so this file's own require resolves as theirs would
  // (node:module's createRequire costs ~0.5 ms to load).
  script.runInThisContext().call(mod.exports, mod.exports, require, mod, filename, __dirname, load);
  mod.loaded = true;
  return mod.exports;
}

let scratch;
/**
 * The file's bytes, in a buffer that the next call reuses when they fit (`room`: make it this
 * large at least). This VM-bound process pays for every page it touches first (~15 us a page on
 * the reference machine): the script's text is copied out of the buffer into a string, and the
 * code cache read after it then lands in pages already touched, where fs.readFileSync takes
 * fresh ones for each file.
 */
function readFile(file, room = 0) {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (!scratch || scratch.length < size) scratch = Buffer.allocUnsafeSlow(Math.max(size, room));
    let done = 0;
    for (let n; done < size && (n = fs.readSync(fd, scratch, done, size - done, done)) > 0; ) done += n;
    return scratch.subarray(0, done);
  } finally {
    fs.closeSync(fd);
  }
}

/** The file's size, or 0 when it cannot be known (the read then says why, or the cache is skipped). */
function sizeOf(file) {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** The V8 data of a cache file made for this build (its first line), or undefined. */
function readCache(file, build) {
  if (!build.startsWith('//ocirun-build ')) return undefined;
  try {
    const data = readFile(file);
    if (data.length > build.length && data.toString('latin1', 0, build.length) === build) return data.subarray(build.length);
  } catch {
    // no cache: compile from source
  }
  return undefined;
}

/**
 * The user's cache file for a cache of this build and Node version, or undefined (no cache
 * directory: neither an absolute XDG_CACHE_HOME nor HOME).
 */
function userCacheFile(cache, build) {
  if (!build.startsWith('//ocirun-build ')) return undefined;
  const { XDG_CACHE_HOME: xdg, HOME: home } = process.env;
  const dir = xdg && xdg.startsWith('/') ? xdg : home && home.startsWith('/') ? join(home, '.cache') : undefined;
  return dir && join(dir, 'ocirun', `${cache}.${build.slice(15, 31)}.node-${process.version}.v8cache`);
}

/** Replaces the cache atomically with what this process compiled; silently does nothing if it cannot. */
function rewrite(cacheFile, build, script, cache) {
  const tmp = `${cacheFile}.${process.pid}`;
  let created = false;
  try {
    fs.mkdirSync(join(cacheFile, '..'), { recursive: true, mode: 0o700 });
    // 'wx': a file of that name is another ocirun's (same pid, another pid namespace), not ours to touch.
    const fd = fs.openSync(tmp, 'wx', 0o600);
    created = true;
    try {
      fs.writeSync(fd, Buffer.concat([Buffer.from(build, 'latin1'), script.createCachedData()]));
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, cacheFile);
  } catch {
    if (created) removeQuietly(tmp);
    return;
  }
  try {
    prune(cacheFile, cache);
  } catch {
    // a directory it cannot list: the next write prunes
  }
}

/** How many caches of one script the user's cache directory keeps (builds and Node versions in turn). */
const KEEP = 4;

/** A temporary file (`<cache file>.<pid>`) older than this was left by an ocirun killed while writing it. */
const STALE_TMP_MS = 10 * 60 * 1000;

/**
 * Every build and Node version a cache is written for leaves a file (a few hundred KB): of the
 * caches of `cache`, the one just written (`written`) and the KEEP - 1 others written last stay,
 * so the directory does not grow with every upgrade, while a few installations or Node versions
 * used in turn each keep theirs. Temporary files of its that an ocirun killed mid-write left go
 * too, once old enough not to be in writing. The names are userCacheFile's, with rewrite's suffix.
 */
function prune(written, cache) {
  const dir = join(written, '..');
  const mine = /^([0-9a-f]{16})\.node-v[0-9A-Za-z.+-]+\.v8cache(\.[0-9]+)?$/;
  const files = fs
    .readdirSync(dir)
    .map((f) => ({ f, m: f.startsWith(`${cache}.`) ? mine.exec(f.slice(cache.length + 1)) : null }))
    .filter(({ m }) => m)
    .map(({ f, m }) => ({ file: join(dir, f), tmp: m[2] !== undefined, at: fs.statSync(join(dir, f), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .filter(({ file }) => file !== written)
    .sort((a, b) => b.at - a.at);
  for (const { file } of files.filter((x) => !x.tmp).slice(KEEP - 1)) removeQuietly(file);
  for (const { file, tmp, at } of files) if (tmp && Date.now() - at > STALE_TMP_MS) removeQuietly(file);
}

/** unlink(2), whatever happens: gone already (another ocirun pruning), or not a file. */
function removeQuietly(file) {
  try {
    fs.unlinkSync(file);
  } catch {
    // left as it is
  }
}

const argv = process.argv.slice(2);
const cli = load('bundle', argv.some((word) => CONTAINER_VERBS.has(word)) ? 'bundle.container' : 'bundle');
if (!cli) throw new Error(`${join(__dirname, 'bundle.cjs')} is missing: run \`npm run build\``);
cli.main(argv);
