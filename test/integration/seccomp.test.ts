// linux.seccomp in real containers: actions, errnos, argument filters, compat architectures,
// flags, the notify listener with an agent that answers, exec, and the profiles podman and
// containerd send.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LinuxSeccomp, Spec } from '../../lib/spec/index.js';
import { REPO, useHarness, waitFor } from '../support/harness.js';

const h = useHarness('seccomp');
const SUPPORT = join(REPO, 'test/support');
const CLIENT_CONFIGS = join(REPO, 'test/fixtures/client-configs');
const x86 = process.arch === 'x64';

/** A filter that allows everything but `rules`, for x86_64, x86 and x32 (aarch64 and arm there). */
function allowBut(rules: LinuxSeccomp['syscalls'], extra: Partial<LinuxSeccomp> = {}): LinuxSeccomp {
  const architectures = (x86 ? ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] : ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']) as LinuxSeccomp['architectures'];
  return { defaultAction: 'SCMP_ACT_ALLOW', architectures, syscalls: rules, ...extra };
}

function withSeccomp(seccomp: LinuxSeccomp, more?: (s: Spec) => void): (s: Spec) => void {
  return (s) => {
    s.linux!.seccomp = seccomp;
    s.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs' });
    more?.(s);
  };
}

/** The seccomp section a real client sent (test/fixtures/client-configs). */
function clientProfile(file: string): { seccomp: LinuxSeccomp; noNewPrivileges?: boolean } {
  const c = JSON.parse(readFileSync(join(CLIENT_CONFIGS, file), 'utf8')) as Spec;
  return { seccomp: c.linux!.seccomp!, noNewPrivileges: c.process!.noNewPrivileges };
}

describe('actions and errnos', () => {
  it('SCMP_ACT_ERRNO with errnoRet fails mkdir with that errno while other syscalls work', async () => {
    const r = await h.shBoth('touch /tmp/f && echo touched; mkdir /tmp/d 2>&1; echo rc=$?; grep ^Seccomp: /proc/self/status', withSeccomp(allowBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 122 }])));
    expect(r.stdout).toBe("touched\nmkdir: can't create directory '/tmp/d': Disk quota exceeded\nrc=1\nSeccomp:\t2\n");
  });

  it('SCMP_ACT_ERRNO without errnoRet fails with EPERM', async () => {
    const r = await h.sh('mkdir /tmp/d 2>&1', withSeccomp(allowBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }])));
    expect(r.stdout).toBe("mkdir: can't create directory '/tmp/d': Operation not permitted\n");
  });

  it('defaultErrnoRet is what every syscall without a rule fails with', async () => {
    // podman's profile (default SCMP_ACT_ERRNO) without mkdir in its allow list.
    const { seccomp } = clientProfile('podman-config-run-d-sleep.json');
    const syscalls = seccomp.syscalls!.map((r) => ({ ...r, names: r.names.filter((n) => n !== 'mkdir' && n !== 'mkdirat') })).filter((r) => r.names.length);
    const r = await h.sh('mkdir /tmp/d 2>&1; echo rc=$?; touch /tmp/f && echo touched', withSeccomp({ ...seccomp, syscalls, defaultErrnoRet: 122 }));
    expect(r.stdout).toBe("mkdir: can't create directory '/tmp/d': Disk quota exceeded\nrc=1\ntouched\n");
    // Without defaultErrnoRet: EPERM.
    const plain = await h.sh('mkdir /tmp/d 2>&1', withSeccomp({ ...seccomp, syscalls, defaultErrnoRet: undefined }));
    expect(plain.stdout).toBe("mkdir: can't create directory '/tmp/d': Operation not permitted\n");
  });

  for (const action of ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP'] as const) {
    it(`${action} ends the process with SIGSYS`, async () => {
      // sync(2) is made by the sync applet in a subshell, never by the shell itself.
      const r = await h.sh('(sync); echo rc=$?', withSeccomp(allowBut([{ names: ['sync'], action }])));
      expect(r.stdout).toBe('rc=159\n');
    });
  }

  it('SCMP_ACT_KILL_PROCESS takes the whole container process down when its pid 1 is hit', async () => {
    const r = await h.run(withSeccomp(allowBut([{ names: ['sync'], action: 'SCMP_ACT_KILL_PROCESS' }]), (s) => (s.process!.args = ['sync'])));
    expect(r.code).toBe(159);
  });

  it('SCMP_ACT_ALLOW and SCMP_ACT_LOG let the call through; a rule with the default action adds nothing', async () => {
    const r = await h.sh('uname -s; mkdir /tmp/d && echo made', withSeccomp(allowBut([
      { names: ['uname'], action: 'SCMP_ACT_LOG' },
      { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ALLOW' },
    ])));
    expect(r.stdout).toBe('Linux\nmade\n');
  });

  it('SCMP_ACT_TRACE without a tracer fails the call with ENOSYS', async () => {
    // seccomp(2): with no tracer attached, a SECCOMP_RET_TRACE call returns -ENOSYS.
    const r = await h.sh('mkdir /tmp/d 2>&1', withSeccomp(allowBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_TRACE', errnoRet: 7 }])));
    expect(r.stdout).toBe("mkdir: can't create directory '/tmp/d': Function not implemented\n");
  });
});

describe('argument filters', () => {
  // kill(2)'s second argument is the signal: 0 (a probe), 18 (SIGCONT) and 28 (SIGWINCH) are
  // harmless to the shell that sends them to itself.
  const probe = 'for s in 0 18 28; do kill -$s $$ 2>/dev/null && echo $s:ok || echo $s:denied; done';
  const cases: [string, LinuxSeccomp['syscalls'], string][] = [
    ['SCMP_CMP_EQ', [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 18, op: 'SCMP_CMP_EQ' }] }], '0:ok 18:denied 28:ok'],
    ['SCMP_CMP_NE', [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 18, op: 'SCMP_CMP_NE' }] }], '0:denied 18:ok 28:denied'],
    ['SCMP_CMP_LT', [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 18, op: 'SCMP_CMP_LT' }] }], '0:denied 18:ok 28:ok'],
    ['SCMP_CMP_LE', [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 18, op: 'SCMP_CMP_LE' }] }], '0:denied 18:denied 28:ok'],
    ['SCMP_CMP_GE', [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 18, op: 'SCMP_CMP_GE' }] }], '0:ok 18:denied 28:denied'],
    ['SCMP_CMP_GT', [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 18, op: 'SCMP_CMP_GT' }] }], '0:ok 18:ok 28:denied'],
    // (signal & 0x10) == 0x10: 18 and 28 have the bit, 0 has not.
    ['SCMP_CMP_MASKED_EQ', [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0x10, valueTwo: 0x10, op: 'SCMP_CMP_MASKED_EQ' }] }], '0:ok 18:denied 28:denied'],
    // The same argument twice: one rule per comparison (either matches), as runc does.
    ['the same argument twice', [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQ' }, { index: 1, value: 28, op: 'SCMP_CMP_EQ' }] }], '0:denied 18:ok 28:denied'],
    // Two arguments in one rule: both must match (pid 1 is the shell, the container's init).
    ['two arguments', [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 28, op: 'SCMP_CMP_EQ' }] }], '0:ok 18:ok 28:denied'],
  ];
  for (const [name, rules, want] of cases) {
    it(`${name} matches and misses as it should`, async () => {
      const r = await h.sh(probe, withSeccomp(allowBut(rules)));
      expect(r.stdout.trim().split('\n').join(' ')).toBe(want);
    });
  }

  it('two arguments in one rule: a call matching only one of them passes', async () => {
    const r = await h.sh('sh -c \'kill -28 $$ && echo child:ok\'; kill -28 $$ && echo init:ok || echo init:denied', withSeccomp(allowBut(cases[8][1])));
    expect(r.stdout).toBe('child:ok\ninit:denied\n');
  });
});

describe("runc's -ENOSYS stub: syscalls newer than the profile fail with ENOSYS, not the default action", () => {
  let bin = '';
  beforeAll(() => {
    bin = h.dir('raw');
    execFileSync('cc', ['-static', '-O2', '-o', join(bin, 'raw'), join(SUPPORT, 'raw-syscall.c')]);
  });
  const mountBin = (s: Spec) => s.mounts!.push({ destination: '/raw', type: 'bind', source: bin, options: ['bind', 'ro'] });
  // 1000: above every syscall number the profiles name (and any the kernel has).
  // mkdir (x86_64 83, aarch64 has none: mkdirat 34): named nowhere in the profile once removed, below its highest.
  const MKDIR = x86 ? 83 : 34;

  it("containerd's profile (default SCMP_ACT_ERRNO, EPERM): ENOSYS above its highest syscall, EPERM below", async () => {
    const { seccomp } = clientProfile('containerd-config-seccomp-limits.json');
    const syscalls = seccomp.syscalls!.map((r) => ({ ...r, names: r.names.filter((n) => n !== 'mkdir' && n !== 'mkdirat') })).filter((r) => r.names.length);
    const probe = `/raw/raw 1000 ${MKDIR}${x86 ? ' 0x400003e8' : ''}`;
    const r = await h.sh(probe, withSeccomp({ ...seccomp, syscalls }, mountBin));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`1000:38\n${MKDIR}:1\n${x86 ? '0x400003e8:38\n' : ''}`);
  });

  it('a default KILL profile: the new syscall gets ENOSYS instead of the kill; a permissive default needs no stub', async () => {
    const kill = allowBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL_PROCESS' }]);
    // The profile allows everything by default: nothing to stub, the kernel's own ENOSYS.
    const allow = await h.sh('/raw/raw 1000', withSeccomp(kill, mountBin));
    expect(allow.stdout).toBe('1000:38\n');
    // podman's profile, its default made KILL_PROCESS: the stub answers before the kill.
    const { seccomp } = clientProfile('podman-config-run-d-sleep.json');
    const strict = await h.sh('/raw/raw 1000; echo rc=$?', withSeccomp({ ...seccomp, defaultAction: 'SCMP_ACT_KILL_PROCESS', defaultErrnoRet: undefined }, mountBin));
    expect(strict.stdout).toBe('1000:38\nrc=0\n');
  });
});

describe('argument values above 2^53, as written in config.json', () => {
  // (signal & 0x8000000000000001) == 0 holds for even signals only; JSON.parse's 2^63 for the
  // mask would deny every signal, 2^64 for an all-ones mask none.
  const probe = 'for s in 0 17 18; do kill -$s $$ 2>/dev/null && echo $s:ok || echo $s:denied; done';
  const bundleWith = (mask: string, value: string) => {
    const bundle = h.bundle(withSeccomp(allowBut([{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 4242424242, valueTwo: 4343434343, op: 'SCMP_CMP_MASKED_EQ' }] }]), (s) => {
      s.process!.args = ['sh', '-c', probe];
    }));
    const file = join(bundle, 'config.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('4242424242', mask).replace('4343434343', value));
    return bundle;
  };

  it('a mask of 0x8000000000000001 (9223372036854775809) keeps its low bit', async () => {
    const r = await h.cli(['run', '--bundle', bundleWith('9223372036854775809', '0'), h.id()]);
    expect({ out: r.stdout.trim().split('\n').join(' '), err: r.stderr }).toEqual({ out: '0:denied 17:ok 18:denied', err: '' });
  });

  it('a mask of 18446744073709551615 (all ones) matches the signal itself', async () => {
    const r = await h.cli(['run', '--bundle', bundleWith('18446744073709551615', '18'), h.id()]);
    expect(r.stdout.trim().split('\n').join(' ')).toBe('0:ok 17:ok 18:denied');
  });

  it('a value above 2^64 - 1 is refused naming it', async () => {
    const r = await h.cli(['run', '--bundle', bundleWith('18446744073709551616', '0'), h.id()]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/config\.json: \/linux\/seccomp\/syscalls\/0\/args\/0\/value: 18446744073709551616 is above 2\^64 - 1/);
    h.expectClean();
  });
});

describe.runIf(x86)('compat architectures (x86_64 host)', () => {
  let bin = '';
  beforeAll(() => {
    bin = h.dir('compat');
    for (const abi of ['I386', 'X32']) {
      execFileSync('cc', ['-nostdlib', '-static', '-ffreestanding', '-fno-pie', '-no-pie', '-O2', `-DABI_${abi}`, '-o', join(bin, abi.toLowerCase()), join(SUPPORT, 'compat-syscall.c')]);
    }
  });
  const mountBin = (s: Spec) => s.mounts!.push({ destination: '/compat', type: 'bind', source: bin, options: ['bind', 'ro'] });

  it('x32 syscalls are filtered by the SCMP_ARCH_X32 section', async () => {
    const rules: LinuxSeccomp['syscalls'] = [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 122 }];
    const r = await h.sh('/compat/x32; echo rc=$?', withSeccomp(allowBut(rules), mountBin));
    // 122 from the filter; the kernel itself (no x32 ABI here, or no filter) would say -38 or +0.
    expect(r.stdout).toBe('-122\nrc=0\n');
    // Without x32 in architectures it is a foreign architecture: libseccomp's bad-arch action kills.
    const native = await h.sh('/compat/x32; echo rc=$?', withSeccomp({ ...allowBut(rules), architectures: ['SCMP_ARCH_X86_64'] }, mountBin));
    expect(native.stdout).toBe('rc=159\n');
  });

  // int $0x80 needs the kernel's ia32 emulation; some VMs turn it off (the program then faults).
  const ia32 = x86 && hostRunsIa32();
  it.runIf(ia32)('x86 (i386) syscalls are filtered by the SCMP_ARCH_X86 section', async () => {
    const rules: LinuxSeccomp['syscalls'] = [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 122 }];
    const r = await h.sh('/compat/i386; echo rc=$?', withSeccomp(allowBut(rules), mountBin));
    expect(r.stdout).toBe('-122\nrc=0\n');
    const native = await h.sh('/compat/i386; echo rc=$?', withSeccomp({ ...allowBut(rules), architectures: ['SCMP_ARCH_X86_64'] }, mountBin));
    expect(native.stdout).toBe('rc=159\n');
  });
  it.skipIf(ia32)('x86 (i386) syscalls: skipped, this kernel runs no int $0x80 system calls (ia32 emulation off)', () => {});
});

/** Does an int $0x80 mkdir work on this host at all? (It faults when ia32 emulation is off.) */
function hostRunsIa32(): boolean {
  const dir = h.dir('ia32-probe');
  try {
    execFileSync('cc', ['-nostdlib', '-static', '-ffreestanding', '-fno-pie', '-no-pie', '-O2', '-DABI_I386', '-o', join(dir, 'i386'), join(SUPPORT, 'compat-syscall.c')]);
  } catch {
    return false;
  }
  return spawnSync(join(dir, 'i386')).status === 0;
}

describe('flags', () => {
  for (const flag of ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] as const) {
    it(`${flag} is accepted and the filter applies`, async () => {
      const r = await h.sh('mkdir /tmp/d 2>&1', withSeccomp(allowBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 122 }], { flags: [flag] })));
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe("mkdir: can't create directory '/tmp/d': Disk quota exceeded\n");
    });
  }

  it('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV without a notifying rule is an error naming the flag', async () => {
    const r = await h.sh('true', withSeccomp(allowBut([{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }], { flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] })));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('/linux/seccomp/flags/1: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV applies to notifications');
  });
});

describe('names', () => {
  it('a name libseccomp does not know is skipped with a warning naming it; the rest applies', async () => {
    const r = await h.sh('mkdir /tmp/d 2>&1', withSeccomp(allowBut([{ names: ['no_such_syscall', 'mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 122 }])));
    expect(r.stderr).toContain('/linux/seccomp/syscalls/0/names/0: syscall "no_such_syscall" is unknown to libseccomp');
    expect(r.stdout).toBe("mkdir: can't create directory '/tmp/d': Disk quota exceeded\n");
  });

  it('a name that is no syscall name at all is an error naming its JSON pointer; nothing is left', async () => {
    const r = await h.sh('true', withSeccomp(allowBut([{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }, { names: ['getpid', 'Not A Name'], action: 'SCMP_ACT_ERRNO' }])));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('/linux/seccomp/syscalls/1/names/1: error: "Not A Name" is not a syscall name');
    h.expectClean();
  });
});

describe('SCMP_ACT_NOTIFY', () => {
  let agentBin = '';
  const agents: ChildProcess[] = [];
  beforeAll(() => {
    agentBin = join(h.dir('agent'), 'seccomp-agent');
    execFileSync('cc', ['-O2', '-Wall', '-o', agentBin, join(SUPPORT, 'seccomp-agent.c')]);
  });
  afterAll(() => {
    for (const a of agents) a.kill('SIGKILL');
  });

  /** Start the agent; it fails every notified call with `errno`. */
  async function agent(errno: number): Promise<{ socket: string; stateFile: string }> {
    const dir = h.dir('agent');
    const socket = join(dir, 'agent.sock');
    const stateFile = join(dir, 'state.json');
    const child = spawn(agentBin, [socket, stateFile, String(errno)], { stdio: ['ignore', 'pipe', 'inherit'] });
    agents.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`seccomp agent exited with ${code}`)));
    });
    return { socket, stateFile };
  }

  it('the agent gets the listener fd and the container process state, and answers the notified syscall', async () => {
    const { socket, stateFile } = await agent(122);
    const bundle = h.bundle(withSeccomp(allowBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }], { listenerPath: socket, listenerMetadata: 'test-meta' }), (s) => {
      s.process!.args = ['sh', '-c', 'mkdir /tmp/d 2>&1; echo rc=$?; touch /tmp/f && echo touched'];
      s.annotations = { 'org.example/key': 'value' };
    }));
    const id = h.id('notify');
    const r = await h.cli(['run', '--bundle', bundle, id]);
    expect(r.stderr).toBe('');
    // The agent's answer: EDQUOT.
    expect(r.stdout).toBe("mkdir: can't create directory '/tmp/d': Disk quota exceeded\nrc=1\ntouched\n");
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(state).toEqual({
      ociVersion: '1.3.0',
      fds: ['seccompFd'],
      pid: expect.any(Number),
      metadata: 'test-meta',
      state: { ociVersion: '1.3.0', id, status: 'creating', pid: state.pid, bundle, annotations: { 'org.example/key': 'value' } },
    });
    // The notification came from the container's process (pid as the host sees it).
    expect(await waitFor(() => existsSync(`${stateFile}.calls`), 2000)).toBe(true);
    expect(readFileSync(`${stateFile}.calls`, 'utf8')).toMatch(/^nr=(83|258) pid=\d+\n$/);
    await h.cli(['delete', id]);
  });

  it('with SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV and TSYNC, through the library', async () => {
    const { socket } = await agent(122);
    const r = await h.sh('mkdir /tmp/d 2>&1', withSeccomp(allowBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }], { listenerPath: socket, flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', 'SECCOMP_FILTER_FLAG_TSYNC'] })), { via: 'library' });
    expect(r.stdout).toBe("mkdir: can't create directory '/tmp/d': Disk quota exceeded\n");
  });

  it('no agent at listenerPath: create fails naming listenerPath, and nothing is left', async () => {
    const socket = join(h.dir('none'), 'nobody.sock');
    const bundle = h.bundle(withSeccomp(allowBut([{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }], { listenerPath: socket }), (s) => (s.process!.args = ['sleep', '60'])));
    const r = await h.cli(['create', '--bundle', bundle, h.id('nolistener')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`cannot send the listener to the agent at linux.seccomp.listenerPath ${socket}`);
    expect(r.stderr).toContain('no such file or directory');
    h.expectClean();
  });
});

describe('exec', () => {
  it('an exec\'d process runs under the container\'s filter', async () => {
    const bundle = h.bundle(withSeccomp(allowBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 122 }]), (s) => (s.process!.args = ['sleep', '60'])));
    const id = h.id('exec');
    expect((await h.cli(['run', '--detach', '--bundle', bundle, id])).code).toBe(0);
    const r = await h.cli(['exec', id, 'sh', '-c', 'mkdir /tmp/d 2>&1; grep ^Seccomp: /proc/self/status']);
    expect(r.stdout).toBe("mkdir: can't create directory '/tmp/d': Disk quota exceeded\nSeccomp:\t2\n");
    // --process without noNewPrivileges: the filter goes on before the capabilities are dropped.
    const r2 = await h.cli(['exec', '--user', '1000:1000', id, 'sh', '-c', 'mkdir /tmp/e 2>&1']);
    expect(r2.stdout).toBe("mkdir: can't create directory '/tmp/e': Disk quota exceeded\n");
    await h.cli(['delete', '--force', id]);
  });
});

describe('profiles real clients send', () => {
  // podman's leaves no_new_privs off (the filter goes on before the capabilities are dropped),
  // containerd's sets it (the filter goes on last).
  for (const file of ['podman-config-run-d-sleep.json', 'containerd-config-seccomp-limits.json']) {
    it(`${file}: the profile runs a container, as root and as another user`, async () => {
      const { seccomp, noNewPrivileges } = clientProfile(file);
      for (const user of [{ uid: 0, gid: 0 }, { uid: 1000, gid: 1000 }]) {
        const r = await h.shBoth('grep ^Seccomp: /proc/self/status; touch /tmp/f && echo ok; id -u', withSeccomp(seccomp, (s) => {
          s.process!.noNewPrivileges = noNewPrivileges;
          s.process!.user = user;
        }));
        expect(r.stderr).toBe('');
        expect(r.stdout).toBe(`Seccomp:\t2\nok\n${user.uid}\n`);
      }
    });
  }
});
