// Makes the test worker a child subreaper, as containerd's shim and conmon are for runc: a
// container whose `create` process exited is reparented here instead of to PID 1, and is reaped
// as soon as it exits. Without it, container teardown waits on however promptly the host's PID 1
// reaps orphans (a zombie keeps its cgroup busy), which made runtimes look slow or hung.
// Only zombies this worker did not spawn itself are reaped: children spawned through node's
// child_process are left to libuv.
import koffi from 'koffi';
import { readdirSync, readFileSync } from 'node:fs';

const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;

/** pids of processes spawned through child_process and not yet exited (libuv reaps those) */
export const ownChildren = new Set<number>();

let started = false;

export function startReaper(): void {
  if (started) return;
  started = true;
  try {
    const libc = koffi.load('libc.so.6');
    const prctl = libc.func('int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)');
    const waitpid = libc.func('int waitpid(int, void *, int)');
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) !== 0) return;
    const timer = setInterval(() => {
      for (const pid of zombieChildren()) if (!ownChildren.has(pid)) waitpid(pid, null, WNOHANG);
    }, 25);
    timer.unref();
  } catch (e) {
    // without FFI the suite still works; teardown may just be slower on some hosts
    console.warn(`conformance: cannot become a child subreaper: ${(e as Error).message}`);
  }
}

function zombieChildren(): number[] {
  const out: number[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    let children = '';
    try {
      children = readFileSync(`/proc/self/task/${tid}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const p of children.split(' ').filter(Boolean)) {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') out.push(Number(p));
      } catch {
        /* gone */
      }
    }
  }
  return out;
}
