// Memory of a process tree from /proc. Summing RSS counts pages a child shares copy-on-write with
// its parent twice; PSS splits shared pages among all their users, including unrelated processes
// mapping the same binary (every other node on the machine), so it moves with the machine's load.
// The figure we headline: the runtime process's RSS plus what its helpers hold privately (USS).
import { readdirSync, readFileSync } from 'node:fs';

export function children(pid) {
  const out = [];
  let tasks = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(' ')) if (c.trim()) out.push(Number(c));
    } catch {
      // thread gone
    }
  }
  return out;
}

export function tree(pid) {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...children(all[i]));
  return all;
}

/** {rss, pss, uss, hwm} in kB for one process, or undefined once it is gone. */
export function memory(pid) {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (text, key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    const uss = kb(rollup, 'Private_Clean') + kb(rollup, 'Private_Dirty');
    return { rss: kb(rollup, 'Rss'), pss: kb(rollup, 'Pss'), uss, hwm: kb(status, 'VmHWM') };
  } catch {
    return undefined;
  }
}

/** Sums over the tree rooted at pid; `total` is the root's RSS plus the others' USS. */
export function treeMemory(pid) {
  const sum = { total: 0, rss: 0, pss: 0, hwm: 0, processes: 0 };
  for (const p of tree(pid)) {
    const m = memory(p);
    if (!m) continue;
    sum.rss += m.rss;
    sum.pss += m.pss;
    sum.total += p === pid ? m.rss : m.uss;
    sum.processes++;
    if (p === pid) sum.hwm = m.hwm;
  }
  return sum;
}

/** Sample the tree until `done` settles; returns the peaks seen. */
export async function samplePeak(pid, done) {
  const peak = { total: 0, rss: 0, pss: 0, hwm: 0, processes: 0 };
  let finished = false;
  done.then(() => (finished = true), () => (finished = true));
  while (!finished) {
    const m = treeMemory(pid);
    for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], m[k]);
    await new Promise((r) => setTimeout(r, 1));
  }
  await done;
  return peak;
}
