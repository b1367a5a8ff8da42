// Like for like, checked: a running container of each contender, seen from outside, has a seccomp
// filter and the bench's cgroup limits. A contender that applied less would be timed doing less.
import { readFileSync } from 'node:fs';
import { newId } from './interleave.mjs';
import { RESOURCES } from './bundle.mjs';

export async function checkLikeForLike(runners) {
  const found = {};
  for (const r of runners) {
    const id = newId('check');
    try {
      await r.startSleeper(id);
      found[r.name] = applied(await r.pid(id));
    } finally {
      await r.stopSleeper(id).catch(() => r.cleanup(id));
    }
  }
  const wanted = { seccomp: true, memory: String(RESOURCES.memory.limit), pids: String(RESOURCES.pids.limit) };
  const wrong = Object.entries(found).filter(([, f]) => Object.entries(wanted).some(([k, v]) => f[k] !== v));
  if (wrong.length) throw new Error(`not like for like: ${wrong.map(([n, f]) => `${n} ${JSON.stringify(f)}`).join('; ')} (wanted ${JSON.stringify(wanted)})`);
  return found;
}

/** The process's seccomp mode and the memory and pids limits of its cgroups (v1 or v2). */
function applied(pid) {
  const seccomp = /^Seccomp:\s*2$/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  const cgroups = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => l.split(':'));
  const v1 = (controller, file) => {
    const line = cgroups.find(([, ctl]) => ctl.split(',').includes(controller));
    return line && read(`/sys/fs/cgroup/${line[1]}${line[2]}/${file}`);
  };
  const v2 = (file) => {
    const line = cgroups.find(([h]) => h === '0');
    return line && read(`/sys/fs/cgroup${line[2]}/${file}`);
  };
  return { seccomp, memory: v1('memory', 'memory.limit_in_bytes') ?? v2('memory.max'), pids: v1('pids', 'pids.max') ?? v2('pids.max') };
}

function read(path) {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}
