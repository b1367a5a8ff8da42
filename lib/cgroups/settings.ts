// What a container's resources turn into: files to write, in order, in the hierarchy of each
// controller. Planned once per bundle (pure, cached with the program); written at create.
import { OciError } from '../errors.js';
import type { DeviceRule } from './devices.js';

export interface CgroupWrite {
  /** Mount point of the hierarchy (the container's directory there is known at create). */
  mount: string;
  file: string;
  value: string;
  /** The config field it comes from, for error messages. */
  pointer: string;
  /** Written only where the container's cgroup has the file (an extra runc writes too). */
  optional?: boolean;
}

export interface CgroupSettings {
  writes: CgroupWrite[];
  /** v2 controllers the writes need, enabled in cgroup.subtree_control down to the container. */
  enable: string[];
  /** v2: the rules of the device program; absent: no program. */
  bpfDevices?: DeviceRule[];
}

/** Emits writes into one hierarchy for one part of the config. */
export interface Emitter {
  /** `field`: below the section's pointer. */
  write(file: string, value: string | number, field: string, options?: { optional?: boolean }): void;
  /** Does the hierarchy have this file (a controller's optional knob)? */
  has(file: string): boolean;
  refuse(field: string, why: string): never;
  pointer: string;
}

export function refuse(pointer: string, why: string): never {
  throw new OciError('ERR_NOT_SUPPORTED', `config.json: ${pointer}: ${why}`);
}

export function invalid(pointer: string, why: string): never {
  throw new OciError('ERR_INVALID_CONFIG', `config.json: ${pointer}: ${why}`);
}

/** The page size of a hugepageLimits entry ("2MB", "1GB") as the kernel names its files. */
export function hugepageSize(pageSize: string, pointer: string): string {
  if (!/^\d+(KB|MB|GB)$/.test(pageSize)) invalid(`${pointer}/pageSize`, `"${pageSize}" is not a page size like 2MB or 1GB`);
  return pageSize;
}

/** /sys/kernel/mm/hugepages names sizes in kB. */
export function hugepageKb(pageSize: string): number {
  const n = Number(pageSize.slice(0, -2));
  const unit = pageSize.slice(-2);
  return unit === 'KB' ? n : unit === 'MB' ? n * 1024 : n * 1024 * 1024;
}
