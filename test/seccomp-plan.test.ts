// The seccomp compiler and where the planner loads the filter, without root: errors name the
// JSON pointer at fault, features the kernel lacks are refused, and the filter goes on where runc
// puts it.
import { describe, expect, it } from 'vitest';
import type { Host } from '../lib/host/host.js';
import { planContainer, planExecProcess } from '../lib/plan/index.js';
import { compileSeccomp, loadStoredSeccomp, storeSeccomp } from '../lib/seccomp/compile.js';
import { seccompSupport, type SeccompSupport } from '../lib/seccomp/support.js';
import { readExactSeccompArgs } from '../lib/seccomp/exact-args.js';
import { defaultSpec } from '../lib/spec/default-config.js';
import type { LinuxSeccomp, Spec } from '../lib/spec/index.js';

const HOST: Host = { capLastCap: 40, cgroups: { unifiedOnly: false, hierarchies: [] }, cloneIntoCgroup: false };
const MKDIR: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };

function plan(seccomp: LinuxSeccomp, patch?: (s: Spec) => void) {
  const s = defaultSpec();
  s.process!.terminal = false;
  delete s.linux!.resources;
  s.root = { path: '/rootfs' };
  s.linux!.seccomp = seccomp;
  patch?.(s);
  return planContainer({ spec: s, bundleDir: '/tmp', rootfs: '/rootfs', host: HOST, syncFd: 3, fifoDirFd: 4, joinFds: {} });
}

const at = (d: readonly string[], text: string) => {
  const i = d.findIndex((x) => x.includes(text));
  expect(i, `"${text}" in the plan`).toBeGreaterThanOrEqual(0);
  return i;
};

describe('compileSeccomp', () => {
  const host = seccompSupport();

  it('a flag this kernel lacks is refused, naming the flag and its pointer', () => {
    const older: SeccompSupport = { ...host, flags: host.flags.filter((f) => f !== 'SECCOMP_FILTER_FLAG_SPEC_ALLOW') };
    expect(() => compileSeccomp({ ...MKDIR, flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] }, older)).toThrow(
      'config.json: /linux/seccomp/flags/1: this kernel does not support the seccomp flag SECCOMP_FILTER_FLAG_SPEC_ALLOW (seccomp(2) refuses it)',
    );
  });

  it('an action this kernel lacks is refused, naming the rule', () => {
    const older: SeccompSupport = { ...host, actions: host.actions.filter((a) => a !== 'SCMP_ACT_NOTIFY') };
    const notify: LinuxSeccomp = { ...MKDIR, listenerPath: '/run/agent.sock', syscalls: [...MKDIR.syscalls!, { names: ['chmod'], action: 'SCMP_ACT_NOTIFY' }] };
    expect(() => compileSeccomp(notify, older)).toThrow('config.json: /linux/seccomp/syscalls/1/action: this kernel does not support the seccomp action SCMP_ACT_NOTIFY');
  });

  it('notify adds the listener flag, and TSYNC_ESRCH with TSYNC (the kernel wants both)', () => {
    const c = compileSeccomp({ ...MKDIR, flags: ['SECCOMP_FILTER_FLAG_TSYNC'], listenerPath: '/run/a.sock', listenerMetadata: 'm', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] });
    expect(c.flags).toBe(1 | 8 | 16);
    expect(c.listener).toEqual({ path: '/run/a.sock', metadata: 'm' });
    expect(compileSeccomp(MKDIR).flags).toBe(0);
  });

  it('the errno is in the filter: another errnoRet, another program', () => {
    const a = compileSeccomp(MKDIR).bpf;
    const b = compileSeccomp({ ...MKDIR, syscalls: [{ ...MKDIR.syscalls![0], errnoRet: 122 }] }).bpf;
    expect(a.length % 8).toBe(0);
    expect(a.equals(b)).toBe(false);
    // SECCOMP_RET_ERRNO | 122 appears as a BPF return constant.
    const returns = (bpf: Buffer) => Array.from({ length: bpf.length / 8 }, (_, i) => bpf.readUInt32LE(i * 8 + 4));
    expect(returns(b)).toContain((0x00050000 | 122) >>> 0);
    expect(returns(a)).toContain((0x00050000 | 1) >>> 0);
  });

  it('survives the record: store and load give the same filter', () => {
    const c = compileSeccomp({ ...MKDIR, listenerPath: '/run/a.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] });
    expect(loadStoredSeccomp(JSON.parse(JSON.stringify(storeSeccomp(c))))).toEqual(c);
  });

  it('a filter over the kernel\'s 4096 instructions is refused', () => {
    const many: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: Array.from({ length: 6000 }, (_, i) => ({ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: i, op: 'SCMP_CMP_EQ' }] })) };
    expect(() => compileSeccomp(many)).toThrow(/config.json: \/linux\/seccomp: the compiled filter has \d+ BPF instructions; the kernel takes at most 4096/);
  });
});

describe('where the filter is loaded', () => {
  it('with no_new_privs: after the credentials and the executable check, before create reports', () => {
    const d = plan(MKDIR, (s) => (s.process!.noNewPrivileges = true)).program.descriptions;
    const load = at(d, 'load the seccomp filter');
    expect(load).toBeGreaterThan(at(d, 'set no_new_privs'));
    expect(load).toBeGreaterThan(at(d, 'set the effective, permitted and inheritable capabilities'));
    expect(load).toBeGreaterThan(at(d, `exec: "${defaultSpec().process!.args![0]}"`));
    expect(load).toBeLessThan(at(d, 'tell the runtime the container is created'));
  });

  it('without no_new_privs: before the capabilities are dropped (loading needs CAP_SYS_ADMIN then)', () => {
    const d = plan(MKDIR, (s) => (s.process!.noNewPrivileges = false)).program.descriptions;
    const load = at(d, 'load the seccomp filter');
    expect(load).toBeLessThan(at(d, 'drop capability'));
    expect(load).toBeLessThan(at(d, 'set uid'));
  });

  it('notify: the listener fd goes to the runtime, which answers before the fd is closed', () => {
    const d = plan({ ...MKDIR, listenerPath: '/run/a.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }, (s) => (s.process!.noNewPrivileges = true)).program.descriptions;
    const load = at(d, 'load the seccomp filter');
    expect(d.slice(load + 1, load + 4)).toEqual(['tell the runtime the seccomp listener fd', 'wait for the runtime to send the seccomp listener to /run/a.sock', 'close the seccomp listener']);
  });

  it('exec: the process runs under the container\'s filter', () => {
    const filter = compileSeccomp(MKDIR);
    const p = planExecProcess({ process: { cwd: '/', args: ['true'], noNewPrivileges: true }, host: HOST, syncFd: 3, joinFds: {}, rootFd: 5, seccomp: filter });
    expect(p.program.descriptions.some((x) => x.startsWith('load the seccomp filter'))).toBe(true);
    expect(p.program.bytes.includes(filter.bpf)).toBe(true);
  });
});

describe('argument values above 2^53 (JSON.parse rounds them)', () => {
  const parse = (value: string, valueTwo = '0') => {
    const text = `{"linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["kill"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value" : ${value},"valueTwo":${valueTwo},"op":"SCMP_CMP_MASKED_EQ"}]}]}}}`;
    const spec = JSON.parse(text) as Spec;
    readExactSeccompArgs(spec, text);
    return spec.linux!.seccomp!;
  };
  const arg = (sc: LinuxSeccomp) => sc.syscalls![0]!.args![0]! as unknown as { value: unknown; valueTwo: unknown };

  it('are read exactly from the text, in any number form', () => {
    expect(arg(parse('18446744073709551615', '9223372036854775809'))).toMatchObject({ value: 18446744073709551615n, valueTwo: 9223372036854775809n });
    expect(arg(parse('1.8446744073709551615e19')).value).toBe(18446744073709551615n);
    expect(arg(parse('92233720368547758090E-1')).value).toBe(9223372036854775809n);
    // Safe integers stay numbers.
    expect(arg(parse('4096', '0'))).toMatchObject({ value: 4096, valueTwo: 0 });
  });

  it('above 2^64 - 1, or not an integer: an error naming the pointer', () => {
    expect(() => parse('18446744073709551616')).toThrow(/config\.json: \/linux\/seccomp\/syscalls\/0\/args\/0\/value: 18446744073709551616 is above 2\^64 - 1/);
    expect(() => parse('1e30')).toThrow(/\/args\/0\/value: 1e30 is above 2\^64 - 1/);
    expect(() => parse('-9223372036854775809')).toThrow(/\/args\/0\/value: -9223372036854775809 is negative/);
    expect(() => parse('9007199254740993.5')).toThrow(/\/args\/0\/value: 9007199254740993\.5 is not an integer/);
  });

  it('the filter compares against the exact value: rounded, another program', () => {
    const exact = compileSeccomp(parse('9223372036854775809', '9223372036854775809'));
    const rounded = compileSeccomp(parse('9223372036854775808', '9223372036854775808'));
    expect(exact.bpf.equals(rounded.bpf)).toBe(false);
    // The low word of 0x8000000000000001 is 1: a BPF_K constant of 1 next to the high word 0x80000000.
    const ks = Array.from({ length: exact.bpf.length / 8 }, (_, i) => exact.bpf.readUInt32LE(i * 8 + 4));
    expect(ks).toContain(0x80000000);
    expect(ks).toContain(1);
  });
});

/** A classic BPF interpreter for what libseccomp and the stub emit (loads, jumps, AND, returns). */
function runFilter(bpf: Buffer, data: { nr: number; arch: number }): number {
  const word = (off: number) => (off === 0 ? data.nr >>> 0 : off === 4 ? data.arch >>> 0 : 0);
  let a = 0;
  for (let pc = 0; pc < bpf.length / 8; pc++) {
    const code = bpf.readUInt16LE(pc * 8);
    const jt = bpf[pc * 8 + 2]!;
    const jf = bpf[pc * 8 + 3]!;
    const k = bpf.readUInt32LE(pc * 8 + 4);
    switch (code) {
      case 0x20: a = word(k); break;
      case 0x05: pc += k; break;
      case 0x15: pc += a === k ? jt : jf; break;
      case 0x25: pc += a > k ? jt : jf; break;
      case 0x35: pc += a >= k ? jt : jf; break;
      case 0x45: pc += (a & k) !== 0 ? jt : jf; break;
      case 0x54: a = (a & k) >>> 0; break;
      case 0x06: return k;
      default: throw new Error(`opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('fell off the program');
}

describe.runIf(process.arch === 'x64')("runc's -ENOSYS stub", () => {
  const X86_64 = 0xc000003e;
  const I386 = 0x40000003;
  const AARCH64 = 0xc00000b7;
  const ENOSYS = 0x50026;
  const EPERM = 0x50001;
  const ALLOW = 0x7fff0000;
  const profile = (o: Partial<LinuxSeccomp> = {}): LinuxSeccomp => ({
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names: ['read', 'write', 'clone3'], action: 'SCMP_ACT_ALLOW' }],
    ...o,
  });

  it('above the highest syscall each architecture names: ENOSYS; at or below it: the filter', () => {
    const { bpf } = compileSeccomp(profile());
    // x86_64: clone3 is 435, the highest; x32: 0x40000000 | 435; i386: clone3 is 435 there too.
    expect(runFilter(bpf, { arch: X86_64, nr: 0 })).toBe(ALLOW);
    expect(runFilter(bpf, { arch: X86_64, nr: 435 })).toBe(ALLOW);
    expect(runFilter(bpf, { arch: X86_64, nr: 83 })).toBe(EPERM);
    expect(runFilter(bpf, { arch: X86_64, nr: 436 })).toBe(ENOSYS);
    expect(runFilter(bpf, { arch: X86_64, nr: 0x40000000 | 435 })).toBe(ALLOW);
    expect(runFilter(bpf, { arch: X86_64, nr: 0x40000000 | 436 })).toBe(ENOSYS);
    expect(runFilter(bpf, { arch: I386, nr: 3 })).toBe(ALLOW);
    expect(runFilter(bpf, { arch: I386, nr: 39 })).toBe(EPERM);
    expect(runFilter(bpf, { arch: I386, nr: 436 })).toBe(ENOSYS);
    // An architecture the profile does not list: libseccomp's bad-arch action (kill), never ENOSYS.
    expect(runFilter(bpf, { arch: AARCH64, nr: 5000 })).toBe(0);
  });

  it('x86_64 without x32: x32 calls skip the stub and meet the bad-arch action', () => {
    const { bpf } = compileSeccomp(profile({ architectures: ['SCMP_ARCH_X86_64'] }));
    expect(runFilter(bpf, { arch: X86_64, nr: 436 })).toBe(ENOSYS);
    expect(runFilter(bpf, { arch: X86_64, nr: 0x40000000 | 436 })).not.toBe(ENOSYS);
  });

  it('no stub for a permissive default or a default that already is ENOSYS', () => {
    const plain = (o: Partial<LinuxSeccomp>) => compileSeccomp(profile(o)).bpf;
    for (const o of [{ defaultAction: 'SCMP_ACT_ALLOW' as const, syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' as const }] }, { defaultAction: 'SCMP_ACT_LOG' as const, syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' as const }] }, { defaultErrnoRet: 38 }]) {
      const bpf = plain(o);
      // libseccomp's own program starts with the arch load and its comparison; the stub's second instruction would be another jeq.
      expect(runFilter(bpf, { arch: X86_64, nr: 5000 }), JSON.stringify(o)).toBe(o.defaultErrnoRet === 38 ? ENOSYS : o.defaultAction === 'SCMP_ACT_LOG' ? 0x7ffc0000 : ALLOW);
    }
    const withStub = compileSeccomp(profile()).bpf.length;
    const without = compileSeccomp(profile({ defaultErrnoRet: 38 })).bpf.length;
    expect(withStub).toBeGreaterThan(without);
  });
});
