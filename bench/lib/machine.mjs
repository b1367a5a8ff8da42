// Where the numbers came from: host, kernel, CPU, load, versions and the commit measured.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

const tryRun = (cmd, args, cwd) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
};

export function machine(repo) {
  const osRelease = tryRun('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']);
  const dirty = tryRun('git', ['status', '--porcelain', '--', 'lib', 'bindings'], repo);
  return {
    date: new Date().toISOString(),
    os: osRelease,
    kernel: os.release(),
    cpu: os.cpus()[0]?.model,
    cpus: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    commit: tryRun('git', ['rev-parse', '--short', 'HEAD'], repo),
    uncommittedLibChanges: Boolean(dirty),
    loadavgBefore: os.loadavg(),
    cgroupLayout: readFileSync('/proc/self/mountinfo', 'utf8').includes(' - cgroup ') ? 'v1 (hybrid)' : 'v2',
  };
}
