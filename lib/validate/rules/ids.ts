// User and group ids: 0 to 2147483647, as runc takes them. The schema allows any uint32, but
// setresuid(2) reads 4294967295 (-1) as "leave unchanged": a process asked to run as that uid
// would stay root.
import type { RuleContext } from '../types.js';
import { arrayAt, numberAt, objectAt, ptr } from '../json.js';

/** The largest id ocirun accepts (runc's limit, 2^31 - 1). */
export const MAX_ID = 2147483647;

/** The error for an id outside 0..MAX_ID, or undefined. */
export function idRangeProblem(value: unknown, what: string): string | undefined {
  const n = numberAt(value);
  if (n === undefined || (Number.isInteger(n) && n >= 0 && n <= MAX_ID)) return undefined;
  return `${what} ${n} is out of range: ids go from 0 to ${MAX_ID} (setresuid reads 4294967295 as "unchanged": the process would keep root)`;
}

/** process.user: uid, gid, additionalGids (also checks an exec's process.json). */
export default function idRules(ctx: RuleContext): void {
  const user = objectAt(objectAt(ctx.config.process)?.user);
  if (!user) return;
  const check = (pointer: string, value: unknown, what: string) => {
    const problem = idRangeProblem(value, what);
    if (problem) ctx.error(pointer, 'id-range', problem);
  };
  check('/process/user/uid', user.uid, 'uid');
  check('/process/user/gid', user.gid, 'gid');
  arrayAt(user.additionalGids).forEach((g, i) => check(ptr('/process/user/additionalGids', i), g, 'additional gid'));
}
