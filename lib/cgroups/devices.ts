// The device controller's rules: linux.resources.devices in the config's order, then allow rules
// for the devices every container gets (config-linux.md "Default Devices", /dev/ptmx and
// /dev/pts/*) and mknod of the devices linux.devices creates, so the runtime can make their
// nodes; runc's other extra rules (mknod of any device, /dev/net/tun) are not added. With no
// rules in the config nothing is written: the container keeps its parent's device access.
import { OciError } from '../errors.js';
import type { LinuxDevice, LinuxDeviceCgroup } from '../spec/index.js';
import { DEFAULT_DEVICES } from '../plan/devices.js';

export interface DeviceRule {
  allow: boolean;
  type: 'a' | 'b' | 'c';
  /** -1: any */
  major: number;
  minor: number;
  /** A subset of "rwm", in that order. */
  access: string;
}

const EXTRA: readonly DeviceRule[] = [
  ...DEFAULT_DEVICES.map((d) => ({ allow: true, type: 'c' as const, major: d.major!, minor: d.minor!, access: 'rwm' })),
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  { allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' }, // /dev/pts/*
];

export function deviceRules(configured: readonly LinuxDeviceCgroup[] | undefined, linuxDevices: readonly LinuxDevice[] = []): DeviceRule[] {
  if (!configured?.length) return [];
  const rules = configured.map((d, i) => normalize(d, `/linux/resources/devices/${i}`));
  rules.push(...EXTRA);
  for (const d of linuxDevices) {
    if (d.type === 'b' || d.type === 'c' || d.type === 'u') {
      rules.push({ allow: true, type: d.type === 'b' ? 'b' : 'c', major: d.major ?? 0, minor: d.minor ?? 0, access: 'm' });
    }
  }
  return rules;
}

function normalize(d: LinuxDeviceCgroup, pointer: string): DeviceRule {
  const type = d.type ?? 'a';
  if (type !== 'a' && type !== 'b' && type !== 'c') {
    throw new OciError('ERR_INVALID_CONFIG', `config.json: ${pointer}/type: "${type}" is not a device cgroup type (a, b or c)`);
  }
  const access = d.access ?? 'rwm';
  if (!/^[rwm]{1,3}$/.test(access) || new Set(access).size !== access.length) {
    throw new OciError('ERR_INVALID_CONFIG', `config.json: ${pointer}/access: "${access}" is not a combination of r, w and m`);
  }
  const number = (v: number | undefined, what: string) => {
    if (v === undefined || v === -1) return -1;
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new OciError('ERR_INVALID_CONFIG', `config.json: ${pointer}/${what}: ${v} is not a device number`);
    return v;
  };
  return { allow: d.allow, type, major: number(d.major, 'major'), minor: number(d.minor, 'minor'), access: ['r', 'w', 'm'].filter((c) => access.includes(c)).join('') };
}

/** A rule that matches every device and access: it resets the list (v1's "a"). */
export function isWildcard(r: DeviceRule): boolean {
  return r.type === 'a' && r.major === -1 && r.minor === -1 && r.access === 'rwm';
}

/**
 * The v1 lines, one write each to devices.allow or devices.deny. v1 has no "a" with numbers or
 * partial access: such a rule is written for both c and b.
 */
export function v1DeviceLines(rules: readonly DeviceRule[]): { file: 'devices.allow' | 'devices.deny'; line: string }[] {
  const out: { file: 'devices.allow' | 'devices.deny'; line: string }[] = [];
  const n = (v: number) => (v === -1 ? '*' : String(v));
  for (const r of rules) {
    const file = r.allow ? 'devices.allow' : 'devices.deny';
    if (isWildcard(r)) out.push({ file, line: 'a' });
    else for (const t of r.type === 'a' ? ['c', 'b'] : [r.type]) out.push({ file, line: `${t} ${n(r.major)}:${n(r.minor)} ${r.access}` });
  }
  return out;
}
