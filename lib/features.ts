// The features document (runtime-spec features.md): what this build of ocirun supports. It is
// built from one constant, SUPPORTED, which states only what the runtime really implements;
// update it as features land (test/features.test.ts checks the result against the schema).
import type { Features, LinuxNamespaceType, LinuxSeccompArch, LinuxSeccompFlag, LinuxSeccompOperator } from './spec/index.js';
import { CAPABILITY_NAMES } from './spec/capabilities.js';
import { SPEC_VERSION } from './version.js';
import { validatorFor } from './validate/validators.js';
import { schemaProblems } from './validate/schema-problems.js';
import { OciError } from './errors.js';
import { seccompSupport, supportedConfigFlags } from './seccomp/support.js';
import { CONFIG_FLAGS, OPERATORS } from '../bindings/seccomp.js';
import { hostLayout } from './cgroups/index.js';
import { hierarchyOf } from './cgroups/layout.js';

/**
 * The cgroup drivers that work on this host: v1 where v1 hierarchies are mounted, v2 where a
 * cgroup2 hierarchy is (the unified one of a hybrid host included), rdma where a hierarchy
 * carries it; never systemd (ocirun drives cgroupfs only).
 */
export function hostCgroupFeatures(layout = hostLayout()): NonNullable<NonNullable<Features['linux']>['cgroup']> {
  return {
    v1: layout.hierarchies.some((h) => h.version === 1),
    v2: layout.hierarchies.some((h) => h.version === 2),
    systemd: false,
    systemdUser: false,
    rdma: hierarchyOf(layout, 'rdma') !== undefined,
  };
}

export const SUPPORTED = {
  ociVersionMin: '1.0.0',
  ociVersionMax: SPEC_VERSION,
  /** Hook stages the runtime runs (lib/hooks/, lib/lifecycle/hook-steps.ts). */
  hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as string[],
  /**
   * Mount options the runtime recognizes: runc's and crun's set, restricted to the options
   * config.md lists (filesystem-specific data such as mode=755 is passed through, not listed).
   */
  mountOptions: [
    'async', 'atime', 'bind', 'defaults', 'dev', 'diratime', 'dirsync', 'exec', 'idmap', 'lazytime', 'loud', 'mand',
    'noatime', 'nodev', 'nodiratime', 'noexec', 'nolazytime', 'nomand', 'norelatime', 'nostrictatime', 'nosuid',
    'nosymfollow', 'private', 'ratime', 'rbind', 'rdev', 'rdiratime', 'relatime', 'remount', 'rexec', 'rnoatime',
    'ridmap', 'rnodiratime', 'rnoexec', 'rnorelatime', 'rnostrictatime', 'rnosuid', 'rnosymfollow', 'ro', 'rprivate',
    'rrelatime', 'rro', 'rrw', 'rshared', 'rslave', 'rstrictatime', 'rsuid', 'rsymfollow', 'runbindable', 'rw',
    'shared', 'silent', 'slave', 'strictatime', 'suid', 'symfollow', 'sync', 'tmpcopyup', 'unbindable',
  ],
  namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'] as LinuxNamespaceType[],
  capabilities: [...CAPABILITY_NAMES] as string[],
  /** Filled in per host by features(): what the cgroup layout here lets ocirun drive. */
  cgroup: { v1: false, v2: false, systemd: false, systemdUser: false, rdma: false },
  /** linux.seccomp: compiled by libseccomp, loaded with seccomp(2); see seccompFeatures(). */
  seccomp: true,
  apparmor: false,
  selinux: false,
  intelRdt: false,
  /** idmap/ridmap and mount uidMappings: mount_setattr(MOUNT_ATTR_IDMAP) on bind mounts. */
  idmapMounts: true,
  netDevices: false,
};

/** The features document of this build, checked against features-schema.json. */
export function features(): Features {
  const s = SUPPORTED;
  const doc: Features = {
    ociVersionMin: s.ociVersionMin,
    ociVersionMax: s.ociVersionMax,
    hooks: [...s.hooks],
    mountOptions: [...s.mountOptions],
    linux: {
      namespaces: [...s.namespaces],
      capabilities: [...s.capabilities],
      cgroup: hostCgroupFeatures(),
      seccomp: seccompFeatures(s.seccomp),
      apparmor: { enabled: s.apparmor },
      selinux: { enabled: s.selinux },
      intelRdt: { enabled: s.intelRdt },
      mountExtensions: { idmap: { enabled: s.idmapMounts } },
      netDevices: { enabled: s.netDevices },
    },
  };
  const validate = validatorFor('features');
  if (!validate(doc)) {
    const why = schemaProblems(validate.errors ?? [], doc).map((p) => `${p.pointer}: ${p.message}`).join('; ');
    throw new OciError('ERR_INVALID_CONFIG', `internal error: the features document does not match features-schema.json: ${why}`);
  }
  return doc;
}

/**
 * Seccomp as this host can run it: the actions and flags the kernel accepts, the architectures
 * libseccomp knows; not enabled at all without libseccomp.
 */
function seccompFeatures(built: boolean): NonNullable<NonNullable<Features['linux']>['seccomp']> {
  const support = built ? seccompSupport() : undefined;
  if (!support?.libseccomp) return { enabled: false };
  return {
    enabled: true,
    actions: [...support.actions].sort(),
    operators: (Object.keys(OPERATORS) as LinuxSeccompOperator[]).sort(),
    archs: ([...support.archs] as LinuxSeccompArch[]).sort(),
    knownFlags: [...CONFIG_FLAGS] as LinuxSeccompFlag[],
    supportedFlags: supportedConfigFlags(support) as LinuxSeccompFlag[],
  };
}
