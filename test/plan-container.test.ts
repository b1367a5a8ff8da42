// The planner, without root: given a config, assertions on the program listing, and on the
// paths through it (a small walker follows the encoded skips the executor would take).
import { describe, expect, it } from 'vitest';
import { CLONE } from '../bindings/constants.js';
import type { EncodedProgram } from '../bindings/program.js';
import { slotPatch } from '../bindings/program-format.js';
import type { Host } from '../lib/host/host.js';
import { planContainer, planExecProcess, type ContainerPlanInput } from '../lib/plan/index.js';
import { refuseWithoutMountNamespace } from '../lib/plan/rootfs.js';
import { defaultSpec } from '../lib/spec/default-config.js';
import type { Spec } from '../lib/spec/index.js';

const HOST: Host = {
  capLastCap: 40,
  cgroups: { unifiedOnly: false, hierarchies: [{ name: 'memory', version: 1, options: ['memory'] }] },
  cloneIntoCgroup: false,
};

function spec(patch?: (s: Spec) => void): Spec {
  const s = defaultSpec();
  s.process!.terminal = false;
  delete s.linux!.resources;
  s.root = { path: '/rootfs', readonly: true };
  patch?.(s);
  return s;
}

function plan(patch?: (s: Spec) => void, input: Partial<ContainerPlanInput> = {}) {
  return planContainer({ spec: spec(patch), bundleDir: '/tmp', rootfs: '/rootfs', host: HOST, syncFd: 3, fifoDirFd: 4, joinFds: {}, ...input });
}

const index = (d: string[], text: string) => {
  const i = d.findIndex((x) => x.includes(text));
  expect(i, `"${text}" in the plan`).toBeGreaterThanOrEqual(0);
  return i;
};

/**
 * The descriptions of the ops the executor runs when every syscall succeeds, except those named
 * in `fail` (which take their "tolerated" path). Test ops other than gotos are taken as passing.
 */
function walk(program: EncodedProgram, tolerated: (description: string) => boolean = () => false): string[] {
  const buf = program.bytes;
  const count = buf.readUInt32LE(8);
  const opsOffset = buf.readUInt32LE(24);
  const visited: string[] = [];
  for (let i = 0; i < count; ) {
    const o = opsOffset + i * 80;
    const description = program.descriptions[i];
    visited.push(description);
    const onSuccess = buf.readUInt16LE(o + 72);
    const onTolerated = buf.readUInt16LE(o + 74);
    i += 1 + (tolerated(description) ? onTolerated : onSuccess);
  }
  return visited;
}

describe('planContainer', () => {
  it('without a mount namespace: a detached copy of the rootfs tree, chroot, no propagation change, no pivot_root', () => {
    const d = plan((s) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'mount'))).program.descriptions;
    expect(d).toContain('no mount namespace: clone the rootfs /rootfs as a detached tree (open_tree)');
    expect(d.indexOf('no mount namespace: make the detached rootfs tree private')).toBeLessThan(d.findIndex((x) => x.includes('mount proc on /proc')));
    expect(d.some((x) => x.startsWith('make / r') || x.startsWith('pivot_root') || x.includes('rootfsPropagation'))).toBe(false);
    expect(d).toContain("chroot into the rootfs (no mount namespace: pivot_root would move the host's root)");
    // Before Linux 6.15 a detached tree takes no mounts: refused naming the first one.
    expect(() => refuseWithoutMountNamespace(spec(), { userns: false, noPivot: false }, '6.1.0-18-amd64')).toThrow(
      'config.json: /linux/namespaces has no "mount" namespace: /mounts/0: mounting into the container\'s detached root needs Linux 6.15 (this kernel is 6.1.0-18-amd64)',
    );
    expect(() => refuseWithoutMountNamespace(spec((s) => (s.mounts = [])), { userns: false, noPivot: false }, '6.1.0')).toThrow('/linux/maskedPaths');
  });

  it('makes the child non-dumpable first', () => {
    const { listing } = plan().program;
    expect(listing[0]).toMatch(/prctl\s+make the child non-dumpable/);
  });

  it('exec: the child is non-dumpable too', () => {
    const p = planExecProcess({ process: spec().process!, host: HOST, syncFd: 3, joinFds: {}, rootFd: 5 });
    expect(p.program.listing[0]).toMatch(/prctl\s+make the child non-dumpable/);
  });

  it('stops for the runtime (READY, then wait) only when it has id maps, time offsets or an oom score to write', () => {
    const stops = (p: ReturnType<typeof plan>) => p.program.descriptions.some((x) => x.includes('tell the runtime the namespaces exist'));
    expect(stops(plan())).toBe(false);
    expect(plan().namespaces.parentStep).toBe(false);
    expect(stops(plan((s) => (s.process!.oomScoreAdj = 100)))).toBe(true);
    expect(stops(plan((s) => s.linux!.namespaces!.push({ type: 'time' })))).toBe(false);
    expect(stops(plan((s) => (s.linux!.namespaces!.push({ type: 'time' }), (s.linux!.timeOffsets = { monotonic: { secs: 5 } }))))).toBe(true);
    const userns = (s: Spec) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    };
    expect(stops(plan(userns))).toBe(true);
    // A new user namespace is made by the program's fork: an execve before its id maps exist
    // would leave the executor without capabilities in it.
    expect(plan(userns).namespaces.spawnClones).toBe(false);
    expect(plan(userns).program.listing.some((l) => /^\s*\d+\s+fork\s/.test(l))).toBe(true);
  });

  it('the session keyring is named through a slot, so one program serves every container id', () => {
    const p = plan().program;
    const slot = p.slots.containerId;
    expect(slot.size).toBe(1025);
    expect(p.bytes.subarray(slot.offset, slot.offset + slot.size).every((b) => b === 0)).toBe(true);
    const patch = slotPatch(slot, 'my-container');
    expect(patch).toEqual({ offset: slot.offset, bytes: Buffer.from('my-container\0') });
    expect(slotPatch(slot, 'x'.repeat(1024)).bytes.length).toBe(1025);
    expect(() => slotPatch(slot, 'x'.repeat(1025))).toThrow(/does not fit/);
    expect(plan(undefined, { noNewKeyring: true }).program.slots.containerId).toBeUndefined();
  });

  it('clones the default namespaces; cgroup and time are unshared later', () => {
    const p = plan((s) => {
      s.linux!.namespaces!.push({ type: 'cgroup' }, { type: 'time' });
      s.linux!.timeOffsets = { monotonic: { secs: 5 } };
    });
    expect(p.namespaces.cloneFlags).toBe(CLONE.NEWPID | CLONE.NEWNET | CLONE.NEWIPC | CLONE.NEWUTS | CLONE.NEWNS);
    // Nothing joined: the runtime spawns the executor into them; the program does not fork.
    expect(p.namespaces.spawnClones).toBe(true);
    expect(p.program.listing.some((l) => /^\s*\d+\s+fork\s/.test(l))).toBe(false);
    const d = p.program.descriptions;
    // Time before READY, so the runtime can write the offsets; cgroup after the runtime's answer,
    // so its root is the cgroup the runtime placed the child in.
    expect(index(d, 'create the time namespace')).toBeLessThan(index(d, 'tell the runtime the namespaces exist'));
    expect(index(d, 'create the cgroup namespace')).toBeGreaterThan(index(d, 'wait for the runtime'));
  });

  it('joins by path user first and mount last, then forks into the pid namespace', () => {
    const p = plan(
      (s) => {
        s.linux!.namespaces = [{ type: 'mount' }, { type: 'network', path: '/x' }, { type: 'pid', path: '/y' }, { type: 'user', path: '/z' }];
        delete s.hostname;
      },
      { joinFds: { network: 10, pid: 11, user: 12 } },
    );
    const d = p.program.descriptions;
    expect(index(d, 'join the user namespace')).toBeLessThan(index(d, 'join the network namespace'));
    expect(index(d, 'join the network namespace')).toBeLessThan(index(d, 'join the pid namespace'));
    const fork = p.program.listing.findIndex((l) => /^\s*\d+\s+fork\s/.test(l));
    expect(index(d, 'join the pid namespace')).toBeLessThan(fork);
    // A joined user namespace: become its root before touching the rootfs.
    expect(index(d, 'become uid 0 in the user namespace')).toBeLessThan(index(d, 'bind the rootfs'));
  });

  it('switches to the configured user on every path through the cwd handling', () => {
    const p = plan((s) => (s.process!.user = { uid: 1234, gid: 2345, additionalGids: [7] }));
    for (const path of [walk(p.program), walk(p.program, (d) => d === 'chdir to cwd (/)')]) {
      expect(path).toContain('set additional groups [7]');
      expect(path).toContain('set gid 2345');
      expect(path).toContain('set uid 1234');
      expect(path.indexOf('set uid 1234')).toBeLessThan(path.indexOf('set the effective, permitted and inheritable capabilities'));
      expect(path.at(-1)).toMatch(/^exec: "sh"/);
    }
  });

  it('orders the rootfs: propagation, mounts in config order, devices, pivot_root, then paths and read-only root', () => {
    const d = plan().program.descriptions;
    const order = [
      'make / rslave',
      'mount proc on /proc',
      'mount tmpfs on /dev',
      'mount devpts on /dev/pts',
      'mount tmpfs on /dev/shm',
      'mount mqueue on /dev/mqueue',
      'mount sysfs on /sys',
      'device /dev/null',
      'symlink /dev/ptmx',
      'pivot_root',
      'readonly path /proc/bus',
      'masked path /proc/acpi',
      'make the root filesystem read-only',
      'set RLIMIT_NOFILE to soft 1024, hard 1024',
      'set uid 0',
      'set no_new_privs',
      'tell the runtime the container is created',
      'wait for start: open exec.fifo',
      'exec: "sh": /bin/sh',
    ].map((t) => index(d, t));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('mount targets are resolved inside the rootfs, never followed out of it', () => {
    const { listing } = plan((s) => s.mounts!.push({ destination: '/data/x', type: 'tmpfs', source: 'tmpfs' })).program;
    const opens = listing.filter((l) => l.includes('mount tmpfs on /data/x') && /openat2/.test(l));
    expect(opens.length).toBeGreaterThan(0);
    expect(listing.some((l) => /mkdirat\s+mount tmpfs on \/data\/x: create directory \/data$/.test(l))).toBe(true);
  });

  it('a file bind source makes a file target; a directory source a directory', () => {
    const d = plan((s) => {
      s.mounts!.push({ destination: '/etc/hosts-copy', type: 'bind', source: '/etc/hostname', options: ['bind'] });
      s.mounts!.push({ destination: '/mnt/dir', type: 'bind', source: '/tmp', options: ['rbind', 'rro'] });
    }).program.descriptions;
    expect(d).toContain('mount /etc/hostname on /etc/hosts-copy: create file /etc/hosts-copy');
    expect(d).toContain('mount /tmp on /mnt/dir: create directory /mnt/dir');
    expect(d).toContain('mount /tmp on /mnt/dir: set ro recursively');
  });

  it('a bind source that does not exist is a config error naming it', () => {
    expect(() => plan((s) => s.mounts!.push({ destination: '/x', type: 'bind', source: '/no/such/source', options: ['bind'] }))).toThrow(/\/no\/such\/source does not exist/);
  });

  it('hostname, domainname, sysctl, rlimits, no_new_privs', () => {
    const d = plan((s) => {
      s.hostname = 'h1';
      s.domainname = 'd1';
      s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
      s.process!.rlimits = [{ type: 'RLIMIT_NPROC', soft: 5, hard: 6 }];
    }).program.descriptions;
    for (const t of ['set hostname h1', 'set domainname d1', 'sysctl net.ipv4.ip_forward: open /proc/sys/net/ipv4/ip_forward', 'set RLIMIT_NPROC to soft 5, hard 6', 'set no_new_privs']) {
      expect(d).toContain(t);
    }
    expect(plan((s) => (s.process!.noNewPrivileges = false)).program.descriptions).not.toContain('set no_new_privs');
  });

  it('stdio and --preserve-fds survive exec; everything above is closed', () => {
    const d = plan(undefined, { preserveFds: 2 }).program.descriptions;
    for (const fd of [0, 1, 2, 3, 4]) expect(d).toContain(`keep fd ${fd} open across exec`);
    expect(d).not.toContain('keep fd 5 open across exec');
    expect(d).toContain('close fds from 5 up at exec');
  });

  it('PATH lookup runs inside the container, over the config\'s PATH', () => {
    const d = plan((s) => {
      s.process!.args = ['prog'];
      s.process!.env = ['PATH=/a:/b'];
    }).program.descriptions;
    expect(d).toContain('look for prog at /a/prog');
    expect(d).toContain('look for prog at /b/prog');
    expect(d).toContain('exec: "prog": executable file not found in $PATH');
    expect(d.slice(-2)).toEqual(['exec: "prog": /a/prog', 'exec: "prog": /b/prog']);
  });

  it('linux.devices: mknod, then the existing-file checks', () => {
    const d = plan((s) => (s.linux!.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600 }])).program.descriptions;
    expect(d).toContain('device /dev/fuse (c 10:229): mknod');
    expect(d).toContain('/dev/fuse exists and is not a c device');
    expect(d).toContain('/dev/fuse exists with another major number than 10');
  });

  it('in a user namespace devices are bind-mounted from the host', () => {
    const d = plan((s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    }).program.descriptions;
    expect(d).toContain('device /dev/null (bind from the host): open_tree /dev/null');
    expect(d.some((x) => x.includes(': mknod'))).toBe(false);
  });

  it('terminal: a pty from the container\'s /dev/ptmx after pivot_root, sent out, made the controlling terminal and stdio', () => {
    const t = (s: Spec) => {
      s.process!.terminal = true;
      s.process!.consoleSize = { height: 30, width: 100 };
      s.process!.user = { uid: 1000, gid: 1000 };
    };
    expect(() => plan(t)).toThrow(/no console socket/);
    const d = walk(plan(t, { consoleFd: 9 }).program);
    const order = [
      'pivot_root',
      'terminal: open /dev/ptmx in the container',
      'terminal: unlock the pty',
      "terminal: open the pty's slave (TIOCGPTPEER)",
      'terminal: set its size to 100x30 (consoleSize)',
      'terminal: bind the pty onto /dev/console: move_mount',
      'terminal: send the pty master to the console socket',
      'terminal: close the pty master',
      'terminal: chown the pty to uid 1000',
      'terminal: start a new session',
      'terminal: make the pty the controlling terminal',
      'terminal: the pty becomes fd 2',
      'make the root filesystem read-only',
      'close the fds the rootfs set-up opened',
      'set uid 1000',
    ].map((x) => index(d, x));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // No terminal, no pty.
    expect(walk(plan().program).some((x) => x.startsWith('terminal:'))).toBe(false);
    // A size with a zero is no size (runc: both or none).
    expect(walk(plan((s) => (t(s), (s.process!.consoleSize = { height: 0, width: 80 })), { consoleFd: 9 }).program).some((x) => x.includes('consoleSize'))).toBe(false);
  });

  it('terminal: the master goes out as runc sends it (payload /dev/ptmx, one SCM_RIGHTS fd, CMSG_SPACE(4) of control)', () => {
    const p = plan((s) => (s.process!.terminal = true), { consoleFd: 9 }).program;
    const bytes = p.bytes;
    // The control message in the data: cmsg_len 20, SOL_SOCKET, SCM_RIGHTS, then the fd slot.
    const cmsg = Buffer.alloc(16);
    cmsg.writeBigUInt64LE(20n, 0);
    cmsg.writeInt32LE(1, 8);
    cmsg.writeInt32LE(1, 12);
    expect(bytes.indexOf(cmsg)).toBeGreaterThan(0);
    expect(bytes.indexOf(Buffer.from('/dev/ptmx\0'))).toBeGreaterThan(0);
    const sendIndex = p.descriptions.indexOf('terminal: send the pty master to the console socket');
    const op = bytes.readUInt32LE(24) + sendIndex * 80;
    expect(bytes.readUInt32LE(op + 8)).toBe(9); // the console socket's fd
    expect(bytes.readUInt16LE(op + 78)).toBe(1); // one patch: the master's fd into the message
  });

  it('exec with a terminal: the pty after entering the container\'s root, no /dev/console', () => {
    const proc = { ...spec().process!, terminal: true };
    const d = walk(planExecProcess({ process: proc, host: HOST, syncFd: 3, joinFds: {}, rootFd: 5, consoleFd: 8 }).program);
    expect(index(d, "chroot into the container's root")).toBeLessThan(index(d, 'terminal: open /dev/ptmx'));
    expect(d.some((x) => x.includes('/dev/console'))).toBe(false);
    expect(index(d, 'terminal: the pty becomes fd 0')).toBeLessThan(index(d, 'set uid 0'));
  });
});
