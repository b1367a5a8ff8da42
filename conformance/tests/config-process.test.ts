// config.md#process (POSIX and Linux process properties, user), #hostname, #domainname,
// #annotations, #extensibility and #valid-values. The probe reads /proc/self inside the container.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, describeResult, expect, featureTest, spec, test, type Harness } from '../harness/harness.js';
import { SECCOMP } from '../harness/feature-catalog.js';
import type { Config } from '../harness/bundle.js';
import { apparmor, command, selinux } from '../harness/requires.js';

/** Run `sh -c script` with the config patched; the process's /proc/self/status as a map. */
async function statusIn(h: Harness, patch: (c: Config) => void): Promise<Record<string, string>> {
  const out = await h.mustProbe('cat /proc/self/status', patch);
  return Object.fromEntries(out.split('\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
}

const CAP = { CAP_CHOWN: 0, CAP_KILL: 5, CAP_NET_BIND_SERVICE: 10, CAP_NET_RAW: 13, CAP_SYS_CHROOT: 18, CAP_AUDIT_WRITE: 29 } as const;
const mask = (...caps: (keyof typeof CAP)[]) => caps.reduce((m, c) => m | (1n << BigInt(CAP[c])), 0n);
const hex = (m: bigint) => m.toString(16).padStart(16, '0');

function caps(c: Config, sets: Partial<Record<'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient', string[]>>) {
  c.process.capabilities = { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [], ...sets };
}

/** /proc/self/limits row → [soft, hard] */
function limitOf(limits: string, label: string): [string, string] {
  const line = limits.split('\n').find((l) => l.startsWith(label));
  if (!line) throw new Error(`no "${label}" in /proc/self/limits:\n${limits}`);
  const f = line.slice(label.length).trim().split(/\s+/);
  return [f[0]!, f[1]!];
}

describe('config.md#process', () => {
  test(spec('config.md#process', 'CFG-PROC-CWD-001', 'process.cwd is the working directory of the program'), async ({ h }) => {
    expect(await h.mustProbe('pwd', (c) => (c.process.cwd = '/bin'))).toBe('/bin\n');
  });

  test(spec('config.md#process', 'CFG-PROC-CWD-002', 'a relative process.cwd is invalid and generates an error'), async ({ h }) => {
    const b = h.bundle({ patch: (c) => (c.process.cwd = 'bin') });
    const r = await h.create(b);
    h.expectError(r, /cwd|working dir/i);
  });

  test(spec('config.md#process', 'CFG-PROC-ENV-001', 'process.env is the environment of the program'), async ({ h }) => {
    const env = ['PATH=/bin', 'HOME=/root', 'FOO=bar baz', 'EMPTY='];
    // no shell in between: sh would add PWD/SHLVL to its own environ
    const b = h.bundle({ args: ['cat', '/proc/self/environ'], patch: (c) => (c.process.env = env) });
    const r = await h.run(b);
    expect(r.stdout.split('\0').filter(Boolean).sort(), describeResult(r)).toEqual([...env].sort());
  });

  test(spec('config.md#process', 'CFG-PROC-ARGS-001', 'process.args is the argv of the program, verbatim'), async ({ h }) => {
    const b = h.bundle({ args: ['sh', '-c', 'printf "[%s]" "$0" "$@"', 'zero', 'a b', '', '*'] });
    const r = await h.run(b);
    expect(r.stdout, describeResult(r)).toBe('[zero][a b][][*]');
  });

  test(spec('config.md#process', 'CFG-PROC-ARGS-002', 'process.args[0] is looked up in PATH like execvp'), async ({ h }) => {
    const b = h.bundle({ args: ['only-in-opt'], patch: (c) => (c.process.env = ['PATH=/opt/tools:/bin']) });
    mkdirSync(join(b.rootfs, 'opt/tools'), { recursive: true });
    writeFileSync(join(b.rootfs, 'opt/tools/only-in-opt'), '#!/bin/sh\necho found-in-path\n');
    chmodSync(join(b.rootfs, 'opt/tools/only-in-opt'), 0o755);
    const r = await h.run(b);
    expect(r.stdout, describeResult(r)).toBe('found-in-path\n');
  });

  test(spec('config.md#process', 'CFG-PROC-ARGS-003', 'an empty process.args is invalid and generates an error'), async ({ h }) => {
    const b = h.bundle({ args: [] });
    // refused by create, or at the latest by start, naming the args (or the executable they lack)
    const r = await h.create(b);
    h.expectError(r.code === 0 ? await h.start(b.id) : r, /args|executable/i);
  });

  test(spec('config.md#process', 'CFG-PROC-CONSOLE-001', 'consoleSize is ignored when terminal is false'), async ({ h }) => {
    const r = await h.probe('[ -t 1 ] && echo tty || echo notty', (c) => (c.process.consoleSize = { height: 10, width: 20 }));
    expect(r.stdout, describeResult(r)).toBe('notty\n');
  });

  test(spec('config.md#process', 'CFG-PROC-TERM-001', 'terminal true: a pseudoterminal is duplicated on the standard streams'), async ({ h }) => {
    h.requires(command('/usr/bin/script'));
    const b = h.bundle({ args: ['sh', '-c', 'for f in 0 1 2; do readlink /proc/self/fd/$f; done'], patch: (c) => (c.process.terminal = true) });
    const r = await h.run(b, { withTty: true });
    // script(1) adds \r and echoes control characters around the output
    const lines = r.stdout.split('\n').map((l) => /\/dev\/pts\/\d+/.exec(l)?.[0]).filter(Boolean);
    expect(lines.length, describeResult(r)).toBe(3);
    expect(new Set(lines).size).toBe(1);
  });
});

describe('config.md#posix-process', () => {
  test(spec('config.md#posix-process', 'CFG-RLIMIT-001', 'rlimits: the soft limit (rlim_cur) matches the configured value'), async ({ h }) => {
    const out = await h.mustProbe('cat /proc/self/limits', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 513, hard: 769 }]));
    expect(limitOf(out, 'Max open files')[0]).toBe('513');
  });

  test(spec('config.md#posix-process', 'CFG-RLIMIT-002', 'rlimits: the hard limit (rlim_max) matches the configured value'), async ({ h }) => {
    const out = await h.mustProbe('cat /proc/self/limits', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 513, hard: 769 }]));
    expect(limitOf(out, 'Max open files')[1]).toBe('769');
  });

  test(spec('config.md#posix-process', 'CFG-RLIMIT-003', 'rlimits: getrlimit succeeds and matches for every configured type'), async ({ h }) => {
    const rl = [
      { type: 'RLIMIT_CORE', soft: 4096, hard: 8192, label: 'Max core file size' },
      { type: 'RLIMIT_NPROC', soft: 2000, hard: 3000, label: 'Max processes' },
      { type: 'RLIMIT_MSGQUEUE', soft: 8192, hard: 16384, label: 'Max msgqueue size' },
      { type: 'RLIMIT_MEMLOCK', soft: 65536, hard: 131072, label: 'Max locked memory' },
      { type: 'RLIMIT_FSIZE', soft: 1048576, hard: 2097152, label: 'Max file size' },
    ];
    const out = await h.mustProbe('cat /proc/self/limits', (c) => (c.process.rlimits = rl.map(({ type, soft, hard }) => ({ type, soft, hard }))));
    for (const r of rl) expect(limitOf(out, r.label), r.type).toEqual([String(r.soft), String(r.hard)]);
  });

  test(spec('config.md#posix-process', 'CFG-RLIMIT-004', 'rlimits: a type that maps to no kernel resource generates an error'), async ({ h }) => {
    const b = h.bundle({ patch: (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOT_A_LIMIT', soft: 1, hard: 1 }]) });
    const r = await h.create(b);
    h.expectError(r, /RLIMIT_NOT_A_LIMIT/);
  });

  test(spec('config.md#posix-process', 'CFG-RLIMIT-005', 'rlimits: duplicated entries of the same type generate an error'), async ({ h }) => {
    const b = h.bundle({
      patch: (c) =>
        (c.process.rlimits = [
          // the second lowers the first: applying both in turn would succeed, so only a check refuses
          { type: 'RLIMIT_NOFILE', soft: 300, hard: 400 },
          { type: 'RLIMIT_NOFILE', soft: 100, hard: 200 },
        ]),
    });
    const r = await h.create(b);
    h.expectError(r, /RLIMIT_NOFILE[^\n]*(twice|duplicat|more than once|again)|(twice|duplicat|more than once)[^\n]*RLIMIT_NOFILE/i);
  });
});

describe('config.md#linux-process', () => {
  test(spec('config.md#linux-process', 'CFG-CAPS-bounding', 'capabilities.bounding is the bounding set of the process'), async ({ h }) => {
    const st = await statusIn(h, (c) => caps(c, { bounding: ['CAP_CHOWN', 'CAP_KILL'] }));
    expect(st.CapBnd).toBe(hex(mask('CAP_CHOWN', 'CAP_KILL')));
  });

  test(spec('config.md#linux-process', 'CFG-CAPS-effective', 'capabilities.effective is the effective set of the process'), async ({ h }) => {
    const all = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
    // for uid 0 execve makes effective = permitted, so both are given the same subset
    const sub = ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE'];
    const st = await statusIn(h, (c) => caps(c, { bounding: all, permitted: sub, effective: sub }));
    expect(st.CapEff).toBe(hex(mask('CAP_CHOWN', 'CAP_NET_BIND_SERVICE')));
  });

  test(spec('config.md#linux-process', 'CFG-CAPS-permitted', 'capabilities.permitted is the permitted set of the process'), async ({ h }) => {
    const all = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
    const st = await statusIn(h, (c) => caps(c, { bounding: all, permitted: ['CAP_CHOWN', 'CAP_KILL'], effective: ['CAP_CHOWN', 'CAP_KILL'] }));
    expect(st.CapPrm).toBe(hex(mask('CAP_CHOWN', 'CAP_KILL')));
  });

  test(spec('config.md#linux-process', 'CFG-CAPS-inheritable', 'capabilities.inheritable is the inheritable set of the process'), async ({ h }) => {
    const all = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
    const st = await statusIn(h, (c) => caps(c, { bounding: all, permitted: all, effective: all, inheritable: ['CAP_KILL'] }));
    expect(st.CapInh).toBe(hex(mask('CAP_KILL')));
  });

  test(spec('config.md#linux-process', 'CFG-CAPS-ambient', 'capabilities.ambient is the ambient set of the process (non-root user)'), async ({ h }) => {
    const nb = ['CAP_NET_BIND_SERVICE'];
    const st = await statusIn(h, (c) => {
      c.process.user = { uid: 1000, gid: 1000 };
      caps(c, { bounding: nb, permitted: nb, effective: nb, inheritable: nb, ambient: nb });
    });
    expect(st.CapAmb).toBe(hex(mask('CAP_NET_BIND_SERVICE')));
    // ambient is what lets a non-root program keep the capability across execve
    expect(st.CapEff).toBe(hex(mask('CAP_NET_BIND_SERVICE')));
  });

  test(spec('config.md#linux-process', 'CFG-CAPS-unknown', 'SHOULD: an unknown capability is a warning, not a failure'), async ({ h }) => {
    const st = await statusIn(h, (c) => caps(c, { bounding: ['CAP_CHOWN', 'CAP_NOT_A_REAL_CAP'], permitted: ['CAP_CHOWN'], effective: ['CAP_CHOWN'] }));
    expect(st.CapBnd).toBe(hex(mask('CAP_CHOWN')));
  });

  test(spec('config.md#linux-process', 'CFG-CAPS-ungrantable', 'SHOULD: a capability the runtime cannot grant does not fail the container'), async ({ h }) => {
    // CAP_SYS_RESOURCE (24) is absent from this host's bounding set; on other hosts it is simply granted
    const st = await statusIn(h, (c) => caps(c, { bounding: ['CAP_CHOWN', 'CAP_SYS_RESOURCE'], permitted: ['CAP_CHOWN'], effective: ['CAP_CHOWN'] }));
    expect(BigInt(`0x${st.CapBnd}`) & 1n).toBe(1n);
  });

  test(spec('config.md#linux-process', 'CFG-NNP-001', 'noNewPrivileges true sets no_new_privs on the process'), async ({ h }) => {
    expect((await statusIn(h, (c) => (c.process.noNewPrivileges = true))).NoNewPrivs).toBe('1');
  });

  test(spec('config.md#linux-process', 'CFG-NNP-002', 'noNewPrivileges false leaves no_new_privs unset'), async ({ h }) => {
    expect((await statusIn(h, (c) => (c.process.noNewPrivileges = false))).NoNewPrivs).toBe('0');
  });

  test(spec('config.md#linux-process', 'CFG-OOM-001', 'oomScoreAdj set: oom_score_adj of the process is the given value'), async ({ h }) => {
    const b = h.bundle({ args: ['cat', '/proc/self/oom_score_adj'], patch: (c) => (c.process.oomScoreAdj = 123) });
    const r = await h.run(b, { shellPrefix: 'echo 37 > /proc/self/oom_score_adj' });
    expect(r.stdout, describeResult(r)).toBe('123\n');
  });

  test(spec('config.md#linux-process', 'CFG-OOM-002', 'oomScoreAdj unset: oom_score_adj is not changed from the runtime caller'), async ({ h }) => {
    const b = h.bundle({ args: ['cat', '/proc/self/oom_score_adj'], patch: (c) => delete c.process.oomScoreAdj });
    const r = await h.run(b, { shellPrefix: 'echo 37 > /proc/self/oom_score_adj' });
    expect(r.stdout, describeResult(r)).toBe('37\n');
  });

  test(spec('config.md#linux-process', 'CFG-SCHED-001', 'scheduler: policy SCHED_BATCH with nice is applied to the process'), async ({ h }) => {
    // /proc/PID/stat: field 19 is nice, field 41 the policy (SCHED_BATCH = 3)
    const out = await h.mustProbe('cat /proc/self/stat', (c) => (c.process.scheduler = { policy: 'SCHED_BATCH', nice: 7 }));
    const f = out.slice(out.lastIndexOf(')') + 2).split(' ');
    expect({ nice: f[16], policy: f[38] }).toEqual({ nice: '7', policy: '3' });
  });

  test(spec('config.md#linux-process', 'CFG-SCHED-002', 'scheduler: policy SCHED_IDLE is applied to the process'), async ({ h }) => {
    const out = await h.mustProbe('cat /proc/self/stat', (c) => (c.process.scheduler = { policy: 'SCHED_IDLE' }));
    const f = out.slice(out.lastIndexOf(')') + 2).split(' ');
    expect(f[38]).toBe('5');
  });

  test(spec('config.md#linux-process', 'CFG-IOPRIO-001', 'ioPriority: class and priority are applied to the process'), async ({ h }) => {
    const out = await h.mustProbe('ionice -p $$', (c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 }));
    expect(out.trim()).toBe('best-effort: prio 6');
  });

  test(spec('config.md#linux-process', 'CFG-IOPRIO-002', 'ioPriority: the idle class is applied to the process'), async ({ h }) => {
    const out = await h.mustProbe('ionice -p $$', (c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 }));
    expect(out.trim()).toBe('idle');
  });

  test(spec('config.md#linux-process', 'CFG-APPARMOR-001', 'apparmorProfile is the AppArmor profile of the process'), async ({ h }) => {
    h.requires(apparmor);
    const out = await h.mustProbe('cat /proc/self/attr/current', (c) => (c.process.apparmorProfile = 'unconfined'));
    expect(out.trim()).toBe('unconfined');
  });

  test(spec('config.md#linux-process', 'CFG-SELINUX-001', 'selinuxLabel is the SELinux label of the process'), async ({ h }) => {
    h.requires(selinux);
    const label = 'system_u:system_r:container_t:s0:c1,c2';
    const out = await h.mustProbe('cat /proc/self/attr/current', (c) => (c.process.selinuxLabel = label));
    expect(out.replace(/\0/g, '').trim()).toBe(label);
  });
});

describe('config.md#user', () => {
  test(spec('config.md#posix-platform-user', 'CFG-USER-001', 'user.uid is the uid of the process'), async ({ h }) => {
    const st = await statusIn(h, (c) => (c.process.user = { uid: 1000, gid: 1001 }));
    expect(st.Uid).toBe('1000\t1000\t1000\t1000');
  });

  test(spec('config.md#posix-platform-user', 'CFG-USER-002', 'user.gid is the gid of the process'), async ({ h }) => {
    const st = await statusIn(h, (c) => (c.process.user = { uid: 1000, gid: 1001 }));
    expect(st.Gid).toBe('1001\t1001\t1001\t1001');
  });

  test(spec('config.md#posix-platform-user', 'CFG-USER-003', 'user.additionalGids are the supplementary groups of the process'), async ({ h }) => {
    const st = await statusIn(h, (c) => (c.process.user = { uid: 1000, gid: 1001, additionalGids: [5, 6, 1234] }));
    expect(st.Groups!.split(/\s+/).filter(Boolean).sort()).toEqual(['1234', '5', '6']);
  });

  test(spec('config.md#posix-platform-user', 'CFG-USER-004', 'user.umask is the umask of the process'), async ({ h }) => {
    expect(await h.mustProbe('umask', (c) => (c.process.user = { uid: 0, gid: 0, umask: 0o027 }))).toBe('0027\n');
  });
});

describe('config.md#hostname and #domainname', () => {
  test(spec('config.md#hostname', 'CFG-HOSTNAME-001', 'hostname is the hostname seen inside the container'), async ({ h }) => {
    expect(await h.mustProbe('hostname', (c) => (c.hostname = 'conformance-host'))).toBe('conformance-host\n');
  });

  test(spec('config.md#domainname', 'CFG-DOMAINNAME-001', 'domainname is the NIS domain name seen inside the container'), async ({ h }) => {
    expect(await h.mustProbe('cat /proc/sys/kernel/domainname', (c) => (c.domainname = 'conformance.test'))).toBe('conformance.test\n');
  });
});

describe('config.md#annotations, #extensibility, #valid-values', () => {
  test(spec('config.md#annotations', 'CFG-ANNOT-001', 'unknown annotation keys are handled like unknown properties (no error)'), async ({ h }) => {
    const r = await h.probe('echo ok', (c) => (c.annotations = { 'com.example.unknown.key': 'v', 'org.opencontainers.image.os': 'linux' }));
    expect(r.stdout, describeResult(r)).toBe('ok\n');
  });

  test(spec('config.md#annotations', 'CFG-ANNOT-EMPTYKEY', 'an empty annotation key is invalid and generates an error'), async ({ h }) => {
    const b = h.bundle({ patch: (c) => (c.annotations = { '': 'empty key' }) });
    const r = await h.create(b);
    h.expectError(r, /annotation/i);
  });

  test(spec('config.md#annotations', 'CFG-ANNOT-NOTMAP', 'annotations that are not a key-value map generate an error'), async ({ h }) => {
    const b = h.bundle({ patch: (c) => (c.annotations = ['org.example.key=value']) });
    const r = await h.create(b);
    h.expectError(r, /annotation/i);
  });

  test(spec('config.md#annotations', 'CFG-ANNOT-VALUE', 'an annotation value that is not a string generates an error'), async ({ h }) => {
    const b = h.bundle({ patch: (c) => (c.annotations = { 'org.example.count': 3 }) });
    const r = await h.create(b);
    h.expectError(r, /annotation|org\.example\.count/i);
  });

  test(spec('config.md#extensibility', 'CFG-EXT-001', 'an unknown top-level property is ignored, not an error'), async ({ h }) => {
    const r = await h.probe('echo ok', (c) => (c.comExampleUnknownProperty = { nested: [1, 2] }));
    expect(r.stdout, describeResult(r)).toBe('ok\n');
  });

  test(spec('config.md#extensibility', 'CFG-EXT-002', 'unknown properties inside process and linux are ignored'), async ({ h }) => {
    const r = await h.probe('echo ok', (c) => {
      c.process.comExampleUnknown = true;
      c.linux.comExampleUnknown = 'x';
    });
    expect(r.stdout, describeResult(r)).toBe('ok\n');
  });

  test(spec('config.md#valid-values', 'CFG-VALID-001', 'an ociVersion that is not SemVer generates an error'), async ({ h }) => {
    const b = h.bundle({ patch: (c) => (c.ociVersion = 'not-a-version') });
    const r = await h.create(b);
    h.expectError(r, /version/i);
  });

  test(spec('config.md#valid-values', 'CFG-VALID-002', 'an unknown namespace type generates an error'), async ({ h }) => {
    const b = h.bundle({ patch: (c) => c.linux.namespaces.push({ type: 'no-such-namespace' }) });
    const r = await h.create(b);
    h.expectError(r, /no-such-namespace/);
  });

  featureTest(SECCOMP, { mustWork: true })(spec('config.md#valid-values', 'CFG-VALID-003', 'an unknown seccomp action generates an error'), async ({ h }) => {
    const b = h.bundle({ patch: (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_NOT_AN_ACTION' }) });
    const r = await h.create(b);
    h.expectError(r, /SCMP_ACT_NOT_AN_ACTION/);
  });
});
