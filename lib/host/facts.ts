// Facts about host files that validation and planning depend on: the rootfs is a directory, a
// bind source is a file, AppArmor is enabled. While a plan is being made they are recorded, so a
// cached plan (lib/lifecycle/plan-cache.ts) is reused only while every fact it was made from still holds.
import { realpathSync, statSync, type Stats } from 'node:fs';

/** What a path is; `=/real/path`: where it resolves to (symlinks followed). */
export type PathKind = 'dir' | 'file' | 'other' | 'missing' | `=${string}`;
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

/** realpathSync (it throws the same way), remembered while recording. */
export function realpathFact(path: string): string {
  const real = realpathSync(path);
  recording?.set(`${path}\0real`, `=${real}`);
  return real;
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
  for (const [key, kind] of facts) {
    let now: PathKind;
    try {
      if (kind.startsWith('=')) now = `=${realpathSync(key.slice(0, key.indexOf('\0')))}`;
      else now = kindOf(statSync(key, { throwIfNoEntry: false }));
    } catch {
      return false;
    }
    if (now !== kind) return false;
  }
  return true;
}
