// The default config.json that `ocirun spec` writes: runc's default (runc 1.1's `runc spec`, which
// test suites written for runc build their bundles from and then patch), with two deliberate
// differences: `ociVersion` is the spec version ocirun implements (runc writes its build's
// "1.0.2-dev"), and `hostname` names this runtime, as crun and youki name themselves.
// Field order follows runc's so the two files diff cleanly.
import { SPEC_VERSION } from '../version.js';
import type { Spec, Mount, LinuxNamespace } from './index.js';

export interface DefaultSpecOptions {
  /** A config for an unprivileged user (runc spec --rootless): user namespace, no network namespace. */
  rootless?: boolean;
  /** Host ids mapped to root in the rootless config (default: this process's effective ids). */
  hostUid?: number;
  hostGid?: number;
}

const CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

export function defaultSpec(opts: DefaultSpecOptions = {}): Spec {
  const rootless = opts.rootless ?? false;
  const mounts: Mount[] = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      // An unprivileged user cannot make the pty group-owned by gid 5 (tty).
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', ...(rootless ? [] : ['gid=5'])],
    },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    // Without a network namespace of its own a rootless container may not mount sysfs: bind it.
    rootless
      ? { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
      : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
  const namespaces: LinuxNamespace[] = rootless
    ? [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'user' }]
    : [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  const hostUid = opts.hostUid ?? process.geteuid?.() ?? 0;
  const hostGid = opts.hostGid ?? process.getegid?.() ?? 0;
  return {
    ociVersion: SPEC_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: [...CAPS], effective: [...CAPS], permitted: [...CAPS], ambient: [...CAPS] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'ocirun',
    mounts,
    linux: {
      // Rootless containers cannot use the devices cgroup, so runc leaves resources out.
      ...(rootless
        ? {
            uidMappings: [{ containerID: 0, hostID: hostUid, size: 1 }],
            gidMappings: [{ containerID: 0, hostID: hostGid, size: 1 }],
          }
        : { resources: { devices: [{ allow: false, access: 'rwm' }] } }),
      namespaces,
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** The file text, formatted as runc formats it (tab indentation, no final newline). */
export function formatSpec(spec: Spec): string {
  return JSON.stringify(spec, null, '\t');
}
