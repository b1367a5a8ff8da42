// Decoding what a container printed about itself: /proc/self/status fields, capability masks,
// mountinfo lines.
import { CAPABILITY_NAMES as CAPABILITIES } from '../../lib/spec/capabilities.js';

/** "Name:\tvalue" lines of /proc/<pid>/status. */
export function statusFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** A CapXxx hex mask → sorted capability names. */
export function capNames(hex: string): string[] {
  const mask = BigInt(`0x${hex}`);
  const names: string[] = [];
  for (let i = 0; i < 64; i++) if (mask & (1n << BigInt(i))) names.push(CAPABILITIES[i] ?? `CAP_${i}`);
  return names.sort();
}

export interface MountInfo {
  mountPoint: string;
  root: string;
  options: string[];
  optional: string[];
  fstype: string;
  source: string;
  superOptions: string[];
}

export function parseMountinfo(text: string): MountInfo[] {
  return text
    .split('\n')
    .filter((l) => l.includes(' - '))
    .map((line) => {
      const [left, right] = line.split(' - ');
      const f = left.split(' ');
      const [fstype, source, superOptions = ''] = right.split(' ');
      return { root: f[3], mountPoint: f[4], options: f[5].split(','), optional: f.slice(6), fstype, source, superOptions: superOptions.split(',') };
    });
}

/** The last mount at `path` (the one a process sees). */
export function mountAt(text: string, path: string): MountInfo | undefined {
  return parseMountinfo(text).filter((m) => m.mountPoint === path).at(-1);
}

/** Sections of a probe's output, written as `== name` headers. */
export function sections(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  let name = '';
  for (const line of stdout.split('\n')) {
    const m = /^== (.+)$/.exec(line);
    if (m) {
      name = m[1];
      out[name] = '';
    } else if (name) out[name] += line + '\n';
  }
  for (const k of Object.keys(out)) out[k] = out[k].replace(/\n+$/, '');
  return out;
}
