// config.md#root, #mounts and #linux-mount-options. The container prints its own
// /proc/self/mountinfo; the assertions parse it on the host.
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, describeResult, expect, featureTest, spec, test, type Harness } from '../harness/harness.js';
import { byProbe, type Feature } from '../harness/features.js';
import { mountAt, parseMountinfo, type MountInfo } from '../harness/host.js';
import { addMount, bind, tmpfs, userns } from '../harness/patches.js';
import type { Config } from '../harness/bundle.js';

const T = '/mnt/t';
const SUB = '/mnt/t/sub';

/** id-mapped mounts: a file owned by 0:0 on the host shows the mount's mapping in the container */
const IDMAP: Feature = {
  name: 'idmapped mounts',
  async control(h) {
    const src = h.mkdir('idmap-control');
    writeFileSync(join(src, 'file'), 'x');
    chownSync(join(src, 'file'), 0, 0);
    const r = await h.probe(`stat -c '%u:%g' ${T}/file`, (x) =>
      addMount(x, { destination: T, type: 'bind', source: src, options: ['bind', 'idmap'], uidMappings: [{ containerID: 0, hostID: 1234, size: 1 }], gidMappings: [{ containerID: 0, hostID: 4321, size: 1 }] } as never),
    );
    return byProbe(r, (out) => (out.trim() === '1234:4321' ? undefined : `the file shows as ${out.trim()}, not 1234:4321`));
  },
};
const idmapTest = featureTest(IDMAP);
const idmapRefusal = featureTest(IDMAP, { mustWork: true });

async function mountsSeen(h: Harness, patch: (c: Config) => void): Promise<MountInfo[]> {
  const out = await h.mustProbe('cat /proc/self/mountinfo', patch);
  return parseMountinfo(out);
}

/** A host dir with a tmpfs submount `sub` (mounted with `subOptions`), for recursive options. */
function hostTreeWithSubmount(h: Harness, name: string, subOptions = ''): string {
  const src = h.mkdir(name);
  mkdirSync(join(src, 'sub'));
  execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', join(src, 'sub')]);
  writeFileSync(join(src, 'sub', 'marker'), 'sub');
  if (subOptions) execFileSync('mount', ['-o', `remount,${subOptions}`, join(src, 'sub')]);
  return src;
}

/** A host tmpfs made shared, so copies of it in the container's mount namespace join its peer group. */
function sharedHostMount(h: Harness, name: string): string {
  const src = h.mkdir(name);
  execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', src]);
  execFileSync('mount', ['--make-shared', src]);
  return src;
}

const has = (list: string[], x: string) => list.includes(x);
const propagation = (m: MountInfo | undefined) =>
  m ? (m.optional.some((o) => o.startsWith('shared:')) ? 'shared' : m.optional.some((o) => o.startsWith('master:')) ? 'slave' : m.optional.includes('unbindable') ? 'unbindable' : 'private') : 'absent';

describe('config.md#root', () => {
  test(spec('config.md#root', 'CFG-ROOT-001', 'root.path relative to the bundle is used as the root filesystem'), async ({ h }) => {
    const b = h.bundle({ args: ['cat', '/marker'], patch: (c) => (c.root.path = 'rootfs') });
    writeFileSync(join(b.rootfs, 'marker'), 'relative-root');
    const r = await h.run(b);
    expect(r.stdout, describeResult(r)).toBe('relative-root');
  });

  test(spec('config.md#root', 'CFG-ROOT-002', 'an absolute root.path is used as the root filesystem'), async ({ h }) => {
    const b = h.bundle({ args: ['cat', '/marker'], patch: (c, x) => (c.root.path = join(x.dir, 'rootfs')) });
    writeFileSync(join(b.rootfs, 'marker'), 'absolute-root');
    const r = await h.run(b);
    expect(r.stdout, describeResult(r)).toBe('absolute-root');
  });

  test(spec('config.md#root', 'CFG-ROOT-003', 'a root.path that does not exist generates an error'), async ({ h }) => {
    const b = h.bundle({ patch: (c) => (c.root.path = 'no-such-rootfs') });
    const r = await h.create(b);
    h.expectError(r, /no-such-rootfs/);
  });

  test(spec('config.md#root', 'CFG-ROOT-004', 'a root.path that is not a directory generates an error'), async ({ h }) => {
    const b = h.bundle({
      patch: (c, x) => {
        writeFileSync(join(x.dir, 'rootfs-file'), 'not a dir');
        c.root.path = 'rootfs-file';
      },
    });
    const r = await h.create(b);
    h.expectError(r, /rootfs-file|not a directory/i);
  });

  test(spec('config.md#root', 'CFG-ROOT-005', 'root.readonly true makes the root filesystem read-only'), async ({ h }) => {
    const r = await h.probe('cat /proc/self/mountinfo; touch /should-fail && echo WROTE', (c) => (c.root.readonly = true));
    expect(r.stdout).not.toContain('WROTE');
    expect(mountAt(parseMountinfo(r.stdout), '/')?.mountOptions, describeResult(r)).toContain('ro');
  });

  test(spec('config.md#root', 'CFG-ROOT-006', 'root.readonly false (the default) leaves the root filesystem writable'), async ({ h }) => {
    const out = await h.mustProbe('touch /written && echo WROTE', (c) => delete c.root.readonly);
    expect(out).toBe('WROTE\n');
  });
});

describe('config.md#mounts', () => {
  test(spec('config.md#mounts', 'CFG-MOUNTS-001', 'mounts are mounted in the listed order'), async ({ h }) => {
    const ms = await mountsSeen(h, (c) => {
      tmpfs(c, '/mnt/a', ['size=1m']);
      tmpfs(c, '/mnt/a/b', ['size=2m']);
    });
    const a = mountAt(ms, '/mnt/a');
    const b = mountAt(ms, '/mnt/a/b');
    expect(a).toBeDefined();
    expect(b, '/mnt/a/b hidden: mounted before /mnt/a').toBeDefined();
    expect(b!.parent).toBe(a!.id);
  });

  test(spec('config.md#mounts', 'CFG-MOUNTS-002', 'a relative mount destination is interpreted relative to "/"'), async ({ h }) => {
    const ms = await mountsSeen(h, (c) => tmpfs(c, 'relative-dest'));
    expect(mountAt(ms, '/relative-dest')?.fstype).toBe('tmpfs');
  });

  test(spec('config.md#mounts', 'CFG-MOUNTS-003', 'a bind mount source relative to the bundle is resolved against the bundle'), async ({ h }) => {
    const out = await h.mustProbe('cat /data/file', (c, b) => {
      mkdirSync(join(b.dir, 'data'));
      writeFileSync(join(b.dir, 'data', 'file'), 'from-bundle');
      addMount(c, { destination: '/data', type: 'bind', source: 'data', options: ['bind'] });
    });
    expect(out).toBe('from-bundle');
  });

  test(spec('config.md#mounts', 'CFG-MOUNTS-004', 'a bind mount is recognised by the bind option whatever the type'), async ({ h }) => {
    const src = h.mkdir('src');
    writeFileSync(join(src, 'file'), 'bound');
    const out = await h.mustProbe('cat /data/file', (c) => addMount(c, { destination: '/data', type: 'none', source: src, options: ['bind'] }));
    expect(out).toBe('bound');
  });

  test(spec('config.md#mounts', 'CFG-MOUNTS-005', 'unknown options are passed to mount(2) as filesystem data'), async ({ h }) => {
    const ms = await mountsSeen(h, (c) => tmpfs(c, T, ['size=2m', 'mode=711', 'nr_inodes=1234']));
    const m = mountAt(ms, T);
    expect(m?.superOptions).toEqual(expect.arrayContaining(['size=2048k', 'mode=711', 'nr_inodes=1234']));
  });

  test(spec('config.md#mounts', 'CFG-MOUNTS-006', 'the mount type is the filesystem type given'), async ({ h }) => {
    const ms = await mountsSeen(h, (c) => addMount(c, { destination: '/proc2', type: 'proc', source: 'proc' }));
    expect(mountAt(ms, '/proc2')?.fstype).toBe('proc');
  });

  idmapRefusal(spec('config.md#mounts', 'CFG-MOUNTS-007', 'uidMappings without gidMappings generates an error'), async ({ h }) => {
    const src = h.mkdir('src');
    const b = h.bundle({
      patch: (c) => addMount(c, { destination: T, type: 'bind', source: src, options: ['bind', 'idmap'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] } as never),
    });
    const r = await h.create(b);
    h.expectError(r, /gidMappings|mappings/i);
  });

  idmapRefusal(spec('config.md#mounts', 'CFG-MOUNTS-008', 'gidMappings without uidMappings generates an error'), async ({ h }) => {
    const src = h.mkdir('src');
    const b = h.bundle({
      patch: (c) => addMount(c, { destination: T, type: 'bind', source: src, options: ['bind', 'idmap'], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] } as never),
    });
    const r = await h.create(b);
    h.expectError(r, /uidMappings|mappings/i);
  });
});

interface OptCase {
  opt: string;
  /** options given to the tmpfs at /mnt/t; default [opt] */
  options?: string[];
  check: (m: MountInfo) => void;
  level: 'MUST' | 'SHOULD';
}

// Per-mount flags and superblock flags, on a tmpfs. Clearing options are given after the option
// they clear: mount(8) applies options left to right.
const tmpfsCases: OptCase[] = [
  { opt: 'async', options: ['sync', 'async'], check: (m) => expect(m.superOptions).not.toContain('sync'), level: 'MUST' },
  { opt: 'atime', options: ['noatime', 'atime'], check: (m) => expect(m.mountOptions).not.toContain('noatime'), level: 'MUST' },
  { opt: 'defaults', check: (m) => expect(m.mountOptions).toContain('rw'), level: 'MUST' },
  { opt: 'dev', options: ['nodev', 'dev'], check: (m) => expect(m.mountOptions).not.toContain('nodev'), level: 'MUST' },
  { opt: 'diratime', options: ['nodiratime', 'diratime'], check: (m) => expect(m.mountOptions).not.toContain('nodiratime'), level: 'MUST' },
  { opt: 'dirsync', check: (m) => expect(m.superOptions).toContain('dirsync'), level: 'MUST' },
  { opt: 'exec', options: ['noexec', 'exec'], check: (m) => expect(m.mountOptions).not.toContain('noexec'), level: 'MUST' },
  // i_version is not shown in mountinfo: the option must at least be understood (tmpfs rejects it as data)
  { opt: 'iversion', check: (m) => expect(m.fstype).toBe('tmpfs'), level: 'MUST' },
  { opt: 'lazytime', check: (m) => expect(m.superOptions).toContain('lazytime'), level: 'MUST' },
  { opt: 'loud', options: ['silent', 'loud'], check: (m) => expect(m.fstype).toBe('tmpfs'), level: 'MUST' },
  { opt: 'noatime', check: (m) => expect(m.mountOptions).toContain('noatime'), level: 'MUST' },
  { opt: 'nodev', check: (m) => expect(m.mountOptions).toContain('nodev'), level: 'MUST' },
  { opt: 'nodiratime', check: (m) => expect(m.mountOptions).toContain('nodiratime'), level: 'MUST' },
  { opt: 'noexec', check: (m) => expect(m.mountOptions).toContain('noexec'), level: 'MUST' },
  { opt: 'noiversion', options: ['iversion', 'noiversion'], check: (m) => expect(m.fstype).toBe('tmpfs'), level: 'MUST' },
  { opt: 'nolazytime', options: ['lazytime', 'nolazytime'], check: (m) => expect(m.superOptions).not.toContain('lazytime'), level: 'MUST' },
  // the kernel defaults to relatime when no atime flag is set, so only acceptance is observable
  { opt: 'norelatime', check: (m) => expect(m.mountOptions).not.toContain('noatime'), level: 'MUST' },
  { opt: 'nostrictatime', options: ['strictatime', 'nostrictatime'], check: (m) => expect(m.mountOptions).toContain('relatime'), level: 'MUST' },
  { opt: 'nosuid', check: (m) => expect(m.mountOptions).toContain('nosuid'), level: 'MUST' },
  { opt: 'relatime', options: ['relatime'], check: (m) => expect(m.mountOptions).toContain('relatime'), level: 'MUST' },
  { opt: 'ro', check: (m) => expect(m.mountOptions).toContain('ro'), level: 'MUST' },
  { opt: 'rw', options: ['ro', 'rw'], check: (m) => expect(m.mountOptions).toContain('rw'), level: 'MUST' },
  { opt: 'silent', check: (m) => expect(m.fstype).toBe('tmpfs'), level: 'MUST' },
  {
    opt: 'strictatime',
    check: (m) => {
      expect(m.mountOptions).not.toContain('relatime');
      expect(m.mountOptions).not.toContain('noatime');
    },
    level: 'MUST',
  },
  { opt: 'suid', options: ['nosuid', 'suid'], check: (m) => expect(m.mountOptions).not.toContain('nosuid'), level: 'MUST' },
  { opt: 'sync', check: (m) => expect(m.superOptions).toContain('sync'), level: 'MUST' },
  { opt: 'nosymfollow', check: (m) => expect(m.mountOptions).toContain('nosymfollow'), level: 'SHOULD' },
  { opt: 'symfollow', options: ['nosymfollow', 'symfollow'], check: (m) => expect(m.mountOptions).not.toContain('nosymfollow'), level: 'SHOULD' },
];

// Recursive (AT_RECURSIVE) options: rbind of a host tree whose submount must change too.
interface RecCase {
  opt: string;
  /** host mount options of the submount before the container changes it */
  subOptions: string;
  check: (m: MountInfo) => void;
}
const recursiveCases: RecCase[] = [
  { opt: 'rro', subOptions: '', check: (m) => expect(m.mountOptions).toContain('ro') },
  { opt: 'rrw', subOptions: 'ro', check: (m) => expect(m.mountOptions).toContain('rw') },
  { opt: 'rnosuid', subOptions: '', check: (m) => expect(m.mountOptions).toContain('nosuid') },
  { opt: 'rsuid', subOptions: 'nosuid', check: (m) => expect(m.mountOptions).not.toContain('nosuid') },
  { opt: 'rnodev', subOptions: '', check: (m) => expect(m.mountOptions).toContain('nodev') },
  { opt: 'rdev', subOptions: 'nodev', check: (m) => expect(m.mountOptions).not.toContain('nodev') },
  { opt: 'rnoexec', subOptions: '', check: (m) => expect(m.mountOptions).toContain('noexec') },
  { opt: 'rexec', subOptions: 'noexec', check: (m) => expect(m.mountOptions).not.toContain('noexec') },
  { opt: 'rnoatime', subOptions: '', check: (m) => expect(m.mountOptions).toContain('noatime') },
  { opt: 'ratime', subOptions: 'noatime', check: (m) => expect(m.mountOptions).not.toContain('noatime') },
  { opt: 'rnodiratime', subOptions: '', check: (m) => expect(m.mountOptions).toContain('nodiratime') },
  { opt: 'rdiratime', subOptions: 'nodiratime', check: (m) => expect(m.mountOptions).not.toContain('nodiratime') },
  { opt: 'rrelatime', subOptions: 'strictatime', check: (m) => expect(m.mountOptions).toContain('relatime') },
  { opt: 'rnorelatime', subOptions: '', check: (m) => expect(m.mountOptions).not.toContain('noatime') },
  {
    opt: 'rstrictatime',
    subOptions: '',
    check: (m) => {
      expect(m.mountOptions).not.toContain('relatime');
      expect(m.mountOptions).not.toContain('noatime');
    },
  },
  { opt: 'rnostrictatime', subOptions: 'strictatime', check: (m) => expect(m.mountOptions).toContain('relatime') },
  { opt: 'rnosymfollow', subOptions: '', check: (m) => expect(m.mountOptions).toContain('nosymfollow') },
  { opt: 'rsymfollow', subOptions: 'nosymfollow', check: (m) => expect(m.mountOptions).not.toContain('nosymfollow') },
];

describe('config.md#linux-mount-options', () => {
  for (const c of tmpfsCases) {
    test(spec('config.md#linux-mount-options', `CFG-MOPT-${c.opt}`, `${c.level}: option "${c.opt}" has its mount(8) effect`), async ({ h }) => {
      const m = mountAt(await mountsSeen(h, (x) => tmpfs(x, T, c.options ?? [c.opt])), T);
      expect(m, `no mount at ${T}`).toBeDefined();
      c.check(m!);
    });
  }

  for (const c of recursiveCases) {
    test(spec('config.md#linux-mount-options', `CFG-MOPT-${c.opt}`, `SHOULD: recursive option "${c.opt}" applies to the bind mount and its submounts`), async ({ h }) => {
      const src = hostTreeWithSubmount(h, 'src', c.subOptions);
      const ms = await mountsSeen(h, (x) => bind(x, src, T, ['rbind', c.opt]));
      const top = mountAt(ms, T);
      const sub = mountAt(ms, SUB);
      expect(top, `no mount at ${T}`).toBeDefined();
      expect(sub, `no submount at ${SUB}`).toBeDefined();
      c.check(top!);
      c.check(sub!);
    });
  }

  test(spec('config.md#linux-mount-options', 'CFG-MOPT-bind', 'MUST: option "bind" bind-mounts the source without its submounts'), async ({ h }) => {
    const src = hostTreeWithSubmount(h, 'src');
    writeFileSync(join(src, 'top'), 'top');
    const out = await h.mustProbe(`cat ${T}/top; ls ${SUB}; cat /proc/self/mountinfo`, (x) => bind(x, src, T, ['bind']));
    expect(out.startsWith('top')).toBe(true);
    expect(out).not.toContain('marker');
    expect(mountAt(parseMountinfo(out), SUB)).toBeUndefined();
  });

  test(spec('config.md#linux-mount-options', 'CFG-MOPT-rbind', 'MUST: option "rbind" bind-mounts the source with its submounts'), async ({ h }) => {
    const src = hostTreeWithSubmount(h, 'src');
    const out = await h.mustProbe(`cat ${SUB}/marker`, (x) => bind(x, src, T, ['rbind']));
    expect(out).toBe('sub');
  });

  // Propagation: a host tmpfs made shared is the source; the container's copy of it starts in the
  // host's peer group when rootfsPropagation is shared, so each option has something to change.
  const propCases: [string, string, boolean][] = [
    ['shared', 'shared', false],
    ['rshared', 'shared', false],
    ['private', 'private', true],
    ['rprivate', 'private', true],
    ['slave', 'slave', true],
    ['rslave', 'slave', true],
    ['unbindable', 'unbindable', true],
    ['runbindable', 'unbindable', true],
  ];
  for (const [opt, want, fromShared] of propCases) {
    test(spec('config.md#linux-mount-options', `CFG-MOPT-${opt}`, `MUST: option "${opt}" sets ${want} propagation on the mount${opt.startsWith('r') ? ' and its submounts' : ''}`), async ({ h }) => {
      const src = fromShared ? sharedHostMount(h, 'src') : h.mkdir('src');
      mkdirSync(join(src, 'sub'));
      execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', join(src, 'sub')]);
      if (fromShared) execFileSync('mount', ['--make-shared', join(src, 'sub')]);
      const ms = await mountsSeen(h, (x) => {
        if (fromShared) x.linux.rootfsPropagation = 'shared';
        bind(x, src, T, ['rbind', opt]);
      });
      expect(propagation(mountAt(ms, T))).toBe(want);
      if (opt.startsWith('r')) expect(propagation(mountAt(ms, SUB))).toBe(want);
    });
  }

  test(spec('config.md#linux-mount-options', 'CFG-MOPT-remount', 'MUST: option "remount" changes the flags of the existing mount'), async ({ h }) => {
    const ms = await mountsSeen(h, (x) => {
      tmpfs(x, T, ['size=1m']);
      tmpfs(x, T, ['remount', 'ro']);
    });
    const here = ms.filter((m) => m.mountPoint === T);
    expect(here.length).toBe(1);
    expect(here[0]!.mountOptions).toContain('ro');
  });

  test(spec('config.md#linux-mount-options', 'CFG-MOPT-tmpcopyup', 'MAY: option "tmpcopyup" copies the directory contents into the new tmpfs'), async ({ h }) => {
    const out = await h.mustProbe('cat /etc/passwd | head -1; grep " /etc " /proc/self/mountinfo | wc -l', (x) => tmpfs(x, '/etc', ['tmpcopyup']));
    expect(out).toBe('root:x:0:0:root:/root:/bin/sh\n1\n');
  });

  idmapTest(spec('config.md#linux-mount-options', 'CFG-MOPT-idmap', 'SHOULD: option "idmap" applies the mount uidMappings/gidMappings'), async ({ h }) => {
    const src = h.mkdir('src');
    writeFileSync(join(src, 'file'), 'x');
    chownSync(join(src, 'file'), 0, 0);
    const out = await h.mustProbe(`stat -c '%u:%g' ${T}/file`, (x) =>
      addMount(x, { destination: T, type: 'bind', source: src, options: ['bind', 'idmap'], uidMappings: [{ containerID: 0, hostID: 1234, size: 1 }], gidMappings: [{ containerID: 0, hostID: 4321, size: 1 }] } as never),
    );
    expect(out.trim()).toBe('1234:4321');
  });

  idmapTest(spec('config.md#linux-mount-options', 'CFG-MOPT-ridmap', 'SHOULD: option "ridmap" applies the mapping to submounts too'), async ({ h }) => {
    const src = hostTreeWithSubmount(h, 'src');
    const out = await h.mustProbe(`stat -c '%u:%g' ${SUB}/marker`, (x) =>
      addMount(x, { destination: T, type: 'bind', source: src, options: ['rbind', 'ridmap'], uidMappings: [{ containerID: 0, hostID: 1234, size: 1 }], gidMappings: [{ containerID: 0, hostID: 4321, size: 1 }] } as never),
    );
    expect(out.trim()).toBe('1234:4321');
  });

  idmapRefusal(spec('config.md#linux-mount-options', 'CFG-MOPT-idmap-nouserns', 'MUST: "idmap" without mappings and without a user namespace generates an error'), async ({ h }) => {
    const src = h.mkdir('src');
    const b = h.bundle({ patch: (x) => bind(x, src, T, ['bind', 'idmap']) });
    const r = await h.create(b);
    h.expectError(r, /idmap|mapping/i);
  });

  idmapTest(spec('config.md#linux-mount-options', 'CFG-MOPT-idmap-userns', 'MAY: "idmap" without mappings uses the container user namespace mapping'), async ({ h }) => {
    const src = h.mkdir('src');
    writeFileSync(join(src, 'file'), 'x');
    chownSync(join(src, 'file'), 0, 0);
    // on-disk root seen through the container's mapping (0 → 100000) is root inside
    const r = await h.probe(`stat -c '%u:%g' ${T}/file`, (x) => {
      userns(x);
      bind(x, src, T, ['bind', 'idmap']);
    });
    // refusing is allowed ("otherwise an error MUST be returned"); mounting without the mapping is not
    if (r.code === 0) expect(r.stdout.trim()).toBe('0:0');
    else h.expectError(r, /idmap|mapping|user ?n(ame)?s/i);
  });
});
