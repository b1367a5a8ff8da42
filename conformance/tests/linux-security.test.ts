// config-linux.md#sysctl, #seccomp (incl. the notify listener), #rootfs-mount-propagation,
// #masked-paths, #readonly-paths, #mount-label, #personality.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, describeResult, expect, featureTest, spec, test } from '../harness/harness.js';
import { SECCOMP } from '../harness/feature-catalog.js';
import { mountAt, parseMountinfo } from '../harness/host.js';
import { bind, tmpfs } from '../harness/patches.js';
import { command, selinux } from '../harness/requires.js';
import { stateSchemaErrors } from '../harness/schema.js';
import type { Config } from '../harness/bundle.js';

const SLEEP = ['sleep', '600'];
const seccompTest = featureTest(SECCOMP);
const seccompRefusal = featureTest(SECCOMP, { mustWork: true });

function seccomp(c: Config, syscalls: unknown[], extra: Record<string, unknown> = {}) {
  c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64'], syscalls, ...extra };
  tmpfs(c, '/tmp');
}

describe('config-linux.md#sysctl', () => {
  test(spec('config-linux.md#sysctl', 'LNX-SYSCTL-001', 'a net.* sysctl is set in the container network namespace'), async ({ h }) => {
    const host = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    const want = host.trim() === '1' ? '0' : '1';
    expect(await h.mustProbe('cat /proc/sys/net/ipv4/ip_forward', (c) => (c.linux.sysctl = { 'net.ipv4.ip_forward': want }))).toBe(`${want}\n`);
    // the host's value is untouched: it lives in another namespace
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')).toBe(host);
  });

  test(spec('config-linux.md#sysctl', 'LNX-SYSCTL-002', 'a kernel IPC sysctl is set in the container IPC namespace'), async ({ h }) => {
    expect(await h.mustProbe('cat /proc/sys/kernel/msgmax', (c) => (c.linux.sysctl = { 'kernel.msgmax': '4321' }))).toBe('4321\n');
  });
});

describe('config-linux.md#seccomp', () => {
  seccompTest(spec('config-linux.md#seccomp', 'LNX-SECCOMP-FILTER', 'a seccomp filter is installed on the process'), async ({ h }) => {
    const out = await h.mustProbe('grep ^Seccomp: /proc/self/status', (c) => seccomp(c, [{ names: ['mknodat'], action: 'SCMP_ACT_ERRNO' }]));
    expect(out.trim().split(/\s+/)[1]).toBe('2');
  });

  seccompTest(spec('config-linux.md#seccomp', 'LNX-SECCOMP-ERRNO', 'SCMP_ACT_ERRNO with errnoRet fails the syscall with that errno'), async ({ h }) => {
    const out = await h.mustProbe('mkdir /tmp/x 2>&1; echo rc=$?', (c) => seccomp(c, [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]));
    expect(out).toMatch(/Function not implemented/);
    expect(out).toMatch(/rc=1/);
  });

  seccompTest(spec('config-linux.md#seccomp', 'LNX-SECCOMP-ERRNO-DEFAULT', 'SCMP_ACT_ERRNO without errnoRet fails the syscall with EPERM'), async ({ h }) => {
    const out = await h.mustProbe('mkdir /tmp/x 2>&1; echo rc=$?', (c) => seccomp(c, [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }]));
    expect(out).toMatch(/Operation not permitted/);
  });

  seccompTest(spec('config-linux.md#seccomp', 'LNX-SECCOMP-KILL', 'SCMP_ACT_KILL_PROCESS kills the process with SIGSYS'), async ({ h }) => {
    // sync(2) is called by the sync applet only, never by the shell around it
    const out = await h.mustProbe('(sync); echo rc=$?', (c) => seccomp(c, [{ names: ['sync'], action: 'SCMP_ACT_KILL_PROCESS' }]));
    expect(out).toMatch(/rc=159/);
  });

  seccompTest(spec('config-linux.md#seccomp', 'LNX-SECCOMP-TRAP', 'SCMP_ACT_TRAP delivers SIGSYS'), async ({ h }) => {
    const out = await h.mustProbe('(sync); echo rc=$?', (c) => seccomp(c, [{ names: ['sync'], action: 'SCMP_ACT_TRAP' }]));
    expect(out).toMatch(/rc=159/);
  });

  seccompTest(spec('config-linux.md#seccomp', 'LNX-SECCOMP-ALLOW', 'SCMP_ACT_ALLOW and SCMP_ACT_LOG let the syscall through'), async ({ h }) => {
    const out = await h.mustProbe('uname -s; mkdir /tmp/y && echo made', (c) =>
      seccomp(c, [
        { names: ['uname'], action: 'SCMP_ACT_LOG' },
        { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ALLOW' },
      ]),
    );
    expect(out).toBe('Linux\nmade\n');
  });

  seccompTest(spec('config-linux.md#seccomp', 'LNX-SECCOMP-ARGS', 'argument conditions restrict a rule to matching calls'), async ({ h }) => {
    // kill(pid, 0) is refused, kill(pid, SIGCONT) is not
    const out = await h.mustProbe('kill -0 $$ 2>/dev/null && echo zero-ok || echo zero-denied; kill -CONT $$ && echo cont-ok', (c) =>
      seccomp(c, [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQ' }] }]),
    );
    expect(out).toBe('zero-denied\ncont-ok\n');
  });

  seccompRefusal(spec('config-linux.md#seccomp', 'LNX-SECCOMP-ERRNORET-INVALID', 'errnoRet on an action without errno support generates an error'), async ({ h }) => {
    const b = h.bundle({ patch: (c) => seccomp(c, [{ names: ['uname'], action: 'SCMP_ACT_ALLOW', errnoRet: 5 }]) });
    const r = await h.create(b);
    h.expectError(r, /errnoRet/i);
  });

  seccompRefusal(spec('config-linux.md#seccomp', 'LNX-SECCOMP-DEFAULTERRNO-INVALID', 'defaultErrnoRet with a defaultAction without errno support generates an error'), async ({ h }) => {
    const b = h.bundle({ patch: (c) => seccomp(c, [{ names: ['mknodat'], action: 'SCMP_ACT_ERRNO' }], { defaultErrnoRet: 5 }) });
    const r = await h.create(b);
    h.expectError(r, /defaultErrnoRet/i);
  });

  seccompRefusal(spec('config-linux.md#seccomp', 'LNX-SECCOMP-NAMES-EMPTY', 'a syscalls entry with empty names is invalid and generates an error'), async ({ h }) => {
    const b = h.bundle({ patch: (c) => seccomp(c, [{ names: [], action: 'SCMP_ACT_ERRNO' }]) });
    const r = await h.create(b);
    h.expectError(r, /names/i);
  });

  seccompRefusal(spec('config-linux.md#seccomp', 'LNX-SECCOMP-METADATA-NOPATH', 'listenerMetadata without listenerPath is invalid and generates an error'), async ({ h }) => {
    const b = h.bundle({ patch: (c) => seccomp(c, [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }], { listenerMetadata: 'meta' }) });
    const r = await h.create(b);
    h.expectError(r, /listener(Metadata|Path)/i);
  });

  seccompRefusal(spec('config-linux.md#seccomp', 'LNX-SECCOMP-NOTIFY-SENDFAIL', 'a listenerPath that cannot be sent to generates an error'), async ({ h }) => {
    const b = h.bundle({ patch: (c, x) => seccomp(c, [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }], { listenerPath: join(x.dir, 'no-such.sock') }) });
    const r = await h.create(b);
    h.expectError(r, /no-such\.sock|seccomp agent|listener/i);
  });

  // The agent side: a unix stream server recording each connection's bytes and whether the runtime
  // closed it. Node discards the SCM_RIGHTS fd, which fails the notified syscall with ENOSYS.
  async function withListener(sock: string, body: () => Promise<void>) {
    const conns: { data: string; ended: boolean }[] = [];
    const server = createServer((s: Socket) => {
      const rec = { data: '', ended: false };
      conns.push(rec);
      s.on('data', (d) => (rec.data += d.toString()));
      s.on('end', () => (rec.ended = true));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      await body();
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      server.close();
    }
    return conns;
  }

  seccompTest(spec('config-linux.md#seccomp', 'LNX-SECCOMP-NOTIFY-STATE', 'SCMP_ACT_NOTIFY: exactly one container process state per connection, with seccompFd, pid, metadata and state'), async ({ h }) => {
    const sock = h.path('agent.sock');
    let id = '';
    const conns = await withListener(sock, async () => {
      const b = h.bundle({ args: ['sh', '-c', 'mkdir /tmp/x; echo done'], patch: (c) => seccomp(c, [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }], { listenerPath: sock, listenerMetadata: 'conformance-meta' }) });
      id = b.id;
      const r = await h.run(b);
      expect(r.stdout, describeResult(r)).toContain('done');
    });
    expect(conns.length).toBe(1);
    const msg = JSON.parse(conns[0]!.data);
    expect(msg.ociVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(msg.fds).toEqual(['seccompFd']);
    expect(msg.pid).toBeGreaterThan(0);
    expect(msg.metadata).toBe('conformance-meta');
    expect(stateSchemaErrors(msg.state)).toEqual([]);
    expect(msg.state.id).toBe(id);
  });

  seccompTest(spec('config-linux.md#seccomp', 'LNX-SECCOMP-NOTIFY-CLOSE', 'SCMP_ACT_NOTIFY: the runtime closes the connection after sending the state'), async ({ h }) => {
    const sock = h.path('agent.sock');
    const conns = await withListener(sock, async () => {
      const b = h.bundle({ args: SLEEP, patch: (c) => seccomp(c, [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }], { listenerPath: sock }) });
      await h.mustCreate(b);
    });
    expect(conns.length).toBe(1);
    expect(conns[0]!.ended).toBe(true);
  });
});

describe('config-linux.md#rootfs-mount-propagation', () => {
  const propOf = (out: string) => {
    const root = mountAt(parseMountinfo(out), '/');
    if (!root) return 'absent';
    if (root.optional.some((o) => o.startsWith('shared:'))) return 'shared';
    if (root.optional.some((o) => o.startsWith('master:'))) return 'slave';
    return root.optional.includes('unbindable') ? 'unbindable' : 'private';
  };

  for (const p of ['shared', 'private', 'unbindable'] as const) {
    test(spec('config-linux.md#rootfs-mount-propagation', `LNX-PROP-${p}`, `rootfsPropagation "${p}" makes the rootfs mount ${p}`), async ({ h }) => {
      const out = await h.mustProbe('cat /proc/self/mountinfo', (c) => (c.linux.rootfsPropagation = p));
      expect(propOf(out)).toBe(p);
    });
  }

  // slave/private semantics: the rootfs is made a shared mount on the host, and the host mounts
  // below it after create; a slave root receives that mount, a private one does not.
  for (const [p, seen] of [
    ['slave', 'seen'],
    ['private', 'unseen'],
  ] as const) {
    test(spec('config-linux.md#rootfs-mount-propagation', `LNX-PROP-${p}-events`, `rootfsPropagation "${p}": host mounts ${p === 'slave' ? 'do' : 'do not'} propagate into the container`), async ({ h }) => {
      const out = h.mkdir('out');
      const b = h.bundle({
        args: ['sh', '-c', 'grep -q " /mnt/fromhost " /proc/self/mountinfo && echo seen > /out/r || echo unseen > /out/r'],
        patch: (c) => {
          c.linux.rootfsPropagation = p;
          bind(c, out, '/out');
        },
      });
      mkdirSync(join(b.rootfs, 'mnt/fromhost'), { recursive: true });
      execFileSync('mount', ['--bind', b.rootfs, b.rootfs]);
      execFileSync('mount', ['--make-shared', b.rootfs]);
      await h.mustCreate(b);
      execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', join(b.rootfs, 'mnt/fromhost')]);
      await h.mustStart(b.id);
      expect(await h.waitFile(join(out, 'r'))).toBe(`${seen}\n`);
    });
  }
});

describe('config-linux.md#masked-paths and #readonly-paths', () => {
  test(spec('config-linux.md#masked-paths', 'LNX-MASK-FILE', 'a masked file cannot be read (reads nothing)'), async ({ h }) => {
    const b = h.bundle({ args: ['sh', '-c', 'cat /secret-file; echo "|"'], patch: (c) => (c.linux.maskedPaths = ['/secret-file']) });
    writeFileSync(join(b.rootfs, 'secret-file'), 'SECRET');
    const r = await h.run(b);
    expect(r.stdout, describeResult(r)).toBe('|\n');
  });

  test(spec('config-linux.md#masked-paths', 'LNX-MASK-DIR', 'a masked directory cannot be read (lists empty)'), async ({ h }) => {
    const b = h.bundle({ args: ['sh', '-c', 'ls -A /secret-dir; echo "|"'], patch: (c) => (c.linux.maskedPaths = ['/secret-dir']) });
    mkdirSync(join(b.rootfs, 'secret-dir'));
    writeFileSync(join(b.rootfs, 'secret-dir', 'inside'), 'SECRET');
    const r = await h.run(b);
    expect(r.stdout, describeResult(r)).toBe('|\n');
  });

  test(spec('config-linux.md#masked-paths', 'LNX-MASK-PROC', 'masked /proc entries of the default config read nothing'), async ({ h }) => {
    const out = await h.mustProbe('cat /proc/timer_list 2>/dev/null | wc -c; ls /proc/acpi 2>/dev/null | wc -l');
    expect(out).toBe('0\n0\n');
  });

  test(spec('config-linux.md#masked-paths', 'LNX-MASK-REL', 'a relative masked path is invalid and generates an error'), async ({ h }) => {
    const b = h.bundle({ patch: (c) => (c.linux.maskedPaths = ['proc/kcore']) });
    const r = await h.create(b);
    h.expectError(r, /proc\/kcore/);
  });

  test(spec('config-linux.md#readonly-paths', 'LNX-RO-WRITE', 'a readonly path cannot be written'), async ({ h }) => {
    const out = await h.mustProbe('touch /rw/x 2>&1 && echo wrote || echo refused', (c) => {
      tmpfs(c, '/rw');
      c.linux.readonlyPaths = ['/rw'];
    });
    expect(out).toMatch(/Read-only file system/);
    expect(out).toMatch(/refused/);
  });

  test(spec('config-linux.md#readonly-paths', 'LNX-RO-READ', 'a readonly path stays readable'), async ({ h }) => {
    const b = h.bundle({ args: ['cat', '/data/file'], patch: (c) => (c.linux.readonlyPaths = ['/data']) });
    mkdirSync(join(b.rootfs, 'data'));
    writeFileSync(join(b.rootfs, 'data', 'file'), 'readable');
    const r = await h.run(b);
    expect(r.stdout, describeResult(r)).toBe('readable');
  });

  test(spec('config-linux.md#readonly-paths', 'LNX-RO-PROCSYS', '/proc/sys (readonly in the default config) refuses writes'), async ({ h }) => {
    const out = await h.mustProbe('echo 1 > /proc/sys/kernel/ns_last_pid 2>&1 && echo wrote || echo refused');
    expect(out).toMatch(/refused/);
  });

  test(spec('config-linux.md#readonly-paths', 'LNX-RO-REL', 'a relative readonly path is invalid and generates an error'), async ({ h }) => {
    const b = h.bundle({ patch: (c) => (c.linux.readonlyPaths = ['proc/sys']) });
    const r = await h.create(b);
    h.expectError(r, /proc\/sys/);
  });
});

describe('config-linux.md#mount-label and #personality', () => {
  test(spec('config-linux.md#mount-label', 'LNX-MOUNTLABEL-001', 'mountLabel is the SELinux context of the container mounts'), async ({ h }) => {
    h.requires(selinux);
    const label = 'system_u:object_r:container_file_t:s0:c1,c2';
    const out = await h.mustProbe('cat /proc/self/mountinfo', (c) => {
      c.linux.mountLabel = label;
      tmpfs(c, '/labelled');
    });
    expect(mountAt(parseMountinfo(out), '/labelled')?.superOptions.join(',')).toContain(label);
  });

  test(spec('config-linux.md#personality', 'LNX-PERSONALITY-LINUX32', 'personality LINUX32 makes uname report a 32-bit machine'), async ({ h }) => {
    const host = execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim();
    h.requires(() => (['x86_64', 'aarch64'].includes(host) ? undefined : `no 32-bit personality known for ${host}`));
    const out = await h.mustProbe('uname -m', (c) => (c.linux.personality = { domain: 'LINUX32' }));
    expect(out.trim()).toBe(host === 'x86_64' ? 'i686' : 'armv8l');
  });

  test(spec('config-linux.md#personality', 'LNX-PERSONALITY-LINUX', 'personality LINUX keeps the native machine'), async ({ h }) => {
    const host = execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim();
    const b = h.bundle({ args: ['uname', '-m'], patch: (c) => (c.linux.personality = { domain: 'LINUX' }) });
    // run under a 32-bit personality so that keeping the caller's would be visible
    h.requires(command('/usr/bin/setarch'));
    const r = await h.run(b, { shellPrefix: 'set -- /usr/bin/setarch linux32 "$@"' });
    expect(r.stdout.trim(), describeResult(r)).toBe(host);
  });
});
