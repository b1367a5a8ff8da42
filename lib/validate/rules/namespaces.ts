// linux.namespaces: no duplicates; a `path` is absolute, names a namespace file of the right type
// and (with a bundle) exists. Also the settings that only make sense with a given namespace.
import { statFact } from '../../host/facts.js';
import type { RuleContext } from '../types.js';
import { arrayAt, isObject, objectAt, ptr, q, stringAt } from '../json.js';

export interface NamespaceEntry {
  index: number;
  path?: string;
}

/** The namespaces a config asks for, by type (the first entry of each type). */
export function namespacesOf(config: Record<string, unknown>): Map<string, NamespaceEntry> {
  const out = new Map<string, NamespaceEntry>();
  arrayAt(objectAt(config.linux)?.namespaces).forEach((ns, index) => {
    const type = stringAt(objectAt(ns)?.type);
    if (type !== undefined && !out.has(type)) out.set(type, { index, path: stringAt(objectAt(ns)?.path) });
  });
  return out;
}

// The name each type has under /proc/<pid>/ns/ (and the *_for_children links that join the same kind).
const PROC_NS_NAMES: Record<string, string[]> = {
  mount: ['mnt'],
  pid: ['pid', 'pid_for_children'],
  network: ['net'],
  uts: ['uts'],
  ipc: ['ipc'],
  user: ['user'],
  cgroup: ['cgroup'],
  time: ['time', 'time_for_children'],
};

export default function namespaces(ctx: RuleContext): void {
  const linux = objectAt(ctx.config.linux);
  const seen = new Map<string, number>();
  arrayAt(linux?.namespaces).forEach((entry, i) => {
    const ns = objectAt(entry);
    const type = stringAt(ns?.type);
    if (type === undefined) return;
    const at = ptr('/linux/namespaces', i);
    const first = seen.get(type);
    if (first !== undefined) ctx.error(ptr(at, 'type'), 'namespace-duplicate', `namespace type ${q(type)} is listed twice (also at /linux/namespaces/${first})`);
    else seen.set(type, i);
    const path = stringAt(ns?.path);
    if (path === undefined) return;
    if (!path.startsWith('/')) {
      ctx.error(ptr(at, 'path'), 'namespace-path-absolute', `namespace path ${q(path)} must be an absolute path (such as /proc/1234/ns/${PROC_NS_NAMES[type]?.[0] ?? type})`);
      return;
    }
    const proc = /^\/proc\/(?:\d+|self|thread-self)\/ns\/([a-z_]+)$/.exec(path);
    const expected = PROC_NS_NAMES[type];
    if (proc && expected && !expected.includes(proc[1])) {
      ctx.error(ptr(at, 'path'), 'namespace-path-type', `${path} is a ${proc[1]} namespace, not a ${type} namespace (expected .../ns/${expected[0]})`);
      return;
    }
    if (ctx.bundleDir === undefined) return;
    try {
      if (statFact(path).isDirectory()) ctx.error(ptr(at, 'path'), 'namespace-path-type', `namespace path ${path} is a directory, not a namespace file`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      ctx.error(ptr(at, 'path'), 'namespace-path-exists', code === 'ENOENT' ? `${type} namespace ${path} does not exist` : `cannot use ${type} namespace ${path}: ${code}`);
    }
  });

  const have = namespacesOf(ctx.config);
  for (const field of ['hostname', 'domainname'] as const) {
    const value = ctx.config[field];
    if (typeof value === 'string' && value !== '' && !have.has('uts')) {
      ctx.error(`/${field}`, 'uts-namespace-required', `setting the ${field} needs a private UTS namespace: add {"type": "uts"} to linux.namespaces`);
    }
  }
  if (isObject(linux?.timeOffsets) && Object.keys(linux.timeOffsets).length > 0) {
    const time = have.get('time');
    if (!time) ctx.error('/linux/timeOffsets', 'time-offsets-need-timens', 'timeOffsets need a new time namespace: add {"type": "time"} to linux.namespaces');
    else if (time.path !== undefined) ctx.error('/linux/timeOffsets', 'time-offsets-need-timens', `timeOffsets cannot be applied to the existing time namespace ${time.path}: offsets can only be set in a new one`);
  }
  if (isObject(linux?.netDevices) && Object.keys(linux.netDevices).length > 0 && !have.has('network')) {
    ctx.error('/linux/netDevices', 'net-devices-need-netns', 'moving network devices into the container needs a network namespace: add {"type": "network"} to linux.namespaces');
  }
}
