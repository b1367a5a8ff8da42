// Positive controls of the features that runtimes commonly lack, shared by the test files that
// test them (see features.ts). Each control runs one small valid config and observes its effect.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { byProbe, ineffective, refused, works, type Feature } from './features.js';
import { cgroupMounts, procCgroups } from './host.js';
import { tmpfs } from './patches.js';

/** hooks: a createRuntime hook runs during create */
export const HOOKS: Feature = {
  name: 'hooks',
  async control(h) {
    const mark = h.path('hooks-control-ran');
    const b = h.bundle({ args: ['true'], patch: (c) => (c.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `echo ran > ${mark}`] }] }) });
    const r = await h.run(b);
    if (r.code !== 0) return refused(r);
    return existsSync(mark) ? works() : ineffective('a createRuntime hook did not run');
  },
};

/** seccomp: an SCMP_ACT_ERRNO rule refuses mkdir with EPERM */
export const SECCOMP: Feature = {
  name: 'seccomp',
  async control(h) {
    const r = await h.probe('mkdir /tmp/x 2>&1; grep ^Seccomp: /proc/self/status', (c) => {
      c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
      tmpfs(c, '/tmp');
    });
    return byProbe(r, (out) => (/Operation not permitted/.test(out) ? undefined : 'mkdir was not refused by the filter'));
  },
};

/** cgroups: the container is placed in cgroupsPath and a pids limit is written there */
export const CGROUPS: Feature = {
  name: 'cgroups',
  async control(h) {
    const controller = cgroupMounts().has('pids') ? 'pids' : cgroupMounts().has('') ? '' : undefined;
    if (controller === undefined) return ineffective('no pids controller on this host to observe');
    const b = h.bundle({ args: ['sleep', '600'], patch: (c) => (c.linux.resources.pids = { limit: 55 }) });
    const r = await h.create(b);
    if (r.code !== 0) return refused(r);
    const pid = (await h.mustState(b.id)).pid!;
    const path = procCgroups(pid).get(controller);
    if (path !== b.config.linux.cgroupsPath) return ineffective(`the container's ${controller || 'v2'} cgroup is ${path}, not cgroupsPath ${b.config.linux.cgroupsPath}`);
    const max = readFileSync(join(cgroupMounts().get(controller)!, b.config.linux.cgroupsPath, 'pids.max'), 'utf8').trim();
    return max === '55' ? works() : ineffective(`pids.max of the container's cgroup is ${max}, not 55`);
  },
};
