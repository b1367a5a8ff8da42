#!/usr/bin/env node
'use strict';
// The ocirun command (copied to dist/cli/ocirun.cjs by scripts/bundle-cli.mjs). It runs the bundled
// CLI, dist/cli/bundle.cjs, as CommonJS compiled with the V8 code cache made at build time
// (bundle.v8cache): start-up then deserialises bytecode instead of parsing and compiling the bundle
// and the functions the verb calls. The bundle loads the schema validators (validators.cjs) the
// same way, through `load`, when a verb needs them. A cache can only make start-up faster: when it
// is missing, made for another build, or rejected by V8 (another Node version, other V8 flags),
// the script is compiled from source, and the cache is rewritten at exit if the directory is
// writable. Nothing about caches is ever printed.
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
    source = fs.readFileSync(filename, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  }
  // The first line names the build (V8 itself checks only the length of the source); the cache
  // file starts with the same line.
  const build = source.slice(0, source.indexOf('\n') + 1);
  const cacheFile = join(__dirname, `${cache}.v8cache`);
  // The cache asked for, else (a build that could not make it) the script's own one.
  const asked = readCache(cacheFile, build);
  const cachedData = asked ?? (cache === name ? undefined : readCache(join(__dirname, `${name}.v8cache`), build));
  const script = new vm.Script(source, { filename, cachedData });
  // The cache asked for is rewritten when missing or unusable, only under default options: V8
  // rejects a cache made under other flags.
  const usable = asked !== undefined && !script.cachedDataRejected;
  if (!usable && build.startsWith('//ocirun-build ') && process.execArgv.length === 0 && !process.env.NODE_OPTIONS) {
    process.once('exit', () => rewrite(cacheFile, build, script));
  }
  const mod = { exports: {}, filename, id: filename, loaded: false };
  // The scripts sit beside this file, so this file's own require resolves as theirs would
  // (node:module's createRequire costs ~0.5 ms to load).
  script.runInThisContext().call(mod.exports, mod.exports, require, mod, filename, __dirname, load);
  mod.loaded = true;
  return mod.exports;
}

/** The V8 data of a cache file made for this build (its first line), or undefined. */
function readCache(file, build) {
  if (!build.startsWith('//ocirun-build ')) return undefined;
  try {
    const data = fs.readFileSync(file);
    if (data.length > build.length && data.toString('latin1', 0, build.length) === build) return data.subarray(build.length);
  } catch {
    // no cache: compile from source
  }
  return undefined;
}

/** Replaces the cache atomically with what this process compiled; silently does nothing if it cannot. */
function rewrite(cacheFile, build, script) {
  const tmp = `${cacheFile}.${process.pid}`;
  try {
    fs.accessSync(__dirname, fs.constants.W_OK);
    fs.writeFileSync(tmp, Buffer.concat([Buffer.from(build, 'latin1'), script.createCachedData()]), { flag: 'wx', mode: 0o644 });
    fs.renameSync(tmp, cacheFile);
  } catch {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // nothing was written
    }
  }
}

const argv = process.argv.slice(2);
const cli = load('bundle', argv.some((word) => CONTAINER_VERBS.has(word)) ? 'bundle.container' : 'bundle');
if (!cli) throw new Error(`${join(__dirname, 'bundle.cjs')} is missing: run \`npm run build\``);
cli.main(argv);
