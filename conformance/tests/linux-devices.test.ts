// config-linux.md#devices, #default-devices and #allowed-device-list (devices cgroup v1).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, describeResult, expect, featureTest, spec, test } from '../harness/harness.js';
import { CGROUPS } from '../harness/feature-catalog.js';
import { mountAt, parseMountinfo, readCgroupFile } from '../harness/host.js';
import { cgroupV1, command } from '../harness/requires.js';

const SLEEP = ['sleep', '600'];
const cgTest = featureTest(CGROUPS);
/** busybox stat: type, major:minor in hex, mode, owner */
const STAT = "stat -c '%F|%t:%T|%a|%u:%g'";

describe('config-linux.md#devices', () => {
  const kinds: [string, string, number, number, string][] = [
    ['c', '/dev/cc-null', 1, 3, 'character special file|1:3'],
    ['b', '/dev/cc-loop', 7, 0, 'block special file|7:0'],
    ['u', '/dev/cc-unbuffered', 1, 5, 'character special file|1:5'],
  ];
  for (const [type, path, major, minor, want] of kinds) {
    test(spec('config-linux.md#devices', `LNX-DEV-TYPE-${type}`, `a "${type}" device in devices is available at its path with its major/minor`), async ({ h }) => {
      const out = await h.mustProbe(`${STAT} ${path}`, (c) => (c.linux.devices = [{ path, type, major, minor }]));
      expect(out.split('|').slice(0, 2).join('|')).toBe(want);
    });
  }

  test(spec('config-linux.md#devices', 'LNX-DEV-TYPE-p', 'a "p" device in devices is a FIFO at its path'), async ({ h }) => {
    const out = await h.mustProbe(`${STAT} /dev/cc-fifo`, (c) => (c.linux.devices = [{ path: '/dev/cc-fifo', type: 'p' }]));
    expect(out.split('|')[0]).toBe('fifo');
  });

  test(spec('config-linux.md#devices', 'LNX-DEV-MODE', 'fileMode (decimal) is the mode of the device node'), async ({ h }) => {
    const out = await h.mustProbe(`${STAT} /dev/cc-null`, (c) => (c.linux.devices = [{ path: '/dev/cc-null', type: 'c', major: 1, minor: 3, fileMode: 432 }]));
    expect(out.trim().split('|')[2]).toBe('660');
  });

  test(spec('config-linux.md#devices', 'LNX-DEV-OWNER', 'uid and gid are the owner of the device node'), async ({ h }) => {
    const out = await h.mustProbe(`${STAT} /dev/cc-null`, (c) => (c.linux.devices = [{ path: '/dev/cc-null', type: 'c', major: 1, minor: 3, uid: 1234, gid: 5678 }]));
    expect(out.trim().split('|')[3]).toBe('1234:5678');
  });

  test(spec('config-linux.md#devices', 'LNX-DEV-OUTSIDE-DEV', 'a device path may be outside /dev'), async ({ h }) => {
    const out = await h.mustProbe(`${STAT} /cc-devs/null`, (c) => {
      c.root.readonly = false;
      c.linux.devices = [{ path: '/cc-devs/null', type: 'c', major: 1, minor: 3 }];
    });
    expect(out.split('|').slice(0, 2).join('|')).toBe('character special file|1:3');
  });

  test(spec('config-linux.md#devices', 'LNX-DEV-CONFLICT', 'a file already at the device path that does not match generates an error'), async ({ h }) => {
    const b = h.bundle({
      args: ['true'],
      patch: (c) => {
        c.root.readonly = false;
        c.linux.devices = [{ path: '/cc-devfile', type: 'c', major: 1, minor: 3 }];
      },
    });
    writeFileSync(join(b.rootfs, 'cc-devfile'), 'a regular file');
    const r = await h.create(b);
    h.expectError(r, /cc-devfile/);
  });
});

describe('config-linux.md#default-filesystems', () => {
  const fss: [string, string][] = [
    ['/proc', 'proc'],
    ['/sys', 'sysfs'],
    ['/dev/pts', 'devpts'],
    ['/dev/shm', 'tmpfs'],
  ];
  for (const [path, type] of fss) {
    test(spec('config-linux.md#default-filesystems', `LNX-DEFFS-${path.split('/').pop()}`, `SHOULD: ${path} is a ${type} filesystem in the container (default config)`), async ({ h }) => {
      const out = await h.mustProbe('cat /proc/self/mountinfo');
      expect(mountAt(parseMountinfo(out), path)?.fstype).toBe(type);
    });
  }
});

describe('config-linux.md#default-devices', () => {
  const defaults: [string, string, string][] = [
    ['null', '1:3', 'echo x > /dev/null && [ -z "$(cat /dev/null)" ] && echo usable'],
    ['zero', '1:5', '[ "$(head -c 4 /dev/zero | od -An -tx1 | tr -d " ")" = 00000000 ] && echo usable'],
    ['full', '1:7', '(echo x > /dev/full) 2>&1 | grep -q "No space left" && echo usable'],
    ['random', '1:8', '[ "$(head -c 8 /dev/random | wc -c)" = 8 ] && echo usable'],
    ['urandom', '1:9', '[ "$(head -c 8 /dev/urandom | wc -c)" = 8 ] && echo usable'],
    // no controlling terminal: opening /dev/tty gives ENXIO; the node must still be there
    ['tty', '5:0', 'echo usable'],
  ];
  for (const [name, nums, use] of defaults) {
    test(spec('config-linux.md#default-devices', `LNX-DEFDEV-${name}`, `/dev/${name} is supplied (char ${nums}) and works`), async ({ h }) => {
      const out = await h.mustProbe(`${STAT} /dev/${name}; ${use}`);
      const [statLine, usable] = out.trim().split('\n');
      expect(statLine!.split('|').slice(0, 2).join('|')).toBe(`character special file|${nums}`);
      expect(usable).toBe('usable');
    });
  }

  test(spec('config-linux.md#default-devices', 'LNX-DEFDEV-ptmx', '/dev/ptmx is a symlink to or bind mount of /dev/pts/ptmx'), async ({ h }) => {
    const out = await h.mustProbe("readlink /dev/ptmx || true; stat -L -c '%t:%T|%d' /dev/ptmx /dev/pts/ptmx");
    const lines = out.trim().split('\n');
    const link = lines.length === 3 ? lines[0] : '';
    const [ptmx, ptsPtmx] = lines.slice(-2);
    if (link) expect(['pts/ptmx', '/dev/pts/ptmx']).toContain(link);
    // either way it must be the very node of the container's devpts instance
    expect(ptmx).toBe(ptsPtmx);
  });

  test(spec('config-linux.md#default-devices', 'LNX-DEFDEV-console', 'with terminal, /dev/console is the pseudoterminal bind-mounted there'), async ({ h }) => {
    h.requires(command('/usr/bin/script'));
    const b = h.bundle({ args: ['sh', '-c', "stat -c 'console=%t:%T' /dev/console; stat -L -c 'stdin=%t:%T' /proc/self/fd/0"], patch: (c) => (c.process.terminal = true) });
    const r = await h.run(b, { withTty: true });
    const con = /console=([0-9a-f]+:[0-9a-f]+)/.exec(r.stdout)?.[1];
    const stdin = /stdin=([0-9a-f]+:[0-9a-f]+)/.exec(r.stdout)?.[1];
    expect(con, describeResult(r)).toBeDefined();
    expect(con).toBe(stdin);
  });
});

describe('config-linux.md#allowed-device-list', () => {
  cgTest(spec('config-linux.md#allowed-device-list', 'LNX-DEVCG-ORDER', 'allowed device list entries are applied in the listed order'), async ({ h }) => {
    h.requires(cgroupV1('devices'));
    const b = h.bundle({
      args: SLEEP,
      patch: (c) =>
        (c.linux.resources.devices = [
          { allow: false, access: 'rwm' },
          { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
          { allow: false, type: 'c', major: 10, minor: 229, access: 'w' },
        ]),
    });
    const s = await h.mustCreate(b);
    const list = readCgroupFile(s.pid!, 'devices', 'devices.list', b.config.linux.cgroupsPath).split('\n');
    expect(list).toContain('c 10:229 rm');
  });

  cgTest(spec('config-linux.md#allowed-device-list', 'LNX-DEVCG-DEFAULTS', 'unset type/major/minor mean all: a deny entry without them denies every other device'), async ({ h }) => {
    h.requires(cgroupV1('devices'));
    const b = h.bundle({ args: SLEEP, patch: (c) => (c.linux.resources.devices = [{ allow: false, access: 'rwm' }]) });
    const s = await h.mustCreate(b);
    const list = readCgroupFile(s.pid!, 'devices', 'devices.list', b.config.linux.cgroupsPath).split('\n');
    expect(list).not.toContain('a *:* rwm');
    // no block device may be read or written (an mknod-only allowance grants no access)
    expect(list.filter((l) => l.startsWith('b ') && /[rw]/.test(l.split(' ')[2] ?? ''))).toEqual([]);
  });

  cgTest(spec('config-linux.md#allowed-device-list', 'LNX-DEVCG-ALLOW', 'an allowed device can be opened in the container'), async ({ h }) => {
    h.requires(cgroupV1('devices'));
    const b = h.bundle({
      args: SLEEP,
      patch: (c) => {
        c.linux.devices = [{ path: '/dev/cc-loop', type: 'b', major: 7, minor: 0 }];
        c.linux.resources.devices = [{ allow: false, access: 'rwm' }, { allow: true, type: 'b', major: 7, minor: 0, access: 'r' }];
      },
    });
    const s = await h.mustCreate(b);
    // the container's device cgroup denies everything else: without that, opening proves nothing
    const list = readCgroupFile(s.pid!, 'devices', 'devices.list', b.config.linux.cgroupsPath).split('\n');
    expect(list).not.toContain('a *:* rwm');
    // the rule's read access (a runtime may merge it with mknod for the device it creates: 'b 7:0 rm')
    expect(list.some((l) => /^b 7:0 [rwm]*r/.test(l)), list.join(', ')).toBe(true);
    await h.mustStart(b.id);
    const r = await h.exec(b.id, ['sh', '-c', 'exec 3</dev/cc-loop && echo opened || echo denied']);
    // loop0 may be unbound (ENXIO) but must not be refused by the cgroup (EPERM)
    expect(r.stdout + r.stderr, describeResult(r)).not.toMatch(/Operation not permitted/);
    expect(r.stdout + r.stderr, describeResult(r)).toMatch(/opened|No such device/);
  });

  cgTest(spec('config-linux.md#allowed-device-list', 'LNX-DEVCG-DENY', 'a device not in the allowed list cannot be opened in the container'), async ({ h }) => {
    h.requires(cgroupV1('devices'));
    const r = await h.probe('exec 3</dev/cc-loop 2>&1 || true', (c) => {
      c.linux.devices = [{ path: '/dev/cc-loop', type: 'b', major: 7, minor: 0 }];
      c.linux.resources.devices = [{ allow: false, access: 'rwm' }];
    });
    expect(r.stdout + r.stderr, describeResult(r)).toMatch(/Operation not permitted/);
  });
});
