// `ocirun features` and features(): a document that validates and claims only what is supported.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { features, hostCgroupFeatures, SUPPORTED } from '../lib/features.js';
import { hostLayout } from '../lib/cgroups/index.js';
import { validatorFor } from '../lib/validate/validators.js';
import { CAPABILITY_NAMES } from '../lib/spec/capabilities.js';
import { SPEC_VERSION } from '../lib/version.js';
import { parseMountOptions } from '../lib/plan/mount-options.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'ocirun.cjs');
const CONFIG_MD_OPTIONS = new Set(
  ('async atime bind defaults dev diratime dirsync exec iversion lazytime loud mand noatime nodev nodiratime noexec ' +
    'noiversion nolazytime nomand norelatime nostrictatime nosuid nosymfollow private ratime rbind rdev rdiratime relatime ' +
    'remount rexec rnoatime rnodiratime rnoexec rnorelatime rnostrictatime rnosuid rnosymfollow ro rprivate rrelatime rro ' +
    'rrw rshared rslave rstrictatime rsuid rsymfollow runbindable rw shared silent slave strictatime suid symfollow sync ' +
    'tmpcopyup unbindable idmap ridmap').split(' '),
);

describe('features', () => {
  it('validates against features-schema.json', () => {
    const validate = validatorFor('features');
    expect(validate(features()), JSON.stringify(validate.errors)).toBe(true);
  });

  it('the schema would reject a broken document (the check is real)', () => {
    const doc: any = features();
    delete doc.ociVersionMax;
    expect(validatorFor('features')(doc)).toBe(false);
  });

  it('states this build: spec range, namespaces, capabilities, and what is not supported', () => {
    const f = features();
    expect(f.ociVersionMin).toBe('1.0.0');
    expect(f.ociVersionMax).toBe(SPEC_VERSION);
    expect(f.hooks).toEqual(SUPPORTED.hooks);
    expect(f.linux?.namespaces).toEqual(['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts']);
    expect(f.linux?.capabilities).toEqual(CAPABILITY_NAMES);
    // This host's layout, as lib/cgroups reads it.
    const layout = hostLayout();
    expect(f.linux?.cgroup).toEqual({
      v1: layout.hierarchies.some((h) => h.version === 1),
      v2: layout.hierarchies.some((h) => h.version === 2),
      systemd: false,
      systemdUser: false,
      rdma: layout.hierarchies.some((h) => h.controllers.includes('rdma')),
    });
    expect(hostCgroupFeatures({ mode: 'v2', hierarchies: [{ mount: '/sys/fs/cgroup', version: 2, controllers: ['rdma'] }] })).toEqual({ v1: false, v2: true, systemd: false, systemdUser: false, rdma: true });
    expect(f.linux?.seccomp?.enabled).toBe(true);
    expect(f.linux?.apparmor).toEqual({ enabled: false });
    expect(f.linux?.selinux).toEqual({ enabled: false });
    expect(f.linux?.intelRdt).toEqual({ enabled: false });
  });

  it('seccomp: every action, operator and flag the config may name; the supported flags a subset; libseccomp\'s architectures', () => {
    const sc = features().linux!.seccomp!;
    expect(sc.actions).toEqual(expect.arrayContaining(['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP']));
    expect(sc.operators).toEqual(['SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE']);
    expect(sc.knownFlags).toEqual(['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']);
    expect(sc.knownFlags).toEqual(expect.arrayContaining(sc.supportedFlags!));
    expect(sc.archs).toEqual(expect.arrayContaining([process.arch === 'arm64' ? 'SCMP_ARCH_AARCH64' : 'SCMP_ARCH_X86_64']));
  });

  it('lists only mount options config.md defines, each once', () => {
    const opts = features().mountOptions!;
    expect(opts.filter((o) => !CONFIG_MD_OPTIONS.has(o))).toEqual([]);
    expect(new Set(opts).size).toBe(opts.length);
    expect(opts).toEqual(expect.arrayContaining(['bind', 'rbind', 'ro', 'rro', 'rnosuid', 'nosymfollow']));
    // Refused at create, so not claimed.
    expect(opts).toEqual(expect.arrayContaining(['idmap', 'ridmap']));
    expect(features().linux!.mountExtensions!.idmap!.enabled).toBe(true);
    expect(opts).toContain('tmpcopyup');
  });

  it('every claimed mount option is one the planner accepts, on a bind and on a tmpfs', () => {
    for (const o of features().mountOptions!) {
      // tmpcopyup is a tmpfs's alone (a bind mount with it is refused: next test)
      if (o !== 'tmpcopyup') expect(() => parseMountOptions('bind', [o], 'test'), o).not.toThrow();
      expect(() => parseMountOptions('tmpfs', [o], 'test'), o).not.toThrow();
    }
  });

  it('tmpcopyup is refused on anything but a tmpfs, naming the mount and why', () => {
    expect(parseMountOptions('tmpfs', ['tmpcopyup'], 'mounts[0] (/run)').copyUp).toBe(true);
    expect(() => parseMountOptions('bind', ['tmpcopyup'], 'mounts[2] (/etc)')).toThrow('mounts[2] (/etc): mount option "tmpcopyup" needs a tmpfs mount, not a bind mount');
    expect(() => parseMountOptions('tmpfs', ['rbind', 'tmpcopyup'], 'mounts[2] (/etc)')).toThrow('not a bind mount');
    expect(() => parseMountOptions('proc', ['tmpcopyup'], 'mounts[1] (/proc)')).toThrow('mounts[1] (/proc): mount option "tmpcopyup" needs a tmpfs mount, not type "proc"');
  });

  it('ocirun features prints the same document', () => {
    const r = spawnSync(process.execPath, [CLI, 'features'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(features());
  });
});
