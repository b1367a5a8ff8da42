// --no-pivot's list of the host's procfs and sysfs mounts to detach (lib/host/pseudo-mounts.ts).
import { expect, it } from 'vitest';
import { hostPseudoMounts } from '../lib/host/pseudo-mounts.js';

const MOUNTINFO = [
  '22 1 0:21 / /proc rw,nosuid shared:12 - proc proc rw',
  '23 1 0:22 / /sys rw,nosuid shared:7 - sysfs sysfs rw',
  '40 23 0:35 / /sys/fs/cgroup ro - tmpfs tmpfs ro',
  '41 1 0:21 /sys /run/partial rw - proc proc rw',
  '42 1 0:44 / /run/with\\040space rw - proc proc rw',
  '43 1 0:45 / /bundle/rootfs/proc rw - proc proc rw',
  '44 23 0:46 / /sys/kernel/security rw - securityfs securityfs rw',
  '45 22 0:47 / /proc/sys/fs/binfmt_misc rw - binfmt_misc binfmt_misc rw',
  '46 23 0:48 / /sys/inner rw - sysfs sysfs rw',
].join('\n');

it('lists whole proc and sysfs mounts outside the rootfs, deepest first, names unescaped', () => {
  expect(hostPseudoMounts('/bundle/rootfs', MOUNTINFO)).toEqual(['/run/with space', '/sys/inner', '/proc', '/sys']);
});

it('without a rootfs (the plan cache key) lists every one', () => {
  expect(hostPseudoMounts(undefined, MOUNTINFO)).toContain('/bundle/rootfs/proc');
});
