// The semantic rules: each case breaks one thing in a valid config and asserts the exact JSON
// pointer, rule id and severity of the problem it causes.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig, RULES, type Problem } from '../lib/validate/index.js';
import { defaultSpec } from '../lib/spec/default-config.js';
import { openLibseccomp } from '../bindings/libseccomp.js';

// Architectures the spec lists that older libseccomp releases (2.5) do not know.
const lib = openLibseccomp();
const archUnknownHere = ['SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB'].find(
  (a) => lib !== null && lib.archToken(a.replace('SCMP_ARCH_', '').toLowerCase()) === 0,
);

type Config = ReturnType<typeof defaultSpec> & Record<string, any>;

function base(): Config {
  return defaultSpec();
}

function check(patch: (c: any) => void, opts = {}) {
  const config = base();
  patch(config);
  return validateConfig(config, opts);
}

function problems(patch: (c: any) => void, opts = {}): Problem[] {
  return check(patch, opts).problems;
}

const exercised = new Set<string>();

interface Case {
  name: string;
  patch: (c: any) => void;
  pointer: string;
  rule: string;
  severity?: 'error' | 'warning';
}

const CASES: Case[] = [
  // ociVersion
  { name: 'ociVersion not SemVer', patch: (c) => (c.ociVersion = '1.0'), pointer: '/ociVersion', rule: 'oci-version-format' },
  { name: 'ociVersion 2.x', patch: (c) => (c.ociVersion = '2.0.0'), pointer: '/ociVersion', rule: 'oci-version-supported' },
  { name: 'ociVersion 0.x', patch: (c) => (c.ociVersion = '0.5.0-dev'), pointer: '/ociVersion', rule: 'oci-version-supported' },
  { name: 'ociVersion newer 1.x', patch: (c) => (c.ociVersion = '1.4.0'), pointer: '/ociVersion', rule: 'oci-version-supported', severity: 'warning' },
  // root
  { name: 'no root', patch: (c) => delete c.root, pointer: '/root', rule: 'root-required' },
  // process
  { name: 'no process', patch: (c) => delete c.process, pointer: '/process', rule: 'process-missing', severity: 'warning' },
  { name: 'empty args', patch: (c) => (c.process.args = []), pointer: '/process/args', rule: 'process-args-required' },
  { name: 'missing args', patch: (c) => delete c.process.args, pointer: '/process/args', rule: 'process-args-required' },
  { name: 'relative cwd', patch: (c) => (c.process.cwd = 'home'), pointer: '/process/cwd', rule: 'process-cwd-absolute' },
  { name: 'env without =', patch: (c) => c.process.env.push('JUSTNAME'), pointer: '/process/env/2', rule: 'process-env-format', severity: 'warning' },
  { name: 'oomScoreAdj too low', patch: (c) => (c.process.oomScoreAdj = -1001), pointer: '/process/oomScoreAdj', rule: 'oom-score-adj-range' },
  { name: 'ioPriority 8', patch: (c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 8 }), pointer: '/process/ioPriority/priority', rule: 'io-priority-range' },
  // rlimits
  { name: 'unknown rlimit', patch: (c) => (c.process.rlimits[0].type = 'RLIMIT_FILES'), pointer: '/process/rlimits/0/type', rule: 'rlimit-type-known' },
  { name: 'rlimit without prefix', patch: (c) => (c.process.rlimits[0].type = 'NOFILE'), pointer: '/process/rlimits/0/type', rule: 'rlimit-type-known' },
  { name: 'duplicate rlimit', patch: (c) => c.process.rlimits.push({ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }), pointer: '/process/rlimits/1/type', rule: 'rlimit-unique' },
  { name: 'soft above hard', patch: (c) => (c.process.rlimits[0].soft = 2048), pointer: '/process/rlimits/0/soft', rule: 'rlimit-soft-above-hard' },
  // capabilities
  { name: 'lower-case capability', patch: (c) => c.process.capabilities.bounding.push('cap_chown'), pointer: '/process/capabilities/bounding/3', rule: 'capability-name-format', severity: 'warning' },
  { name: 'capability without CAP_', patch: (c) => (c.process.capabilities.effective[1] = 'KILL'), pointer: '/process/capabilities/effective/1', rule: 'capability-name-format', severity: 'warning' },
  { name: 'unknown capability', patch: (c) => c.process.capabilities.ambient.push('CAP_FLY'), pointer: '/process/capabilities/ambient/3', rule: 'capability-unknown', severity: 'warning' },
  // mounts
  { name: 'relative destination', patch: (c) => (c.mounts[1].destination = 'dev'), pointer: '/mounts/1/destination', rule: 'mount-destination-relative', severity: 'warning' },
  { name: 'empty destination', patch: (c) => (c.mounts[2].destination = ''), pointer: '/mounts/2/destination', rule: 'mount-destination-empty' },
  { name: 'bind without source', patch: (c) => c.mounts.push({ destination: '/data', type: 'bind', options: ['rbind'] }), pointer: '/mounts/7/source', rule: 'mount-bind-source' },
  {
    name: 'mount uidMappings without gidMappings',
    patch: (c) => c.mounts.push({ destination: '/data', source: '/srv', type: 'bind', options: ['bind', 'idmap'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }),
    pointer: '/mounts/7/gidMappings',
    rule: 'mount-idmap-pair',
  },
  {
    name: 'mount mappings without idmap option',
    patch: (c) => c.mounts.push({ destination: '/data', source: '/srv', options: ['rbind'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }),
    pointer: '/mounts/7/options',
    rule: 'mount-idmap-option',
    severity: 'warning',
  },
  { name: 'idmap option, no mappings, no userns', patch: (c) => c.mounts.push({ destination: '/data', source: '/srv', options: ['bind', 'idmap'] }), pointer: '/mounts/7/options', rule: 'mount-idmap-no-mapping' },
  {
    name: 'idmap on a tmpfs',
    patch: (c) => c.mounts.push({ destination: '/tmp', source: 'tmpfs', type: 'tmpfs', options: ['idmap'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }),
    pointer: '/mounts/7/options',
    rule: 'mount-idmap-bind-only',
  },
  {
    name: 'mount mapping of size 0',
    patch: (c) => c.mounts.push({ destination: '/data', source: '/srv', options: ['bind', 'idmap'], uidMappings: [{ containerID: 0, hostID: 1000, size: 0 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }),
    pointer: '/mounts/7/uidMappings/0/size',
    rule: 'id-mapping-invalid',
  },
  // namespaces
  { name: 'duplicate namespace', patch: (c) => c.linux.namespaces.push({ type: 'pid' }), pointer: '/linux/namespaces/5/type', rule: 'namespace-duplicate' },
  { name: 'unknown namespace type (schema)', patch: (c) => (c.linux.namespaces[2].type = 'ipcs'), pointer: '/linux/namespaces/2/type', rule: 'schema/enum' },
  { name: 'relative namespace path', patch: (c) => (c.linux.namespaces[1].path = 'run/netns/x'), pointer: '/linux/namespaces/1/path', rule: 'namespace-path-absolute' },
  { name: 'namespace path of another type', patch: (c) => (c.linux.namespaces[0].path = '/proc/1/ns/net'), pointer: '/linux/namespaces/0/path', rule: 'namespace-path-type' },
  { name: 'hostname without uts', patch: (c) => c.linux.namespaces.splice(3, 1), pointer: '/hostname', rule: 'uts-namespace-required' },
  { name: 'domainname without uts', patch: (c) => { c.linux.namespaces.splice(3, 1); delete c.hostname; c.domainname = 'example.org'; }, pointer: '/domainname', rule: 'uts-namespace-required' },
  { name: 'timeOffsets without time namespace', patch: (c) => (c.linux.timeOffsets = { monotonic: { secs: 10 } }), pointer: '/linux/timeOffsets', rule: 'time-offsets-need-timens' },
  { name: 'timeOffsets in a joined time namespace', patch: (c) => { c.linux.namespaces.push({ type: 'time', path: '/proc/1/ns/time' }); c.linux.timeOffsets = { boottime: { secs: 1 } }; }, pointer: '/linux/timeOffsets', rule: 'time-offsets-need-timens' },
  { name: 'netDevices without network namespace', patch: (c) => { c.linux.namespaces.splice(1, 1); c.linux.netDevices = { eth1: {} }; }, pointer: '/linux/netDevices', rule: 'net-devices-need-netns' },
  // user namespace mappings
  { name: 'user namespace without uid mappings', patch: (c) => { c.linux.namespaces.push({ type: 'user' }); c.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]; }, pointer: '/linux/uidMappings', rule: 'user-mappings-required' },
  { name: 'gid mappings without user namespace', patch: (c) => (c.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]), pointer: '/linux/gidMappings', rule: 'user-mappings-without-userns' },
  {
    name: 'overlapping uid mappings',
    patch: (c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 1000 }, { containerID: 500, hostID: 300000, size: 10 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 1000 }];
    },
    pointer: '/linux/uidMappings/1/containerID',
    rule: 'id-mapping-invalid',
  },
  // ids: setresuid(-1) means "unchanged" (a process asked to be uid 4294967295 stays root)
  { name: 'uid 4294967295', patch: (c) => (c.process.user.uid = 4294967295), pointer: '/process/user/uid', rule: 'id-range' },
  { name: 'gid 2147483648', patch: (c) => (c.process.user.gid = 2147483648), pointer: '/process/user/gid', rule: 'id-range' },
  { name: 'additional gid 4294967295', patch: (c) => (c.process.user.additionalGids = [5, 4294967295]), pointer: '/process/user/additionalGids/1', rule: 'id-range' },
  {
    name: 'uid mapping hostID 4294967295',
    patch: (c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 4294967295, size: 1 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 1 }];
    },
    pointer: '/linux/uidMappings/0/hostID',
    rule: 'id-range',
  },
  {
    name: 'gid mapping range reaching 4294967295',
    patch: (c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 1 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 2147483647, size: 2147483649 }];
    },
    pointer: '/linux/gidMappings/0/size',
    rule: 'id-mapping-invalid',
  },
  // C strings and nesting
  { name: 'NUL in a mount type', patch: (c) => (c.mounts[0].type = 'pro\0c'), pointer: '/mounts/0/type', rule: 'string-nul' },
  { name: 'NUL in a mount option', patch: (c) => (c.mounts[1].options = ['nosuid\0,size=1']), pointer: '/mounts/1/options/0', rule: 'string-nul' },
  { name: 'NUL in a sysctl name', patch: (c) => (c.linux.sysctl = { 'net.core\0x': '1' }), pointer: '/linux/sysctl/net.core\0x', rule: 'string-nul' },
  {
    name: 'nested 5000 deep',
    patch: (c) => {
      let v: unknown = [];
      for (let i = 0; i < 5000; i++) v = [v];
      c.extension = v;
    },
    pointer: '/extension/0/0',
    rule: 'json-depth',
  },
  // sysctl
  { name: 'net sysctl without network namespace', patch: (c) => { c.linux.namespaces.splice(1, 1); c.linux.sysctl = { 'net.ipv4.ip_forward': '1' }; }, pointer: '/linux/sysctl/net.ipv4.ip_forward', rule: 'sysctl-needs-namespace' },
  { name: 'ipc sysctl without ipc namespace', patch: (c) => { c.linux.namespaces.splice(2, 1); c.linux.sysctl = { 'kernel.shmmax': '1' }; }, pointer: '/linux/sysctl/kernel.shmmax', rule: 'sysctl-needs-namespace' },
  { name: 'mqueue sysctl (slash form) without ipc namespace', patch: (c) => { c.linux.namespaces.splice(2, 1); c.linux.sysctl = { 'fs/mqueue/msg_max': '1' }; }, pointer: '/linux/sysctl/fs~1mqueue~1msg_max', rule: 'sysctl-needs-namespace' },
  { name: 'host-wide sysctl', patch: (c) => (c.linux.sysctl = { 'vm.swappiness': '10' }), pointer: '/linux/sysctl/vm.swappiness', rule: 'sysctl-not-namespaced' },
  { name: 'kernel.hostname sysctl', patch: (c) => (c.linux.sysctl = { 'kernel.hostname': 'x' }), pointer: '/linux/sysctl/kernel.hostname', rule: 'sysctl-hostname' },
  // hooks
  { name: 'relative hook path', patch: (c) => (c.hooks = { createRuntime: [{ path: 'bin/hook' }] }), pointer: '/hooks/createRuntime/0/path', rule: 'hook-path-absolute' },
  { name: 'hook timeout 0 (schema)', patch: (c) => (c.hooks = { poststop: [{ path: '/bin/true', timeout: 0 }] }), pointer: '/hooks/poststop/0/timeout', rule: 'schema/minimum' },
  { name: 'prestart hooks', patch: (c) => (c.hooks = { prestart: [{ path: '/bin/true' }] }), pointer: '/hooks/prestart', rule: 'hook-prestart-deprecated', severity: 'warning' },
  // seccomp
  { name: 'syscall name with capitals', patch: (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read', 'Open'], action: 'SCMP_ACT_ERRNO' }] }), pointer: '/linux/seccomp/syscalls/0/names/1', rule: 'seccomp-syscall-name' },
  { name: 'syscall unknown to libseccomp', patch: (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'], syscalls: [{ names: ['frobnicate'], action: 'SCMP_ACT_ERRNO' }] }), pointer: '/linux/seccomp/syscalls/0/names/0', rule: 'seccomp-syscall-unknown', severity: 'warning' },
  { name: 'unknown architecture (schema)', patch: (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_AMD64'] }), pointer: '/linux/seccomp/architectures/0', rule: 'schema/enum' },
  { name: 'unknown action (schema)', patch: (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_DENY' }), pointer: '/linux/seccomp/defaultAction', rule: 'schema/enum' },
  { name: 'unknown operator (schema)', patch: (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQUAL' }] }] }), pointer: '/linux/seccomp/syscalls/0/args/0/op', rule: 'schema/enum' },
  { name: 'empty names (schema)', patch: (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] }), pointer: '/linux/seccomp/syscalls/0/names', rule: 'schema/minItems' },
  { name: 'errnoRet with SCMP_ACT_KILL', patch: (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_KILL', errnoRet: 1 }] }), pointer: '/linux/seccomp/syscalls/0/errnoRet', rule: 'seccomp-errno-action' },
  { name: 'defaultErrnoRet with SCMP_ACT_ALLOW', patch: (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 38 }), pointer: '/linux/seccomp/defaultErrnoRet', rule: 'seccomp-errno-action' },
  { name: 'listenerMetadata without listenerPath', patch: (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'x' }), pointer: '/linux/seccomp/listenerMetadata', rule: 'seccomp-listener-metadata' },
  { name: 'notify without listenerPath', patch: (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }, { names: ['mount'], action: 'SCMP_ACT_NOTIFY' }] }), pointer: '/linux/seccomp/syscalls/1/action', rule: 'seccomp-notify-listener' },
  { name: 'notify as default action', patch: (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/run/agent.sock' }), pointer: '/linux/seccomp/defaultAction', rule: 'seccomp-notify-default' },
  { name: 'errnoRet beyond the largest errno', patch: (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 4096 }] }), pointer: '/linux/seccomp/syscalls/0/errnoRet', rule: 'seccomp-errno-range' },
  { name: 'defaultErrnoRet beyond 16 bits with SCMP_ACT_TRACE', patch: (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_TRACE', defaultErrnoRet: 65536 }), pointer: '/linux/seccomp/defaultErrnoRet', rule: 'seccomp-errno-range' },
  { name: 'argument index 6', patch: (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['clone'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] }), pointer: '/linux/seccomp/syscalls/0/args/0/index', rule: 'seccomp-arg-index' },
  // devices
  { name: 'device type x (schema)', patch: (c) => (c.linux.devices = [{ path: '/dev/x', type: 'x', major: 1, minor: 3 }]), pointer: '/linux/devices/0/type', rule: 'schema/pattern' },
  { name: 'char device without minor', patch: (c) => (c.linux.devices = [{ path: '/dev/null', type: 'c', major: 1 }]), pointer: '/linux/devices/0/minor', rule: 'device-number-required' },
  { name: 'fileMode with the type bits (podman: 8630 = 0o20666)', patch: (c) => (c.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 8630 }]), pointer: '/linux/devices/0/fileMode', rule: 'device-file-mode-type', severity: 'warning' },
  { name: 'major number too large', patch: (c) => (c.linux.devices = [{ path: '/dev/big', type: 'b', major: 5000, minor: 0 }]), pointer: '/linux/devices/0/major', rule: 'device-number-range' },
  { name: 'negative minor', patch: (c) => (c.linux.devices = [{ path: '/dev/neg', type: 'c', major: 1, minor: -1 }]), pointer: '/linux/devices/0/minor', rule: 'device-number-range' },
  { name: 'relative device path', patch: (c) => (c.linux.devices = [{ path: 'dev/fuse', type: 'c', major: 10, minor: 229 }]), pointer: '/linux/devices/0/path', rule: 'device-path-absolute' },
  { name: 'same device path twice', patch: (c) => (c.linux.devices = [{ path: '/dev/a', type: 'c', major: 1, minor: 3 }, { path: '/dev/a', type: 'c', major: 1, minor: 5 }]), pointer: '/linux/devices/1/path', rule: 'device-path-duplicate' },
  { name: 'same device listed twice', patch: (c) => (c.linux.devices = [{ path: '/dev/a', type: 'c', major: 1, minor: 3 }, { path: '/dev/a', type: 'c', major: 1, minor: 3 }]), pointer: '/linux/devices/1', rule: 'device-number-duplicate', severity: 'warning' },
  { name: 'same device number twice', patch: (c) => (c.linux.devices = [{ path: '/dev/a', type: 'c', major: 1, minor: 3 }, { path: '/dev/b', type: 'c', major: 1, minor: 3 }]), pointer: '/linux/devices/1', rule: 'device-number-duplicate', severity: 'warning' },
  // paths
  { name: 'relative masked path', patch: (c) => c.linux.maskedPaths.push('proc/kmsg'), pointer: '/linux/maskedPaths/10', rule: 'linux-path-absolute' },
  { name: 'relative readonly path', patch: (c) => (c.linux.readonlyPaths[0] = 'proc/bus'), pointer: '/linux/readonlyPaths/0', rule: 'linux-path-absolute' },
  // annotations
  { name: 'empty annotation key', patch: (c) => (c.annotations = { '': 'x' }), pointer: '/annotations/', rule: 'annotation-key-empty' },
  { name: 'reserved annotation key', patch: (c) => (c.annotations = { 'org.opencontainers.image.stopsignal': 'SIGTERM' }), pointer: '/annotations/org.opencontainers.image.stopsignal', rule: 'annotation-reserved', severity: 'warning' },
  // unknown fields
  { name: 'misspelled top-level field', patch: (c) => (c.hostName = 'x'), pointer: '/hostName', rule: 'unknown-field', severity: 'warning' },
  { name: 'misspelled nested field', patch: (c) => (c.process.noNewPrivilege = true), pointer: '/process/noNewPrivilege', rule: 'unknown-field', severity: 'warning' },
  { name: 'unknown field in an array entry', patch: (c) => (c.mounts[0].option = ['ro']), pointer: '/mounts/0/option', rule: 'unknown-field', severity: 'warning' },
  // schema types and requirements
  { name: 'missing cwd (schema)', patch: (c) => delete c.process.cwd, pointer: '/process/cwd', rule: 'schema/required' },
  { name: 'args not an array (schema)', patch: (c) => (c.process.args = 'sh'), pointer: '/process/args', rule: 'schema/type' },
  // platform
  { name: 'a FreeBSD config', patch: (c) => { delete c.linux; c.freebsd = {}; }, pointer: '/freebsd', rule: 'platform-not-linux', severity: 'warning' },
];

describe('semantic rules', () => {
  it('the base config (ocirun spec) has no problem', () => {
    expect(validateConfig(base()).problems).toEqual([]);
  });

  it(`has at least 45 cases (${CASES.length})`, () => expect(CASES.length).toBeGreaterThanOrEqual(45));

  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const report = check(c.patch);
    const found = report.problems;
    const severity = c.severity ?? 'error';
    const match = found.filter((p) => p.pointer === c.pointer && p.rule === c.rule);
    expect(match, JSON.stringify(found, null, 1)).toHaveLength(1);
    expect(match[0].severity).toBe(severity);
    expect(match[0].message.length).toBeGreaterThan(10);
    // Nothing else is an error: each case breaks exactly one thing.
    expect(found.filter((p) => p !== match[0] && p.severity === 'error' && !p.rule?.startsWith('schema/'))).toEqual([]);
    // Warnings alone leave the config valid; an error makes it invalid.
    expect(report.valid).toBe(severity === 'warning');
    exercised.add(c.rule);
  });
});

describe('rule messages', () => {
  it('suggest the field a misspelling meant', () => {
    const [p] = problems((c) => (c.hostName = 'x'));
    expect(p.message).toBe('unknown field "hostName" at the top level (did you mean "hostname"?): it is ignored');
  });
  it('suggest the rlimit a short name meant', () => {
    const p = problems((c) => (c.process.rlimits[0].type = 'NOFILE')).find((x) => x.rule === 'rlimit-type-known');
    expect(p?.message).toContain('did you mean "RLIMIT_NOFILE"?');
  });
  it('suggest the capability', () => {
    const p = problems((c) => (c.process.capabilities.bounding[0] = 'CAP_AUDIT_WRTE')).find((x) => x.rule === 'capability-unknown');
    expect(p?.message).toContain('did you mean "CAP_AUDIT_WRITE"?');
  });
  it('list the allowed values of an enum', () => {
    const p = problems((c) => (c.linux.namespaces[2].type = 'ipcs'))[0];
    expect(p.message).toBe('"ipcs" is not an allowed value; expected one of "mount", "pid", "network", "uts", "ipc", "user", "cgroup", "time"');
  });
  it('accept a valid seccomp profile with multi-arch names', () => {
    // arch_prctl exists on x86_64 only, but the rule lists several architectures: not a problem.
    expect(problems((c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'], syscalls: [{ names: ['arch_prctl', 'read'], action: 'SCMP_ACT_ALLOW' }] }))).toEqual([]);
  });
  it('accept a FIFO with major and minor (optional for type p, not forbidden; runc accepts them)', () => {
    expect(problems((c) => (c.linux.devices = [{ path: '/dev/fifo', type: 'p', major: 1, minor: 2, fileMode: 0o600 }]))).toEqual([]);
  });
  it('fileMode beyond the type bits is still an error', () => {
    const found = problems((c) => (c.linux.devices = [{ path: '/dev/x', type: 'c', major: 1, minor: 3, fileMode: 0o1000000 }]));
    expect(found.map((p) => [p.pointer, p.severity, p.rule])).toEqual([['/linux/devices/0/fileMode', 'error', 'schema/maximum']]);
  });
  it('allow a user namespace with its mappings and an idmapped bind mount', () => {
    expect(
      problems((c) => {
        c.linux.namespaces.push({ type: 'user' });
        c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        c.mounts.push({ destination: '/data', source: '/srv', type: 'bind', options: ['rbind', 'ridmap'] });
        c.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1', 'fs.mqueue.msg_max': '10', 'kernel.domainname': 'x' };
      }),
    ).toEqual([]);
  });
});

describe('libseccomp on this host', () => {
  it('is found', () => expect(lib).not.toBeNull());
  it.skipIf(archUnknownHere === undefined)(`warns about an architecture it does not know (${archUnknownHere})`, () => {
    const p = problems((c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', archUnknownHere] }));
    expect(p).toEqual([expect.objectContaining({ pointer: '/linux/seccomp/architectures/1', rule: 'seccomp-arch-unsupported', severity: 'warning' })]);
    exercised.add('seccomp-arch-unsupported');
  });
});

describe('host checks (with a bundle directory)', () => {
  function withBundle(fn: (dir: string) => void) {
    const dir = mkdtempSync(join(tmpdir(), 'ocirun-rules-'));
    try {
      fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  it('root.path missing', () =>
    withBundle((dir) => {
      const p = problems(() => {}, { bundleDir: dir });
      expect(p).toEqual([expect.objectContaining({ pointer: '/root/path', rule: 'root-path-exists', severity: 'error', message: `root filesystem ${join(dir, 'rootfs')} does not exist` })]);
      exercised.add('root-path-exists');
    }));
  it('root.path is a file', () =>
    withBundle((dir) => {
      writeFileSync(join(dir, 'rootfs'), '');
      expect(problems(() => {}, { bundleDir: dir })).toEqual([expect.objectContaining({ pointer: '/root/path', rule: 'root-path-exists' })]);
    }));
  it('root.path resolves against the bundle, not the working directory', () =>
    withBundle((dir) => {
      mkdirSync(join(dir, 'rootfs'));
      expect(problems(() => {}, { bundleDir: dir })).toEqual([]);
    }));
  it('namespace path missing', () =>
    withBundle((dir) => {
      mkdirSync(join(dir, 'rootfs'));
      const p = problems((c) => (c.linux.namespaces[1].path = '/run/netns/does-not-exist'), { bundleDir: dir });
      expect(p).toEqual([expect.objectContaining({ pointer: '/linux/namespaces/1/path', rule: 'namespace-path-exists', severity: 'error' })]);
      exercised.add('namespace-path-exists');
    }));
  it('namespace path that exists', () =>
    withBundle((dir) => {
      mkdirSync(join(dir, 'rootfs'));
      expect(problems((c) => (c.linux.namespaces[1].path = '/proc/self/ns/net'), { bundleDir: dir })).toEqual([]);
    }));
});

describe('the rule table', () => {
  const bundleOnly = new Set(['duplicate-field', 'json-syntax', 'config-missing']);
  // Only testable where libseccomp lacks one of the spec's architectures.
  if (archUnknownHere === undefined) bundleOnly.add('seccomp-arch-unsupported');
  it('documents every rule a case exercises, and every rule has a case', () => {
    for (const rule of exercised) if (!rule.startsWith('schema/')) expect(RULES).toHaveProperty([rule]);
    const untested = Object.keys(RULES).filter((r) => !exercised.has(r) && !bundleOnly.has(r));
    expect(untested).toEqual([]);
  });
});
