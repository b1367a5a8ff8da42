// linux.uidMappings / gidMappings: present exactly when a new user namespace is created, and each
// list acceptable to the kernel's uid_map/gid_map (non-empty ranges, no overlap, at most 340).
import type { RuleContext } from '../types.js';
import { arrayAt, numberAt, objectAt, ptr } from '../json.js';
import { namespacesOf } from './namespaces.js';
import { idRangeProblem } from './ids.js';

/** The kernel's uid_map: a range may not reach 4294967295 (the id that means "none"). */
const ID_SPACE = 4294967295;

/** user_namespaces(7): "the number of lines ... is limited to 340". */
const MAX_MAPPINGS = 340;

interface Range {
  start: number;
  end: number;
  index: number;
}

function overlapping(ranges: Range[]): [Range, Range] | undefined {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) if (sorted[i].start < sorted[i - 1].end) return [sorted[i - 1], sorted[i]];
  return undefined;
}

/** Checks one mapping list (also used for per-mount mappings). */
export function checkMappings(ctx: RuleContext, list: unknown, at: string, what: string): void {
  const entries = arrayAt(list);
  if (entries.length > MAX_MAPPINGS) ctx.error(at, 'id-mapping-invalid', `${what} has ${entries.length} entries; the kernel accepts at most ${MAX_MAPPINGS}`);
  const inside: Range[] = [];
  const outside: Range[] = [];
  entries.forEach((entry, index) => {
    const m = objectAt(entry);
    const [c, h, size] = [numberAt(m?.containerID), numberAt(m?.hostID), numberAt(m?.size)];
    if (size === 0) ctx.error(ptr(at, index, 'size'), 'id-mapping-invalid', `${what} entry ${index} maps no ids: size must be at least 1`);
    let outOfRange = false;
    for (const [field, value] of [['containerID', c], ['hostID', h]] as const) {
      const problem = idRangeProblem(value, `${what} entry ${index} ${field}`);
      if (problem) ctx.error(ptr(at, index, field), 'id-range', problem);
      outOfRange ||= problem !== undefined;
    }
    if (c === undefined || h === undefined || size === undefined || size === 0 || outOfRange) return;
    if (Math.max(c, h) + size > ID_SPACE) {
      ctx.error(ptr(at, index, 'size'), 'id-mapping-invalid', `${what} entry ${index} maps ids up to ${Math.max(c, h) + size - 1}: the kernel takes ranges below ${ID_SPACE}`);
    }
    inside.push({ start: c, end: c + size, index });
    outside.push({ start: h, end: h + size, index });
  });
  for (const [ranges, side] of [[inside, 'containerID'], [outside, 'hostID']] as const) {
    const pair = overlapping(ranges);
    if (pair) {
      const [a, b] = pair.sort((x, y) => x.index - y.index);
      ctx.error(ptr(at, b.index, side), 'id-mapping-invalid', `${what} entries ${a.index} and ${b.index} overlap in ${side} (${a.start}-${a.end - 1} and ${b.start}-${b.end - 1}); the kernel refuses overlapping ranges`);
    }
  }
}

export default function userNamespace(ctx: RuleContext): void {
  const linux = objectAt(ctx.config.linux);
  if (!linux) return;
  const user = namespacesOf(ctx.config).get('user');
  for (const field of ['uidMappings', 'gidMappings'] as const) {
    const list = linux[field];
    const given = Array.isArray(list) && list.length > 0;
    const kind = field === 'uidMappings' ? 'uid' : 'gid';
    if (given && !user) {
      ctx.error(`/linux/${field}`, 'user-mappings-without-userns', `${kind} mappings need a user namespace: add {"type": "user"} to linux.namespaces, or remove linux.${field}`);
    } else if (!given && user && user.path === undefined) {
      ctx.error(`/linux/${field}`, 'user-mappings-required', `a new user namespace needs ${kind} mappings: add linux.${field} (for example [{"containerID": 0, "hostID": 100000, "size": 65536}])`);
    }
    if (given) checkMappings(ctx, list, `/linux/${field}`, `linux.${field}`);
  }
}
