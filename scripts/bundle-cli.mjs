// Builds the ocirun command in dist/cli/ (the rest of dist/ stays for library users):
//   ocirun.cjs         the launcher (a copy of lib/cli/ocirun.cjs)
//   bundle.cjs         the CLI and the library folded into one CommonJS script (koffi stays
//                      external: it is a native module, loaded for libseccomp only)
//   validators.cjs     build/validators.cjs, minified, loaded when a verb validates a config
//   *.v8cache          V8's code cache for each script, made by a child node process
// Why: the CLI starts on every call. Loading one ES module bundle cost the ESM loader, compiling
// ~300 KB of source, and then compiling every function a verb calls; loaded as CommonJS through
// vm.Script with a code cache, start-up deserialises bytecode instead. On the reference machine
// (2 cores, Node 20), with the lazy builtins below and the CLI's write(2) output, `--version` went
// from +40 ms over `node -e 0` to +12 ms, `state <missing>` from +62 ms to +21 ms.
import { build, transform } from 'esbuild';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// `--make-cache FAMILY --out DIR`: the caches of a copy of dist/cli (a test's), left alone otherwise.
const outAt = process.argv.indexOf('--out');
const out = outAt > 0 ? resolve(process.argv[outAt + 1]) : join(root, 'dist', 'cli');
// Each script in dist/cli is the function of a CommonJS module, as the launcher calls it.
const OPEN = "(function (exports, require, module, __filename, __dirname, __ocirunLoad) {'use strict';";
const CLOSE = '})';

if (process.argv[2] === '--make-cache') await makeCaches(process.argv[3]);
else await bundle();

async function bundle() {
  // Builtins that only some verbs use are required on first use, not when the bundle loads:
  // lib/protocol/init-channel.ts needs node:net in an event-driven runtime only (the CLI waits in poll(2)),
  // `ps` alone runs a child process (child_process pulls in net, dgram and streams, ~8 ms),
  // node:tty (net and streams again) serves a terminal's relay only, and node:os (~0.5 ms) and
  // node:module serve error paths. Each gets a module whose exports are
  // getters that require the real one.
  const lazyBuiltins = {
    name: 'lazy-builtins',
    setup(b) {
      b.onResolve({ filter: /^(node:)?(child_process|net|module|os|tty)$/ }, (args) =>
        args.namespace === 'lazy-builtin' ? { path: args.path, external: true } : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' },
      );
      b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
        loader: 'js',
        contents:
          `let m;\nconst load = () => (m ??= require('node:${args.path}'));\n` +
          `for (const key of ${JSON.stringify(Object.keys(require(`node:${args.path}`)))}) ` +
          'Object.defineProperty(module.exports, key, { get: () => load()[key], enumerable: true });\n',
      }));
    },
  };
  // The validators come from the launcher's loader, with their own code cache (see the module).
  const bundledValidators = {
    name: 'bundled-validators',
    setup(b) {
      b.onResolve({ filter: /^\.\/bundled\.js$/ }, (args) =>
        args.importer === join(root, 'lib', 'validate', 'validators.ts') ? { path: join(root, 'lib', 'cli', 'bundled-validators.ts') } : undefined,
      );
    },
  };
  const result = await build({
    entryPoints: [join(root, 'lib', 'cli', 'main.ts')],
    bundle: true,
    write: false,
    outfile: join(out, 'bundle.cjs'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['koffi'],
    plugins: [lazyBuiltins, bundledValidators],
    // The library finds koffi and build/ (the executor, the addon) from its own URL; in the bundle that is bundle.cjs's,
    // computed when first asked for (most verbs never do).
    define: { 'import.meta.url': '__ocirunModule.url', 'import.meta.filename': '__filename' },
    // The launcher's module function is part of the file (see lib/cli/ocirun.cjs). 'use strict'
    // first: the library is ES modules, strict code, and esbuild's own directive would come after
    // this banner, where it is no directive.
    banner: { js: `${OPEN}\nconst __ocirunModule = { get url() { return require('node:url').pathToFileURL(__filename).href; } };` },
    footer: { js: CLOSE },
    // Every byte of source is read and kept on each start: minifying whitespace saved 1.5 to 3 ms
    // per start, identifiers another ~0.7 (200 KB became 150 KB). Stack traces then name minified
    // functions; bundle.cjs.map (never loaded by the CLI) maps them back to the sources.
    minifySyntax: true,
    minifyWhitespace: true,
    minifyIdentifiers: true,
    sourcemap: 'external',
    logLevel: 'warning',
  });
  const text = result.outputFiles.find((f) => f.path.endsWith('.cjs')).text;
  const map = JSON.parse(result.outputFiles.find((f) => f.path.endsWith('.map')).text);
  if (!text.includes('__ocirunLoad("validators")')) throw new Error('bundle-cli: the validators loader was not substituted');
  // A vm.Script has no module loader behind it: import() would throw at run time.
  if (/\bimport\(/.test(text)) throw new Error('bundle-cli: the bundle calls import(), which the launcher cannot serve');
  // Generated code, whose names nobody reads: fully minified, 270 KB become 200 KB (~1.4 ms less).
  const validators = await transform(readFileSync(join(root, 'build', 'validators.cjs'), 'utf8'), { minify: true, format: 'cjs', platform: 'node', target: 'node20' });
  const scripts = {
    bundle: text,
    validators: `${OPEN}\n${validators.code}${CLOSE}`,
  };
  // First line of each script: the build's id, which its cache file repeats (V8 itself checks only
  // the length of the source). 64 bytes keep the cache data that follows it 8-byte aligned.
  // The launcher decodes the scripts as Latin-1, a copy byte for byte (UTF-8 decoding cost ~0.5 ms a
  // start): a byte above 127 would become another character.
  for (const [name, code] of Object.entries(scripts)) {
    const at = code.search(/[^\x00-\x7f]/);
    if (at >= 0) throw new Error(`bundle-cli: ${name}.cjs must be ASCII; found ${JSON.stringify(code.slice(Math.max(0, at - 40), at + 10))} (write the character as an escape in the source)`);
  }
  const hash = createHash('sha256');
  for (const code of Object.values(scripts)) hash.update(code).update('\0');
  const id = `//ocirun-build ${hash.digest('hex').slice(0, 48)}\n`;

  mkdirSync(out, { recursive: true });
  // The map describes esbuild's output; bundle.cjs has the build line above it.
  map.mappings = ';' + map.mappings;
  map.file = 'bundle.cjs';
  writeFileSync(join(out, 'bundle.cjs.map'), JSON.stringify(map));
  for (const [name, code] of Object.entries(scripts)) {
    for (const family of ['', '.container']) rmSync(join(out, `${name}${family}.v8cache`), { force: true });
    writeFileSync(join(out, `${name}.cjs`), id + code);
  }
  copyFileSync(join(root, 'lib', 'cli', 'ocirun.cjs'), join(out, 'ocirun.cjs'));
  chmodSync(join(out, 'ocirun.cjs'), 0o755);

  // A child process with default flags and environment: V8 rejects a cache made under other flags.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  for (const family of ['verbs', 'container']) {
    const res = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--make-cache', family], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // The CLI works without caches; say so, but do not fail the build.
    if (res.status !== 0) console.warn(`bundle-cli: no ${family} code cache made (${res.error?.message ?? `exit ${res.status}`})\n${res.stderr}`);
  }
}

/**
 * Makes the code caches of one family. A cache made right after compiling holds little more than
 * top-level code, since V8 compiles functions when first called; so the scripts first run verbs,
 * and the caches then hold every function those calls compiled.
 *   verbs      bundle.v8cache and validators.v8cache: the verbs that need neither root nor a
 *              container (the CLI, the state store, bundle loading and config validation).
 *              Measured per start against that (launcher to exit, medians): a top-level-only cache
 *              up to +2 ms for --version, +2.5 ms for state, +6 ms for list, +8 ms for validate;
 *              an eager cache (--no-lazy, every function) +3 to +8 ms, its deserialisation costing
 *              more than the compiling it saves.
 *   container  bundle.container.v8cache, which the launcher takes for run, create and exec: a run
 *              of a container with a cached plan (see containerRun). One cache with both cost
 *              --version and state ~1.5 ms each (a bigger cache to deserialise).
 */
async function makeCaches(family) {
  const vm = await import('node:vm');
  const v8 = await import('node:v8');
  // Bytecode of a function not used for a while can be dropped at a GC; not before it is cached.
  v8.setFlagsFromString('--no-flush-bytecode');
  const scripts = {};
  const compile = (name) => {
    const filename = join(out, `${name}.cjs`);
    if (!scripts[name]) {
      const source = readFileSync(filename, 'utf8');
      scripts[name] = { filename, source, script: new vm.Script(source, { filename }) };
    }
    return scripts[name];
  };
  const load = (name) => {
    const { filename, script } = compile(name);
    // As the launcher runs it.
    const mod = { exports: {} };
    script.runInThisContext().call(mod.exports, mod.exports, createRequire(filename), mod, filename, out, load);
    return mod.exports;
  };
  const work = family === 'container' ? containerRun() : verbRuns();
  // No container run (not root, or it failed): no container cache. The launcher then serves run,
  // create and exec from the verbs' cache and writes a container cache to the user's cache
  // directory at the first run; a cache of top-level code only would have been taken as good and
  // kept (+2 ms a start and more).
  if (!work.runs.length) {
    rmSync(work.tmp, { recursive: true, force: true });
    console.warn(`bundle-cli: no ${family} runs, no ${family} code cache`);
    return;
  }
  await exercise(() => load('bundle'), work);
  // V8 stamps a cache with a hash of its flags and rejects it under others: back to the defaults.
  v8.setFlagsFromString('--flush-bytecode');
  for (const [name, { filename, source, script }] of Object.entries(scripts)) {
    // The container family caches the bundle only (a cached plan loads no validators).
    if (family === 'container' && name !== 'bundle') continue;
    const data = script.createCachedData();
    if (new vm.Script(source, { filename, cachedData: data }).cachedDataRejected) throw new Error(`V8 rejected the code cache it just made for ${name}`);
    const cacheFile = join(out, `${name}${family === 'container' ? '.container' : ''}.v8cache`);
    const tmp = `${cacheFile}.${process.pid}`;
    writeFileSync(tmp, Buffer.concat([Buffer.from(source.slice(0, source.indexOf('\n') + 1), 'latin1'), data]));
    renameSync(tmp, cacheFile);
  }
  process.exitCode = 0;
}

/**
 * Runs the CLI in this process with each argv of `runs` in turn (through the bundle's run(), which
 * returns the exit code where the launcher's main() would end the process), then removes their
 * files. `runs` are [argv, expected exit code].
 */
async function exercise(cli, { runs, tmp }) {
  try {
    for (const [argv, expected] of runs) {
      process.argv = [process.execPath, join(out, 'ocirun.cjs'), ...argv];
      const code = await cli().run(argv);
      // A cache made from a run that went wrong would hold its error path.
      if (code !== expected) throw new Error(`ocirun ${argv.join(' ')}: exit ${code}, expected ${expected}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Verbs that need neither root nor a container. */
function verbRuns() {
  const tmp = mkdtempSync(join(tmpdir(), 'ocirun-cache-'));
  const state = join(tmp, 'state');
  const bundleDir = join(tmp, 'bundle');
  mkdirSync(join(bundleDir, 'rootfs'), { recursive: true });
  const runs = [
    [['--version'], 0],
    [['--root', state, 'state', 'x'], 1],
    [['--root', state, 'list'], 0],
    [['--root', state, 'kill', 'x', 'KILL'], 1],
    [['--root', state, 'delete', '--force', 'x'], 0],
    [['--root', state, 'start', 'x'], 1],
    [['spec', '--bundle', bundleDir], 0],
    // After spec: loads and validates its config, as create and run do.
    [['validate', bundleDir], 0],
  ];
  return { runs, tmp };
}

/**
 * Where this build runs as root: `run` of a container from the host's /usr (examples/hello's
 * rootfs, /usr/bin/true), its plan made first by a child process, so the cache holds the path of
 * a run with a cached plan (the common case) and not the planner. Measured per `run` (launcher to
 * exit, medians of 30 interleaved): ~2 ms less than with the verbs' cache. Not root, or the run
 * fails: no runs, and no container cache (see makeCaches).
 */
function containerRun() {
  const tmp = mkdtempSync(join(tmpdir(), 'ocirun-cache-'));
  if (process.getuid?.() !== 0) return { runs: [], tmp };
  const hello = join(root, 'examples', 'hello');
  const config = JSON.parse(readFileSync(join(hello, 'config.json'), 'utf8'));
  config.process.args = ['/usr/bin/true'];
  config.root = { path: join(hello, 'rootfs'), readonly: true };
  const bundleDir = join(tmp, 'bundle');
  mkdirSync(bundleDir);
  writeFileSync(join(bundleDir, 'config.json'), JSON.stringify(config));
  const argv = ['--root', join(tmp, 'state'), 'run', '--bundle', bundleDir];
  // Its own cache directory: the container cache does not exist yet, so the launcher would write
  // one to the user's, which every later run on this machine would then take instead of the
  // package's (one made by planning: +190 KB to deserialise).
  const env = { ...process.env, XDG_CACHE_HOME: join(tmp, 'cache') };
  const planned = spawnSync(process.execPath, [join(out, 'ocirun.cjs'), ...argv, 'ocirun-cache-plan'], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
  if (planned.status !== 0) console.warn(`bundle-cli: ocirun ${argv.join(' ')} ocirun-cache-plan: ${planned.error?.message ?? `exit ${planned.status}`}\n${planned.stderr}`);
  return { runs: planned.status === 0 ? [[[...argv, 'ocirun-cache-run'], 0]] : [], tmp };
}
