// linux.resources → CgroupSettings for this host's layout: each controller is driven where it
// lives (its v1 hierarchy, else the unified one), and a limit whose controller the host lacks is
// an error (config-linux.md: "MUST generate an error when the configuration refers to a cgroup
// controller that is not present").
import { existsFact } from '../host/facts.js';
import type { LinuxDevice, LinuxResources } from '../spec/index.js';
import { deviceRules, v1DeviceLines } from './devices.js';
import { hierarchyOf, unifiedOf, type CgroupLayout, type Hierarchy } from './layout.js';
import { hugepageKb, invalid, refuse, type CgroupSettings, type Emitter } from './settings.js';
import { rdmaLines, v1BlockIO, v1Cpu, v1Hugetlb, v1Memory, v1NetCls, v1NetPrio } from './v1.js';
import { v2Cpu, v2Hugetlb, v2IO, v2Memory } from './v2.js';

const ROOT_POINTER = '/linux/resources';
/** Controller names on v2 where they differ from v1's. */
const V2_NAME: Record<string, string> = { blkio: 'io' };

/** `devices: false`: no device rules (rootless: the device cgroup needs root, as in runc). */
export function cgroupSettings(resources: LinuxResources | undefined, layout: CgroupLayout, linuxDevices?: readonly LinuxDevice[], opts: { devices?: boolean } = {}): CgroupSettings {
  const settings: CgroupSettings = { writes: [], enable: [] };
  const r = resources ?? {};
  const emitter = (controller: string, section: string): Emitter => {
    const pointer = `${ROOT_POINTER}/${section}`;
    const h = hierarchyOf(layout, controller) ?? hierarchyOf(layout, V2_NAME[controller] ?? controller);
    if (!h && layout.delegatedTo) refuse(pointer, `cannot set the ${controller} limit: no cgroup hierarchy offering the ${controller} controller is delegated ${layout.delegatedTo}; the container could not join or create such a cgroup`);
    if (!h) refuse(pointer, `the ${controller} cgroup controller is not available on this host (cgroup ${layout.mode})`);
    return emitterFor(settings, h, h.version === 2 ? V2_NAME[controller] ?? controller : controller, pointer);
  };
  const v1 = (e: Emitter) => versionOf(settings, e) === 1;

  if (r.memory && Object.keys(r.memory).length) {
    const e = emitter('memory', 'memory');
    (v1(e) ? v1Memory : v2Memory)(r.memory, e);
  }
  if (r.cpu) {
    const { cpus, mems, ...cpu } = r.cpu;
    if (Object.keys(cpu).length) {
      const e = emitter('cpu', 'cpu');
      (v1(e) ? v1Cpu : v2Cpu)(cpu, e);
    }
    if (cpus !== undefined || mems !== undefined) {
      const e = emitter('cpuset', 'cpu');
      if (cpus !== undefined) e.write('cpuset.cpus', cpus, 'cpus');
      if (mems !== undefined) e.write('cpuset.mems', mems, 'mems');
    }
  }
  if (r.pids) {
    const e = emitter('pids', 'pids');
    // 0 is a real limit (config-linux.md); below 0, none.
    e.write('pids.max', r.pids.limit < 0 ? 'max' : r.pids.limit, 'limit');
  }
  if (r.blockIO && Object.keys(r.blockIO).length) {
    const e = emitter('blkio', 'blockIO');
    (v1(e) ? v1BlockIO : v2IO)(r.blockIO, e);
  }
  if (r.hugepageLimits?.length) {
    const e = emitter('hugetlb', 'hugepageLimits');
    r.hugepageLimits.forEach((l, i) => {
      if (!existsFact(`/sys/kernel/mm/hugepages/hugepages-${hugepageKb(l.pageSize)}kB`) && /^\d+(KB|MB|GB)$/.test(l.pageSize)) {
        invalid(`${e.pointer}/${i}/pageSize`, `this host has no ${l.pageSize} huge pages`);
      }
      (v1(e) ? v1Hugetlb : v2Hugetlb)(l, i, e);
    });
  }
  if (r.network) {
    if (r.network.classID !== undefined) v1NetCls(r.network, v1Only(emitter('net_cls', 'network'), settings));
    if (r.network.priorities?.length) v1NetPrio(r.network, v1Only(emitter('net_prio', 'network'), settings));
  }
  if (r.rdma && Object.keys(r.rdma).length) rdmaLines(r.rdma, emitter('rdma', 'rdma'));
  const rules = opts.devices === false ? [] : deviceRules(r.devices, linuxDevices);
  if (rules.length) {
    const devices = hierarchyOf(layout, 'devices');
    if (devices?.version === 1) {
      const e = emitterFor(settings, devices, 'devices', `${ROOT_POINTER}/devices`);
      for (const { file, line } of v1DeviceLines(rules)) e.write(file, line, '');
    } else if (unifiedOf(layout)) settings.bpfDevices = rules;
    else refuse(`${ROOT_POINTER}/devices`, 'this host has no device cgroup controller');
  }
  if (r.unified && Object.keys(r.unified).length) unifiedKeys(r.unified, layout, settings);
  return settings;
}

/** Raw v2 files: written as given (config-linux.md "Unified"), into the unified hierarchy. */
function unifiedKeys(keys: Record<string, string>, layout: CgroupLayout, settings: CgroupSettings): void {
  const h = unifiedOf(layout);
  const pointer = `${ROOT_POINTER}/unified`;
  if (!h && layout.delegatedTo) refuse(pointer, `unified keys need a cgroup v2 hierarchy delegated ${layout.delegatedTo}`);
  if (!h) refuse(pointer, 'unified keys need cgroup v2, and this host has only cgroup v1 hierarchies');
  for (const [key, value] of Object.entries(keys)) {
    const at = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!/^[a-z_0-9]+\.[a-zA-Z0-9_.]+$/.test(key)) invalid(at, `"${key}" is not a cgroup file name`);
    const controller = key.slice(0, key.indexOf('.'));
    if (controller === 'cgroup' && (key === 'cgroup.procs' || key === 'cgroup.threads' || key === 'cgroup.subtree_control')) {
      invalid(at, `${key} is the runtime's to manage`);
    }
    if (controller !== 'cgroup' && !h.controllers.includes(controller)) {
      refuse(at, `the ${controller} controller is not available in ${h.mount} (${h.controllers.join(' ') || 'none offered'})`);
    }
    emitterFor(settings, h, controller, pointer).write(key, value, key);
  }
}

function versionOf(settings: CgroupSettings, e: Emitter): 1 | 2 {
  return (e as Emitter & { version: 1 | 2 }).version;
}

function v1Only(e: Emitter, settings: CgroupSettings): Emitter {
  if (versionOf(settings, e) !== 1) e.refuse('', 'net_cls and net_prio exist only on cgroup v1');
  return e;
}

function emitterFor(settings: CgroupSettings, h: Hierarchy, controller: string, pointer: string): Emitter & { version: 1 | 2 } {
  return {
    version: h.version,
    pointer,
    write(file, value, field, options) {
      if (h.version === 2 && controller !== 'cgroup' && !settings.enable.includes(controller)) settings.enable.push(controller);
      const w = { mount: h.mount, file, value: String(value), pointer: field ? `${pointer}/${field}` : pointer };
      settings.writes.push(options?.optional ? { ...w, optional: true } : w);
    },
    has: (file) => existsFact(`${h.mount}/${file}`),
    refuse: (field, why) => refuse(field ? `${pointer}/${field}` : pointer, why),
  };
}
