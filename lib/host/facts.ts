// Facts about host files that validation and planning depend on: the rootfs is a directory, a
// bind source is a file, AppArmor is enabled. While a plan is being made they are recorded, so a
// cached plan (lib/lifecycle/plan-cache.ts) is reused only while every fact it was made from still holds.
import { statSync, type Stats } from 'node:fs';

export type PathKind = 'dir' | 'file' | 'other' | 'missing';
export type Facts = [path: string, kind: PathKind][];

let recording: Map<string, PathKind> | undefined;

function kindOf(st: Stats | undefined): PathKind {
  if (!st) return 'missing';
  return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
}

/** statSync (it throws the same way), remembered while recording. */
export function statFact(path: string): Stats {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') recording?.set(path, 'missing');
    throw err;
  }
  recording?.set(path, kindOf(st));
  return st;
}

/** existsSync, remembered while recording. */
export function existsFact(path: string): boolean {
  const kind = kindOf(statSync(path, { throwIfNoEntry: false }));
  recording?.set(path, kind);
  return kind !== 'missing';
}

/** Run `fn` (synchronous), returning what it returned and every fact it read. */
export function withFacts<T>(fn: () => T): { value: T; facts: Facts } {
  const outer = recording;
  const mine = new Map<string, PathKind>();
  recording = mine;
  try {
    return { value: fn(), facts: [...mine] };
  } finally {
    recording = outer;
    if (outer) for (const [p, k] of mine) outer.set(p, k);
  }
}

/** Do all the facts still hold? */
export function factsHold(facts: Facts): boolean {
  for (const [path, kind] of facts) {
    let now: PathKind;
    try {
      now = kindOf(statSync(path, { throwIfNoEntry: false }));
    } catch {
      return false;
    }
    if (now !== kind) return false;
  }
  return true;
}
