// CVE-2019-19921 and its regression CVE-2023-27561: a mount over /proc or inside it hides or
// fakes what the runtime relies on there (the LSM attributes, masked and read-only paths, the
// sysctls), and an image's symlink can lead a mount destination there. Only a procfs goes on
// /proc, and inside it only the files lxcfs emulates (runc's checkProcMount); a target that
// resolves into procfs is refused when mounted.
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { copyRootfs } from '../support/rootfs.js';

const h = useHarness('attack-procmnt');

describe('CVE-2023-27561 / CVE-2019-19921: nothing is mounted over /proc', () => {
  it('a bind over /proc itself is refused: not of type proc', async () => {
    const fake = h.dir('fakeproc');
    const r = await h.sh('true', (s) => s.mounts!.push({ destination: '/proc', type: 'bind', source: fake, options: ['rbind'] }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^ocirun: config\.json: \/mounts\/\d+: "\/proc" cannot be mounted because it is not of type proc\n/);
    h.expectClean();
  });

  it('a bind inside /proc (a fake sysrq-trigger, a tmpfs on /proc/sys) is refused: inside /proc', async () => {
    const file = join(h.dir('f'), 'x');
    writeFileSync(file, '');
    for (const mount of [
      { destination: '/proc/sysrq-trigger', type: 'bind', source: file, options: ['bind'] },
      { destination: '/proc/sys/', type: 'tmpfs', source: 'tmpfs', options: [] as string[] },
    ]) {
      const r = await h.sh('true', (s) => s.mounts!.push(mount));
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`"${mount.destination}" cannot be mounted because it is inside /proc`);
    }
    h.expectClean();
  });

  it('a destination through an image symlink into /proc is refused when mounted, naming the mount', async () => {
    const rootfs = copyRootfs(h.dir('rootfs'));
    // Resolved inside the root after procfs is mounted: /evil/hostname is /proc/sys/kernel/hostname.
    symlinkSync('/proc/sys/kernel', join(rootfs, 'evil'));
    const file = join(h.dir('f'), 'hostname');
    writeFileSync(file, 'faked\n');
    const bundle = h.bundle((s) => {
      s.process!.args = ['cat', '/proc/sys/kernel/hostname'];
      s.mounts!.push({ destination: '/evil/hostname', type: 'bind', source: file, options: ['bind'] });
    }, { rootfs });
    const r = await h.cli(['run', '--bundle', bundle, h.id('evil')]);
    expect(r.stdout).not.toContain('faked');
    expect(r.stderr).toBe(`ocirun: create: mount ${file} on /evil/hostname: the target resolved inside /proc (a symlink in the rootfs leads there), where nothing may be mounted: operation not permitted\n`);
    expect(r.code).not.toBe(0);
  });

  it('the files lxcfs emulates may still be bound (/proc/cpuinfo, /proc/meminfo)', async () => {
    const dir = h.dir('lxcfs');
    writeFileSync(join(dir, 'cpuinfo'), 'emulated cpuinfo\n');
    const r = await h.sh('cat /proc/cpuinfo', (s) => s.mounts!.push({ destination: '/proc/cpuinfo', type: 'bind', source: join(dir, 'cpuinfo'), options: ['bind', 'ro'] }));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('emulated cpuinfo\n');
  });
});
