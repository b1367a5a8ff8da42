// Small config edits shared by tests.
import type { Config } from './bundle.js';

export function addMount(c: Config, m: { destination: string; type?: string; source?: string; options?: string[] }): void {
  c.mounts = [...(c.mounts ?? []), m];
}

/** Bind a host dir into the container (writable by default): how probes hand results out. */
export function bind(c: Config, source: string, destination: string, options: string[] = ['rbind', 'rw']): void {
  addMount(c, { destination, type: 'bind', source, options });
}

export function tmpfs(c: Config, destination: string, options: string[] = []): void {
  addMount(c, { destination, type: 'tmpfs', source: 'tmpfs', options });
}

export function setNamespaces(c: Config, types: string[]): void {
  c.linux.namespaces = types.map((type) => ({ type }));
}

export function withoutNamespace(c: Config, type: string): void {
  c.linux.namespaces = (c.linux.namespaces as { type: string }[]).filter((n) => n.type !== type);
}

export function withNamespace(c: Config, type: string, path?: string): void {
  withoutNamespace(c, type);
  c.linux.namespaces.push(path ? { type, path } : { type });
}

export function hook(path: string, args?: string[], extra: { env?: string[]; timeout?: number } = {}) {
  return { path, ...(args ? { args } : {}), ...extra };
}

/** user namespace with one 65536-id range mapped to `hostBase` */
export function userns(c: Config, hostBase = 100000, size = 65536): void {
  withNamespace(c, 'user');
  c.linux.uidMappings = [{ containerID: 0, hostID: hostBase, size }];
  c.linux.gidMappings = [{ containerID: 0, hostID: hostBase, size }];
}
