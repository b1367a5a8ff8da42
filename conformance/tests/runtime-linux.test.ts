// runtime-linux.md#file-descriptors and #dev-symbolic-links.
import { readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { describe, describeResult, expect, spec, test } from '../harness/harness.js';

describe('runtime-linux.md#file-descriptors', () => {
  test(spec('runtime-linux.md#file-descriptors', 'RTL-FD-001', 'by default only stdin, stdout and stderr are open in the container process'), async ({ h }) => {
    const b = h.bundle({ args: ['sleep', '600'] });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    const s = await h.mustState(b.id);
    expect(readdirSync(`/proc/${s.pid}/fd`).sort()).toEqual(['0', '1', '2']);
  });

  test(spec('runtime-linux.md#file-descriptors', 'RTL-FD-002', 'additional fds may be passed (--preserve-fds) and then appear from fd 3'), async ({ h }) => {
    const extra = h.path('extra-fd');
    writeFileSync(extra, 'passed');
    const b = h.bundle({ args: ['sleep', '600'] });
    const c = await h.create(b, { extra: ['--preserve-fds', '1'], extraFiles: [extra] });
    expect(c.code, describeResult(c)).toBe(0);
    await h.mustStart(b.id);
    const s = await h.mustState(b.id);
    expect(readdirSync(`/proc/${s.pid}/fd`).sort()).toEqual(['0', '1', '2', '3']);
    expect(readlinkSync(`/proc/${s.pid}/fd/3`)).toBe(extra);
  });
});

describe('runtime-linux.md#dev-symbolic-links', () => {
  const links: [string, string][] = [
    ['/dev/fd', '/proc/self/fd'],
    ['/dev/stdin', '/proc/self/fd/0'],
    ['/dev/stdout', '/proc/self/fd/1'],
    ['/dev/stderr', '/proc/self/fd/2'],
  ];
  for (const [dest, src] of links) {
    test(spec('runtime-linux.md#dev-symbolic-links', `RTL-DEVLINK-${dest.slice(5)}`, `${dest} is a symlink to ${src}`), async ({ h }) => {
      expect(await h.mustProbe(`readlink ${dest}`)).toBe(`${src}\n`);
    });
  }

  test(spec('runtime-linux.md#dev-symbolic-links', 'RTL-DEVLINK-AFTER-MOUNTS', 'the symlinks are created after mounts are processed (a fresh /dev tmpfs still has them)'), async ({ h }) => {
    const out = await h.mustProbe('for l in fd stdin stdout stderr; do readlink /dev/$l; done', (c) => {
      // replace the config's /dev with a second, later tmpfs: links made before it would be hidden
      c.mounts.push({ destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755'] });
    });
    expect(out).toBe('/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\n');
  });
});
