// linux.sysctl: only parameters isolated by a namespace the container has its own of (runc's rule:
// anything else would change the host).
import type { RuleContext } from '../types.js';
import { objectAt, ptr, q } from '../json.js';
import { namespacesOf } from './namespaces.js';

/** The IPC-namespaced parameters (ipc_namespace's sysctl table) besides fs.mqueue.*. */
const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** Which namespace isolates a parameter, or undefined when none does. */
export function sysctlNamespace(name: string): 'network' | 'ipc' | 'uts' | undefined {
  const key = name.replace(/\//g, '.'); // sysctl accepts net/ipv4/ip_forward too
  if (key.startsWith('net.')) return 'network';
  if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) return 'ipc';
  if (key === 'kernel.hostname' || key === 'kernel.domainname') return 'uts';
  return undefined;
}

export default function sysctl(ctx: RuleContext): void {
  const table = objectAt(objectAt(ctx.config.linux)?.sysctl);
  if (!table) return;
  const have = namespacesOf(ctx.config);
  for (const name of Object.keys(table)) {
    const at = ptr('/linux/sysctl', name);
    const ns = sysctlNamespace(name);
    if (ns === undefined) {
      ctx.error(at, 'sysctl-not-namespaced', `sysctl ${q(name)} is not isolated by any namespace: setting it would change the host`);
    } else if (name.replace(/\//g, '.') === 'kernel.hostname') {
      ctx.error(at, 'sysctl-hostname', 'sysctl "kernel.hostname" conflicts with the "hostname" field: set the hostname there');
    } else if (!have.has(ns)) {
      ctx.error(at, 'sysctl-needs-namespace', `sysctl ${q(name)} needs a private ${ns} namespace: add {"type": "${ns}"} to linux.namespaces`);
    }
  }
}
