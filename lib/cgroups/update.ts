// runc update: new limits on a live container, written the way create writes them, with the
// order v1 needs when memory grows (memory+swap first) and checkBeforeUpdate's usage check.
import { readFileSync } from 'node:fs';
import { OciError } from '../errors.js';
import type { LinuxResources } from '../spec/index.js';
import { writeAll } from './create.js';
import type { CgroupLayout } from './layout.js';
import { dirOf, type CgroupRecord } from './record.js';
import { cgroupSettings } from './resources.js';

export function updateCgroups(cg: CgroupRecord, resources: LinuxResources): void {
  if (resources.devices?.length) throw new OciError('ERR_NOT_SUPPORTED', 'update: device rules cannot be changed on a live container (runc neither)');
  const layout: CgroupLayout = { mode: cg.mode, hierarchies: cg.dirs.map((d) => ({ mount: d.mount, version: d.version, controllers: d.controllers })) };
  const mem = dirOf(cg, 'memory');
  const r = structuredClone(resources);
  if (r.memory && mem) {
    const current = (file: string) => readFileSync(`${mem.dir}/${file}`, 'utf8').trim();
    // v2's swap.max is swap alone: computed from the limit in force when none is given.
    if (mem.version === 2 && r.memory.swap !== undefined && r.memory.limit === undefined) {
      const max = current('memory.max');
      r.memory.limit = max === 'max' ? -1 : Number(max);
      if (r.memory.limit === -1) delete r.memory.limit;
    }
    if (r.memory.checkBeforeUpdate && r.memory.limit !== undefined && r.memory.limit !== -1) {
      const usage = Number(current(mem.version === 1 ? 'memory.usage_in_bytes' : 'memory.current'));
      if (r.memory.limit < usage) {
        throw new OciError('ERR_CGROUP', `update: memory limit ${r.memory.limit} is below the current usage ${usage} (checkBeforeUpdate)`);
      }
    }
  }
  let settings;
  try {
    settings = cgroupSettings(r, layout);
  } catch (err) {
    // The same checks as create's, about the update's resources rather than config.json.
    if (err instanceof OciError) throw new OciError(err.code, err.message.replace(/^config\.json: \/linux\/resources/, 'update: resources'));
    throw err;
  }
  if (mem?.version === 1 && r.memory?.limit !== undefined && r.memory.swap !== undefined) {
    // Growing: memory+swap must be raised before the limit under it, and shrinking the reverse.
    const now = Number(readFileSync(`${mem.dir}/memory.limit_in_bytes`, 'utf8'));
    const grows = r.memory.limit === -1 || r.memory.limit > now;
    const i = settings.writes.findIndex((w) => w.file === 'memory.limit_in_bytes');
    const j = settings.writes.findIndex((w) => w.file === 'memory.memsw.limit_in_bytes');
    if (grows && i >= 0 && j > i) settings.writes.splice(i, 0, settings.writes.splice(j, 1)[0]!);
  }
  const unified = cg.dirs.find((d) => d.version === 2);
  if (unified && settings.enable.length) {
    const missing = settings.enable.filter((c) => !readFileSync(`${unified.dir}/cgroup.controllers`, 'utf8').split(/\s+/).includes(c));
    if (missing.length) throw new OciError('ERR_CGROUP', `update: the ${missing.join(', ')} controller(s) are not enabled for ${unified.dir}`);
  }
  writeAll(settings.writes, new Map(cg.dirs.map((d) => [d.mount, d.dir])));
}

