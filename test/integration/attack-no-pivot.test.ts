// --no-pivot enters the rootfs with MS_MOVE + chroot: the host's mount tree stays in the
// container's mount namespace underneath. The kernel lets a process mount a fresh procfs or sysfs
// (in a user namespace of its own) only while a full one is visible in its mount namespace; the
// host's /proc and /sys, still there under the chroot, made that possible (runc's msMoveRoot
// detaches them). Attack: unshare a user, mount and pid namespace inside the container and mount
// proc; with the host's detached, the kernel refuses (EPERM), as under pivot_root.
import { describe, expect, it } from 'vitest';
import type { Spec } from '../../lib/spec/index.js';
import { useHarness } from '../support/harness.js';

const h = useHarness('attack-no-pivot');

// As a non-root user: mapping the parent's root in a user namespace needs CAP_SETFCAP, which the
// default capabilities lack; mapping oneself needs nothing. -n: sysfs is mounted for a network
// namespace its user namespace owns.
const asUser = (s: Spec) => {
  s.process!.user = { uid: 1000, gid: 1000 };
};
const ATTACK = 'unshare -mrpfn sh -c "mount -t proc none /proc && echo PROC-MOUNTED; mount -t sysfs none /sys && echo SYSFS-MOUNTED"; echo done';

describe('run --no-pivot: the host\'s proc and sysfs are not reachable', () => {
  it('a fresh proc or sysfs cannot be mounted from a user namespace inside the container', async () => {
    const r = await h.sh(ATTACK, asUser, { flags: ['--no-pivot'] });
    expect(r.stderr).toBe('mount: permission denied (are you root?)\nmount: permission denied (are you root?)\n');
    expect(r.stdout).not.toMatch(/MOUNTED/);
    expect(r.stdout).toContain('done');
    expect(r.code).toBe(0);
  });

  it('the same container with pivot_root is refused the same way (the baseline)', async () => {
    const r = await h.sh(ATTACK, asUser);
    expect(r.stderr).toBe('mount: permission denied (are you root?)\nmount: permission denied (are you root?)\n');
    expect(r.stdout).not.toMatch(/MOUNTED/);
    expect(r.stdout).toContain('done');
  });

  it('the container\'s own /proc and /sys still work with --no-pivot', async () => {
    const r = await h.sh('grep -c . /proc/self/status >/dev/null && ls /sys/kernel >/dev/null && echo ok', undefined, { flags: ['--no-pivot'] });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok\n');
  });
});
