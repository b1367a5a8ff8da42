// Drives the runtime only through its runc-compatible CLI. Every call gets stdout/stderr files
// (never pipes): a detached container inherits them, and a pipe held by a container would keep
// a pipe reader waiting forever.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_TIMEOUT_MS, runtimeCommand } from './env.js';
import { ownChildren } from './reaper.js';

export interface CliResult {
  /** exit code, or null when killed by a signal */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** the argv passed to the runtime, for messages */
  argv: string[];
}

export interface CliOptions {
  /** directory for the stdout/stderr files */
  ioDir: string;
  /** file names (in ioDir) to use; default a fresh name per call */
  name?: string;
  /** file to connect to stdin; default /dev/null */
  stdinFile?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** a shell prefix run before exec'ing the runtime, e.g. to change an inherited attribute */
  shellPrefix?: string;
  /** extra fds for the runtime: fd 3.. (for --preserve-fds) */
  extraFiles?: string[];
  /** run the runtime with a pseudo-terminal as its controlling tty (util-linux script(1)) */
  withTty?: boolean;
}

const shq = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

let seq = 0;

export function runCli(globalArgs: string[], args: string[], o: CliOptions): Promise<CliResult> {
  const [cmd, pre] = runtimeCommand();
  const argv = [...pre, ...globalArgs, ...args];
  const name = o.name ?? `cli-${++seq}-${args[0] ?? 'none'}`;
  const outPath = join(o.ioDir, `${name}.out`);
  const errPath = join(o.ioDir, `${name}.err`);
  const stdin = openSync(o.stdinFile ?? '/dev/null', 'r');
  const out = openSync(outPath, 'w');
  const err = openSync(errPath, 'w');
  const extra = (o.extraFiles ?? []).map((f) => openSync(f, 'r'));
  const timeoutMs = o.timeoutMs ?? CLI_TIMEOUT_MS;
  return new Promise((resolve) => {
    let timedOut = false;
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (child.pid) ownChildren.delete(child.pid);
      for (const fd of [stdin, out, err, ...extra]) closeSync(fd);
      resolve({
        code,
        signal,
        stdout: readFileSync(outPath, 'utf8'),
        stderr: spawnError ? String(spawnError) : readFileSync(errPath, 'utf8'),
        timedOut,
        argv: [cmd, ...argv],
      });
    };
    const [file, fileArgs] = o.withTty
      ? ['/usr/bin/script', ['-qec', [cmd, ...argv].map(shq).join(' '), '/dev/null']]
      : o.shellPrefix
        ? ['/bin/sh', ['-c', `${o.shellPrefix}; exec "$@"`, 'sh', cmd, ...argv]]
        : [cmd, argv];
    const child = spawn(file, fileArgs, { stdio: [stdin, out, err, ...extra], cwd: o.cwd, env: o.env ?? process.env });
    if (child.pid) ownChildren.add(child.pid);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    // spawn failure (ENOENT/EACCES) is a failed call, not a crash of the suite
    child.on('error', (e) => finish(127, null, e));
    child.on('exit', (code, signal) => finish(code, signal));
  });
}

export function describeResult(r: CliResult): string {
  const how = r.timedOut ? 'timed out' : r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
  return `${r.argv.join(' ')} → ${how}\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`;
}
