// One runner per contender. Each knows how to do a whole create→start→wait→delete of /bin/true
// (`lifecycle`), how to start and stop a long-running container, and how to exec into one.
// CLI runners are timed around a child process; the library runner works in a Node process of
// its own, which stays warm across runs, as a Node program embedding ocirun would.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { libraryHost } from './library-client.mjs';

/** Run a command to completion; reject with its stderr when it fails. */
export function runAsync(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')}: exit ${code ?? signal}: ${firstLines(err)}`));
    });
  });
}

/** The message of an error report, not the bottom of its stack trace. */
function firstLines(text) {
  return text.trim().split('\n').filter((l) => l.trim() && !/^\s+at /.test(l)).slice(0, 3).join(' | ');
}

// stderr goes to a file, never a pipe: a created container inherits the CLI's stdio, and a pipe
// it holds open would keep spawnSync waiting for end of file until the container exits.
let errLog;
export function setErrorLog(path) {
  errLog = path;
}

function runSync(cmd, args, { allowFail = false } = {}) {
  const fd = openSync(errLog, 'w');
  let r;
  try {
    r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', fd], timeout: 120_000 });
  } finally {
    closeSync(fd);
  }
  if (r.error) throw r.error;
  if (r.status !== 0 && !allowFail) {
    throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status ?? r.signal}: ${firstLines(readFileSync(errLog, 'utf8'))}`);
  }
}

/** Timed synchronously: no event-loop delay in the measurement. */
function timedSync(cmd, args, opts) {
  const t = process.hrtime.bigint();
  runSync(cmd, args, opts);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function timed(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** A runc-compatible CLI: ocirun's own (run through node) or a peer binary. */
export function cliRunner(name, argv0, root, ws) {
  const cmd = argv0[0];
  const pre = [...argv0.slice(1), '--root', root];
  const run = (id) => [...pre, 'run', '--bundle', ws.trueBundle.dir, id];
  return {
    name,
    kind: 'cli',
    root,
    command: [...argv0, '--root', root],
    lifecycle: (id) => Promise.resolve(timedSync(cmd, run(id))),
    lifecycleAsync: (id) => timed(() => runAsync(cmd, run(id))),
    async startSleeper(id) {
      runSync(cmd, [...pre, 'create', '--bundle', ws.sleepBundle.dir, id]);
      runSync(cmd, [...pre, 'start', id]);
    },
    exec: (id) => Promise.resolve(timedSync(cmd, [...pre, 'exec', id, '/bin/true'])),
    pid: (id) => JSON.parse(spawnSync(cmd, [...pre, 'state', id], { encoding: 'utf8' }).stdout).pid,
    async stopSleeper(id) {
      runSync(cmd, [...pre, 'delete', '--force', id]);
    },
    createArgs: (id) => [cmd, [...pre, 'create', '--bundle', ws.trueBundle.dir, id]],
    async cleanup(id) {
      runSync(cmd, [...pre, 'delete', '--force', id], { allowFail: true });
    },
  };
}

/** Node's bare start-up: the floor under any CLI written for Node. */
export function nodeBaseline() {
  return {
    name: 'node -e 0',
    kind: 'baseline',
    lifecycle: () => Promise.resolve(timedSync(process.execPath, ['-e', '0'])),
  };
}

/**
 * The ocirun library in one warm Node process of its own (bench/lib/library-host.mjs: why not this
 * one). Times are taken in that process, around the library calls.
 */
export async function libraryRunner(dist, root, ws) {
  const host = libraryHost(dist, root);
  await host.ready;
  // Asynchronous either way: the calls of a parallel batch are all in flight at once.
  const lifecycle = async (id) => (await host.call('lifecycle', { id, bundle: ws.trueBundle.dir })).ms;
  return {
    name: 'ocirun library',
    kind: 'library',
    root,
    lifecycle,
    lifecycleAsync: lifecycle,
    async startSleeper(id) {
      await host.call('create', { id, bundle: ws.sleepBundle.dir });
      await host.call('start', { id });
    },
    exec: async (id) => (await host.call('exec', { id })).ms,
    pid: async (id) => (await host.call('pid', { id })).pid,
    stopSleeper: (id) => host.call('delete', { id }),
    cleanup: (id) => host.call('cleanup', { id }).catch(() => {}),
    close: () => host.close(),
    host,
  };
}

/** A peer runtime only counts when its binary exists and can run the bundle on this host. */
export function probePeer(name, ws, root) {
  const path = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/sbin', '/bin'].map((d) => join(d, name)).find(existsSync);
  if (!path) return { available: false, reason: `${name} is not installed` };
  const tryRun = (argv0) => {
    const [cmd, ...pre] = argv0;
    const r = spawnSync(cmd, [...pre, '--root', root, 'run', '--bundle', ws.trueBundle.dir, `probe-${process.pid}`], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    spawnSync(cmd, [...pre, '--root', root, 'delete', '--force', `probe-${process.pid}`], { stdio: 'ignore' });
    return r;
  };
  let argv0 = [path];
  let r = tryRun(argv0);
  let note;
  // crun refuses a hybrid host ("cgroups in hybrid mode not supported"); with the cgroup2 mount
  // hidden in a private mount namespace it sees pure v1. The wrapper's cost is part of its time.
  if (r.status !== 0 && /hybrid/i.test(r.stderr ?? '') && existsSync('/sys/fs/cgroup/unified')) {
    argv0 = ['unshare', '-m', 'sh', '-c', 'umount /sys/fs/cgroup/unified && exec "$@"', 'sh', path];
    r = tryRun(argv0);
    note = 'run as `unshare -m sh -c "umount /sys/fs/cgroup/unified && exec crun ..."` (pure v1 view of this hybrid host)';
  }
  if (r.status !== 0) return { available: false, reason: `${name} cannot run the bundle here: ${(r.stderr || '').trim().split('\n').pop()}` };
  const version = spawnSync(path, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  return { available: true, path, argv0, version, ...(note ? { note } : {}) };
}
