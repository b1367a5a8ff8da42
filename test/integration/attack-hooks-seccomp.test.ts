// Attacks on hooks and seccomp as a hostile image would make them: a startContainer hook path
// (the image's) redirected through symlinks to a host binary, fds of the host reaching hooks or
// the container, the seccomp notify listener left in the container's hands, secrets on a hook's
// stdin. Each must be blocked.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processesMentioning, REPO, useHarness, waitFor } from '../support/harness.js';
import { copyRootfs } from '../support/rootfs.js';

const h = useHarness('attack-hooks');

/**
 * fd number -> target, from `ls -l /proc/self/fd`; without what the process opened itself (ls's
 * directory, the shell's own script, which ash keeps at fd 10).
 */
function fdsOf(listing: string, own: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of listing.split('\n')) {
    const m = / (\d+) -> (.*)$/.exec(line);
    if (m && !/^\/proc\/\d+\/fd$/.test(m[2]) && !own.includes(m[2])) out[m[1]] = m[2];
  }
  return out;
}

describe('startContainer hook path (the image\'s) redirected to a host binary', () => {
  for (const [name, target, error] of [
    ['absolute symlink', (host: string) => host, 'no such file or directory'],
    ['relative symlink climbing out', (host: string) => '../../../../../../../..' + host, 'no such file or directory'],
    // /proc/1 is the container process, still the runtime's non-dumpable executor
    ['symlink through /proc/1/root', (host: string) => '/proc/1/root' + host, 'permission denied'],
    ['symlink through /proc/self/cwd', (host: string) => '/proc/self/cwd/../../../..' + host, 'no such file or directory'],
  ] as const) {
    it(`${name}: the host binary never runs, start fails naming the hook`, async () => {
      const marker = join(h.dir('marker'), 'ran');
      const hostBin = join(h.dir('hostbin'), 'host-only.sh');
      writeFileSync(hostBin, `#!/bin/sh\necho escaped > ${marker}\n`);
      chmodSync(hostBin, 0o755);
      const rootfs = copyRootfs(join(h.dir('rootfs'), 'rootfs'));
      mkdirSync(join(rootfs, 'hooks'));
      symlinkSync(target(hostBin), join(rootfs, 'hooks', 'hook'));
      const bundle = h.bundle(
        (s) => {
          s.process!.args = ['true'];
          s.hooks = { startContainer: [{ path: '/hooks/hook' }] };
        },
        { rootfs },
      );
      const r = await h.cli(['run', '--bundle', bundle, h.id('link')]);
      expect(existsSync(marker)).toBe(false);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('startContainer hook 0 (/hooks/hook)');
      expect(r.stderr).toContain(`exec /hooks/hook: ${error}`);
    });
  }
});

describe('fds and stdin of hooks', () => {
  it('a createContainer hook (host binary) and a startContainer hook (the image\'s) get only stdio; stdin is the state and nothing more', async () => {
    const log = h.dir('log');
    const rootfs = copyRootfs(join(h.dir('rootfs'), 'rootfs'));
    mkdirSync(join(rootfs, 'hooks'));
    const script = (dir: string, n: string) => `#!/bin/sh\ncat > ${dir}/${n}.state\nexec ls -l /proc/self/fd > ${dir}/${n}.fds 2>&1\n`;
    writeFileSync(join(rootfs, 'hooks', 'fds.sh'), script('/log', 'start'));
    chmodSync(join(rootfs, 'hooks', 'fds.sh'), 0o755);
    const hostHook = join(h.dir('hook'), 'fds.sh');
    writeFileSync(hostHook, script(log, 'create'));
    chmodSync(hostHook, 0o755);
    const bundle = h.bundle(
      (s) => {
        s.process!.args = ['sh', '-c', 'exec ls -l /proc/self/fd > /log/program.fds 2>&1'];
        s.process!.env = [...(s.process!.env ?? []), 'SECRET=container-only'];
        s.mounts!.push({ destination: '/log', type: 'bind', source: log, options: ['bind'] });
        s.hooks = { createContainer: [{ path: hostHook }], startContainer: [{ path: '/hooks/fds.sh' }] };
      },
      { rootfs },
    );
    const r = await h.cli(['run', '--bundle', bundle, h.id('fds')], { input: '' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const n of ['create', 'start', 'program']) {
      const fds = fdsOf(readFileSync(join(log, `${n}.fds`), 'utf8'), [hostHook, '/hooks/fds.sh']);
      expect(Object.keys(fds).sort(), `${n}: ${JSON.stringify(fds)}`).toEqual(['0', '1', '2']);
      expect(fds['1'], n).toContain(`${n}.fds`);
      if (n !== 'program') expect(fds['0'], n).toMatch(/^\/memfd:ocirun-hook-state/);
    }
    for (const n of ['create', 'start']) {
      const state = JSON.parse(readFileSync(join(log, `${n}.state`), 'utf8'));
      // The state (start's is the `state` command's: rootfs, created, owner too), never the process.
      expect(['annotations', 'bundle', 'created', 'id', 'ociVersion', 'owner', 'pid', 'rootfs', 'status'], n).toEqual(expect.arrayContaining(Object.keys(state)));
      expect(JSON.stringify(state)).not.toContain('container-only');
    }
  });
});

describe('a startContainer hook (the image\'s) is held by the container\'s limits', () => {
  // Outside it, the image's binary escapes pids, memory and cpu limits, and the devices cgroup
  // (with CAP_MKNOD, a default capability, it could open any device node it makes).
  it('it runs in the container\'s cgroup, not the runtime\'s', async () => {
    const log = h.dir('log');
    const rootfs = copyRootfs(join(h.dir('rootfs'), 'rootfs'));
    mkdirSync(join(rootfs, 'hooks'));
    writeFileSync(join(rootfs, 'hooks', 'cg.sh'), '#!/bin/sh\ncat /proc/self/cgroup > /log/hook.cg\n');
    chmodSync(join(rootfs, 'hooks', 'cg.sh'), 0o755);
    const cgroup = `/ocirun-attack-${process.pid}-${Date.now()}`;
    const bundle = h.bundle(
      (s) => {
        s.process!.args = ['sh', '-c', 'cat /proc/self/cgroup > /log/program.cg'];
        s.mounts!.push({ destination: '/log', type: 'bind', source: log, options: ['bind'] });
        s.linux!.cgroupsPath = cgroup;
        s.linux!.resources = { pids: { limit: 50 } };
        s.hooks = { startContainer: [{ path: '/hooks/cg.sh' }] };
      },
      { rootfs },
    );
    const r = await h.cli(['run', '--bundle', bundle, h.id('cg')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const program = readFileSync(join(log, 'program.cg'), 'utf8');
    expect(readFileSync(join(log, 'hook.cg'), 'utf8')).toBe(program);
  });
});

describe('seccomp', () => {
  const agents: ChildProcess[] = [];
  afterAll(() => {
    for (const a of agents) a.kill('SIGKILL');
  });

  it('the notify listener is not left in the container process (it could answer its own notifications)', async () => {
    const agentBin = join(h.dir('agent'), 'seccomp-agent');
    execFileSync('cc', ['-O2', '-Wall', '-o', agentBin, join(REPO, 'test/support/seccomp-agent.c')]);
    const dir = h.dir('agent');
    const socket = join(dir, 'agent.sock');
    const child = spawn(agentBin, [socket, join(dir, 'state.json'), '122'], { stdio: ['ignore', 'pipe', 'inherit'] });
    agents.push(child);
    expect(await waitFor(() => existsSync(socket), 5000)).toBe(true);
    const r = await h.sh('ls -l /proc/self/fd; mkdir /tmp/d 2>&1; grep ^Seccomp: /proc/self/status', (s) => {
      s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: socket, syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }] };
      s.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs' });
    });
    expect(r.code).toBe(0);
    const fds = fdsOf(r.stdout);
    expect(Object.keys(fds).sort(), JSON.stringify(fds)).toEqual(['0', '1', '2']);
    expect(Object.values(fds).join(' ')).not.toContain('seccomp');
    expect(r.stdout).toContain('Disk quota exceeded');
    expect(r.stdout).toContain('Seccomp:\t2');
  });

  it('the filter is on before the program runs: its first syscall is already filtered, and a child cannot drop it', async () => {
    const r = await h.sh('mkdir /tmp/a 2>&1; sh -c "mkdir /tmp/b 2>&1; grep ^Seccomp: /proc/self/status"', (s) => {
      s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 122 }] };
      s.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs' });
    });
    expect(r.stdout).toBe("mkdir: can't create directory '/tmp/a': Disk quota exceeded\nmkdir: can't create directory '/tmp/b': Disk quota exceeded\nSeccomp:\t2\n");
  });
});

describe('a hook that writes without end (its output was kept whole in a memory file)', () => {
  it('its output goes through a pipe the runtime drains: 64 MB pass, memory stays flat, the error shows the end', async () => {
    // The image's binary (startContainer) or any hook: writes 64 MB, then a last word, and fails.
    const script = 'head -c 67108864 /dev/zero; echo; echo last words; exit 3';
    const bundle = h.bundle((s) => {
      s.process!.args = ['true'];
      s.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', script], timeout: 60 }] };
    });
    const id = h.id('chatty');
    expect((await h.cli(['create', '--bundle', bundle, id])).code).toBe(0);
    const shmemBefore = shmemKb();
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, shmemKb() - shmemBefore)), 5);
    let r;
    try {
      r = await h.cli(['start', id], { timeoutMs: 60_000 });
    } finally {
      clearInterval(watch);
    }
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/startContainer hook 0 \(\/bin\/sh\) exited with status 3: …\0*\nlast words\n$/);
    // A memory file would have held all 64 MB of it in shared memory until the hook ended.
    expect(peak).toBeLessThan(16 * 1024);
    await h.cli(['delete', '--force', id]);
  }, 90_000);

  it('a writer the hook left behind, writing on after the hook failed, does not hold create: the error names the hook', async () => {
    const marker = `ocirun-endless-${process.pid}`;
    // Out of the hook's process group (setsid): killing the hook does not reach it.
    const bundle = h.bundle((s) => {
      s.process!.args = ['true'];
      s.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `for i in 1 2 3 4; do setsid sh -c 'exec yes ${marker}' & done; sleep 0.2; exit 3`] }] };
    });
    const writers = () => processesMentioning(`yes ${marker}`);
    try {
      const r = await h.cli(['create', '--bundle', bundle, h.id('endless')], { timeoutMs: 30_000 });
      expect(r.code).not.toBe(0);
      // The end of what they wrote (the last 4 KB, cut anywhere in a line), after the hook's name and status.
      expect(r.stderr).toMatch(/^ocirun: createRuntime hook 0 \(\/bin\/sh\) exited with status 3: …/);
      expect(r.stderr).toContain(`${marker}\n${marker}\n`);
      // Its pipe closed with the runtime's end of it, the writer is gone too.
      expect(await waitFor(() => writers().length === 0, 5000), writers().join('\n')).toBe(true);
    } finally {
      // Outside the harness's view (no token, no temp path): killed here whatever failed.
      for (const w of writers()) {
        try {
          process.kill(Number(w.split(':')[0]), 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
    h.expectClean();
  }, 60_000);

  it('the hook writes into a pipe (not a memory file that grows)', async () => {
    const log = h.dir('log');
    const bundle = h.bundle((s) => {
      s.process!.args = ['true'];
      s.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `a=$(readlink /proc/$$/fd/1); b=$(readlink /proc/$$/fd/2); echo $a > ${log}/fd1; echo $b > ${log}/fd2`] }] };
    });
    const id = h.id('pipe');
    expect((await h.cli(['create', '--bundle', bundle, id])).code).toBe(0);
    expect(readFileSync(join(log, 'fd1'), 'utf8')).toMatch(/^pipe:\[\d+\]\n$/);
    expect(readFileSync(join(log, 'fd2'), 'utf8')).toBe(readFileSync(join(log, 'fd1'), 'utf8'));
    await h.cli(['delete', '--force', id]);
  });
});

function shmemKb(): number {
  return Number(/^Shmem:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);
}
