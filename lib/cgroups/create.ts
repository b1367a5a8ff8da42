// Making a container's cgroups at create: the directories (tracked, so delete removes exactly
// what was made), v1 cpuset's inherited cpus/mems, v2 controllers enabled down the path, the
// limits, the device program. On failure everything made is removed again.
import { closeSync, constants as fsc, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, writeSync } from 'node:fs';
import { dirname, posix } from 'node:path';
import { BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI, BPF_PROG_TYPE_CGROUP_DEVICE } from '../../bindings/bpf.js';
import { bpfProgAttach, bpfProgLoad } from '../../bindings/libc.js';
import { OciError } from '../errors.js';
import { deviceProgram } from './device-program.js';
import type { CgroupMode } from './layout.js';
import { cgroupTree, pidsUnder } from './members.js';
import type { CgroupDir } from './path.js';
import type { CgroupRecord } from './record.js';
import type { CgroupSettings, CgroupWrite } from './settings.js';

export function createCgroups(mode: CgroupMode, dirs: readonly CgroupDir[], settings: CgroupSettings): CgroupRecord {
  const record: CgroupRecord = {
    mode,
    dirs: dirs.map((d) => ({ dir: d.dir, mount: d.hierarchy.mount, version: d.hierarchy.version, controllers: d.hierarchy.controllers })),
    created: [],
  };
  try {
    for (const d of dirs) {
      const made = makeDirs(d.dir, d.base, record.created);
      if (!made) checkReusable(d);
      if (d.hierarchy.version === 1 && d.hierarchy.controllers.includes('cpuset')) inheritCpuset(d.dir, made);
      if (d.hierarchy.version === 2 && settings.enable.length) enableControllers(d, settings.enable);
    }
    const byMount = new Map(dirs.map((d) => [d.hierarchy.mount, d.dir]));
    writeAll(settings.writes, byMount);
    if (settings.bpfDevices) {
      const unified = dirs.find((d) => d.hierarchy.version === 2)!;
      attachDeviceProgram(unified.dir, deviceProgram(settings.bpfDevices));
    }
    return record;
  } catch (err) {
    removeCgroups(record);
    throw err;
  }
}

/**
 * Write each setting into the container's directory of its hierarchy, in order. A run of writes
 * to one file (device rules, per-device throttles: the kernel takes one rule per write) goes
 * through one open of it.
 */
export function writeAll(writes: readonly CgroupWrite[], byMount: ReadonlyMap<string, string>): void {
  for (let i = 0; i < writes.length; ) {
    const w = writes[i]!;
    let end = i + 1;
    // Only writes alike in being optional: a required write never rides on an optional file's absence.
    while (end < writes.length && writes[end]!.mount === w.mount && writes[end]!.file === w.file && !!writes[end]!.optional === !!w.optional) end++;
    const path = `${byMount.get(w.mount)}/${w.file}`;
    if (!(w.optional && !existsSync(path))) writeCgroupLines(path, writes.slice(i, end));
    i = end;
  }
}

export function writeCgroupFile(path: string, value: string, pointer?: string): void {
  writeCgroupLines(path, [{ value, pointer }]);
}

/** One write(2) per value, in order, through one open of the file. */
function writeCgroupLines(path: string, values: readonly { value: string; pointer?: string }[]): void {
  let fd: number | undefined;
  let at = values[0]!;
  try {
    fd = openSync(path, 'w');
    for (const v of values) {
      at = v;
      writeSync(fd, v.value);
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file (the kernel lacks this knob)' : e.message.replace(/^[A-Z]+: /, '').replace(/, write$/, '').replace(/, open '.*'$/, '');
    throw new OciError('ERR_CGROUP', `cgroup: write ${JSON.stringify(at.value)} to ${path}${at.pointer ? ` (config.json ${at.pointer})` : ''}: ${why}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * What createCgroups would make, before it makes anything: create journals it (a create killed
 * midway leaves these directories to delete --force; lib/lifecycle/recover.ts).
 */
export function cgroupsToMake(mode: CgroupMode, dirs: readonly CgroupDir[]): CgroupRecord {
  const created: string[] = [];
  for (const d of dirs) {
    const missing: string[] = [];
    for (let p = d.dir; p.length > d.base.length && !existsSync(p); p = dirname(p)) missing.unshift(p);
    created.push(...missing.filter((p) => !created.includes(p)));
  }
  return { mode, dirs: dirs.map((d) => ({ dir: d.dir, mount: d.hierarchy.mount, version: d.hierarchy.version, controllers: d.hierarchy.controllers })), created };
}

/** mkdir the cgroup and any missing parent below `base`; true when the leaf is new. */
function makeDirs(dir: string, base: string, created: string[]): boolean {
  // The common case in one call: the parent exists and the leaf does not.
  if (dir.length > base.length) {
    try {
      mkdirSync(dir);
      created.push(dir);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'ENOENT') throw new OciError('ERR_CGROUP', `cgroup: mkdir ${dir}: ${(err as Error).message}`);
    }
  }
  const missing: string[] = [];
  for (let p = dir; p.length > base.length && !existsSync(p); p = dirname(p)) missing.unshift(p);
  for (const p of missing) {
    try {
      mkdirSync(p);
      created.push(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new OciError('ERR_CGROUP', `cgroup: mkdir ${p}: ${(err as Error).message}`);
    }
  }
  return missing.length > 0 && created.includes(dir);
}

/**
 * An existing cgroup is joined only when it is fit for purpose (config-linux.md): not frozen, and
 * no process in it (another container's, say).
 */
function checkReusable(d: CgroupDir): void {
  // Its sub-cgroups' processes count too, as runc counts them (GetAllPids).
  const count = pidsUnder(d.dir).length;
  if (count) throw new OciError('ERR_CGROUP', `cgroup ${d.dir} is not empty: ${count} process(es) in it or below it`);
  if (isFrozenDir(d.dir, d.hierarchy.version)) throw new OciError('ERR_CGROUP', `cgroup ${d.dir} is frozen`);
}

export function isFrozenDir(dir: string, version: 1 | 2): boolean {
  try {
    if (version === 2) return /^frozen 1$/m.test(readFileSync(`${dir}/cgroup.events`, 'utf8')) || readFileSync(`${dir}/cgroup.freeze`, 'utf8').trim() === '1';
    return existsSync(`${dir}/freezer.state`) && readFileSync(`${dir}/freezer.state`, 'utf8').trim() !== 'THAWED';
  } catch {
    return false;
  }
}

/**
 * A new v1 cpuset cgroup has no cpus or mems, and no process can join it: copy the nearest
 * ancestor's that has them (a cgroup just made is not read: it is empty).
 */
function inheritCpuset(dir: string, made: boolean): void {
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    const chain: string[] = made ? [dir] : [];
    let p = made ? dirname(dir) : dir;
    let value: string;
    while (!(value = readFileSync(`${p}/${file}`, 'utf8').trim())) {
      chain.unshift(p);
      p = dirname(p);
    }
    for (const c of chain) writeCgroupFile(`${c}/${file}`, value);
  }
}

/** "+memory +pids" in cgroup.subtree_control of every ancestor, from the mount down. */
function enableControllers(d: CgroupDir, controllers: readonly string[]): void {
  const missing = controllers.filter((c) => !d.hierarchy.controllers.includes(c));
  if (missing.length) throw new OciError('ERR_CGROUP', `cgroup: the ${missing.join(', ')} controller(s) are not available in ${d.hierarchy.mount}`);
  const rel = posix.relative(d.hierarchy.mount, posix.dirname(d.dir));
  let p = d.hierarchy.mount;
  const text = controllers.map((c) => `+${c}`).join(' ');
  for (const part of ['', ...(rel ? rel.split('/') : [])]) {
    if (part) p = `${p}/${part}`;
    const have = readFileSync(`${p}/cgroup.subtree_control`, 'utf8').trim().split(/\s+/);
    if (controllers.every((c) => have.includes(c))) continue;
    writeCgroupFile(`${p}/cgroup.subtree_control`, text);
  }
}

function attachDeviceProgram(dir: string, insns: Uint8Array): void {
  const cg = openSync(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    const prog = bpfProgLoad(BPF_PROG_TYPE_CGROUP_DEVICE, insns, 'Apache');
    try {
      bpfProgAttach(cg, prog, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI);
    } finally {
      closeSync(prog);
    }
  } catch (err) {
    throw new OciError('ERR_CGROUP', `cgroup: device program for ${dir}: ${(err as Error).message}`);
  } finally {
    closeSync(cg);
  }
}

/**
 * delete's usual case, in one rmdir each: the container's processes are gone, so every directory
 * create made goes at once, deepest first. False at the first of the container's own that stays
 * (processes or cgroups in it; rmdir never removes a cgroup that has either), nothing more removed:
 * the caller then kills what is left and removes the rest with removeCgroups.
 */
export function removeEmptyCgroups(cg: CgroupRecord): boolean {
  const own = new Set(cg.dirs.map((d) => d.dir));
  // A cgroup create found and joined is not removed, so its emptiness is not proved by an rmdir.
  if (cg.dirs.some((d) => !cg.created.includes(d.dir))) return false;
  for (const dir of [...cg.created].reverse()) {
    try {
      rmdirSync(dir);
    } catch (err) {
      // A parent made on the way stays while something else is in it, as in removeCgroups.
      if (own.has(dir) && (err as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    }
  }
  return true;
}

/**
 * Remove the directories create made, deepest first. A cgroup whose last process has just exited
 * can refuse rmdir with EBUSY for a while (longer on a loaded host, and while the killed members of
 * its pid namespace exit): retried for up to 5 s. Returns what of the container's own could not go.
 */
export function removeCgroups(cg: CgroupRecord): string[] {
  const own = new Set(cg.dirs.map((d) => d.dir));
  // One budget for the whole removal, not one per directory.
  const deadline = Date.now() + 5000;
  const left: string[] = [];
  for (const dir of [...cg.created].reverse()) {
    if (own.has(dir)) {
      if (!rmdirRetry(dir, deadline)) left.push(dir);
      continue;
    }
    // A parent create made on the way: shared with whatever else was put below it since (another
    // container's cgroup), so it goes only if empty, and what is below it is never touched.
    try {
      rmdirSync(dir);
    } catch {
      // in use: it stays, as runc leaves every parent
    }
  }
  return left;
}

function rmdirRetry(dir: string, deadline: number): boolean {
  for (let i = 0; ; i++) {
    try {
      rmdirSync(dir);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      if (code !== 'EBUSY' || Date.now() > deadline) return false;
      // Busy with cgroups below it (made inside the container, or for exec --cgroup): those go
      // first, deepest first, as runc removes them. Looked for only then: delete's usual path
      // reads no directory.
      if (i === 0) for (const sub of cgroupTree(dir).slice(1).reverse()) rmdirRetry(sub, deadline);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}
