// config.json `process`, read back from inside the container: user and groups, umask,
// capabilities, no_new_privs, rlimits, oomScoreAdj, cwd, env, PATH lookup, stdio and fds.
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, spawnCollect, useHarness, waitFor } from '../support/harness.js';
import { capNames, sections, statusFields } from '../support/probes.js';
import { copyRootfs } from '../support/rootfs.js';

const h = useHarness('proc');

describe('user', () => {
  it('uid, gid, additionalGids and umask', async () => {
    const r = await h.shBoth('id -u; id -g; id -G; umask; grep -E "^(Uid|Gid|Groups)" /proc/self/status', (s) => {
      s.process!.user = { uid: 1234, gid: 2345, additionalGids: [10, 20, 30], umask: 0o027 };
    });
    const [uid, gid, groups, umask, ...status] = r.stdout.trim().split('\n');
    expect([uid, gid, umask]).toEqual(['1234', '2345', '0027']);
    // id -G lists the primary group too.
    expect(groups.split(' ').sort()).toEqual(['10', '20', '2345', '30']);
    const f = statusFields(status.join('\n'));
    expect(f.Uid.split(/\s+/)).toEqual(['1234', '1234', '1234', '1234']);
    expect(f.Gid.split(/\s+/)).toEqual(['2345', '2345', '2345', '2345']);
    expect(f.Groups.split(/\s+/).sort()).toEqual(['10', '20', '30']);
  });

  it('files are created with the umask', async () => {
    const r = await h.sh('cd /tmp && touch f && mkdir d && stat -c %a f d', (s) => {
      s.process!.user = { uid: 0, gid: 0, umask: 0o077 };
      s.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs' });
    });
    expect(r.stdout).toBe('600\n700\n');
  });
});

describe('capabilities and no_new_privs', () => {
  const caps = {
    bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW', 'CAP_SYS_ADMIN', 'CAP_SETPCAP'],
    effective: ['CAP_CHOWN', 'CAP_KILL'],
    permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW'],
    inheritable: ['CAP_KILL', 'CAP_NET_RAW'],
    ambient: ['CAP_KILL'],
  };
  const sorted = (a: string[]) => [...a].sort();

  it('a non-root process gets its ambient set as permitted and effective (execve rules)', async () => {
    const r = await h.shBoth('grep ^Cap /proc/self/status', (s) => {
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.capabilities = caps;
    });
    const f = statusFields(r.stdout);
    // execve by a non-root user of a file without capabilities: P' = E' = ambient, I' = I.
    expect(capNames(f.CapBnd)).toEqual(sorted(caps.bounding));
    expect(capNames(f.CapInh)).toEqual(sorted(caps.inheritable));
    expect(capNames(f.CapAmb)).toEqual(sorted(caps.ambient));
    expect(capNames(f.CapPrm)).toEqual(sorted(caps.ambient));
    expect(capNames(f.CapEff)).toEqual(sorted(caps.ambient));
  });

  it('an ambient capability that is not also inheritable is not raised (the kernel refuses; runc ignores it)', async () => {
    const r = await h.sh('grep ^CapAmb /proc/self/status', (s) => {
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.capabilities = { ...caps, ambient: ['CAP_KILL', 'CAP_CHOWN'] };
    });
    expect(r.stderr).toBe('');
    expect(capNames(statusFields(r.stdout).CapAmb)).toEqual(['CAP_KILL']);
  });

  it('root gets inheritable | bounding as permitted and effective (execve rules)', async () => {
    const r = await h.sh('grep ^Cap /proc/self/status', (s) => {
      s.process!.capabilities = caps;
      // With no_new_privs execve could not raise root's permitted set above the configured one.
      s.process!.noNewPrivileges = false;
    });
    const f = statusFields(r.stdout);
    const union = sorted([...new Set([...caps.inheritable, ...caps.bounding])]);
    expect(capNames(f.CapBnd)).toEqual(sorted(caps.bounding));
    expect(capNames(f.CapInh)).toEqual(sorted(caps.inheritable));
    expect(capNames(f.CapAmb)).toEqual(sorted(caps.ambient));
    expect(capNames(f.CapPrm)).toEqual(union);
    expect(capNames(f.CapEff)).toEqual(union);
  });

  it('the capabilities are in force: without CAP_CHOWN chown fails, with it it works', async () => {
    const script = 'touch /tmp/f && chown 5:5 /tmp/f 2>/dev/null && echo chowned || echo refused';
    const tmpfs = { destination: '/tmp', type: 'tmpfs', source: 'tmpfs' };
    const without = await h.sh(script, (s) => {
      s.process!.capabilities = { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] };
      s.mounts!.push(tmpfs);
    });
    const withCap = await h.sh(script, (s) => {
      s.process!.capabilities = { bounding: ['CAP_CHOWN'], effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'] };
      s.mounts!.push(tmpfs);
    });
    expect([without.stdout, withCap.stdout]).toEqual(['refused\n', 'chowned\n']);
  });

  it('noNewPrivileges sets NoNewPrivs; false leaves it clear', async () => {
    const on = await h.sh('grep ^NoNewPrivs /proc/self/status', (s) => (s.process!.noNewPrivileges = true));
    const off = await h.sh('grep ^NoNewPrivs /proc/self/status', (s) => (s.process!.noNewPrivileges = false));
    expect(statusFields(on.stdout).NoNewPrivs).toBe('1');
    expect(statusFields(off.stdout).NoNewPrivs).toBe('0');
  });
});

describe('limits', () => {
  it('rlimits are set as configured', async () => {
    const r = await h.shBoth('cat /proc/self/limits', (s) => {
      s.process!.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 321, hard: 654 },
        { type: 'RLIMIT_NPROC', soft: 100, hard: 200 },
        { type: 'RLIMIT_CORE', soft: 0, hard: 4096 },
      ];
    });
    const limit = (name: string) => r.stdout.split('\n').find((l) => l.startsWith(name))!.slice(26).trim().split(/\s+/).slice(0, 2);
    expect(limit('Max open files')).toEqual(['321', '654']);
    expect(limit('Max processes')).toEqual(['100', '200']);
    expect(limit('Max core file size')).toEqual(['0', '4096']);
  });

  it('a low NOFILE limit leaves room for the fds create opens after it (the exec fifo)', async () => {
    // The rootfs set-up opens a hundred fds or so; they are closed before the rlimits apply, or
    // opening the exec fifo would fail with EMFILE.
    const mark = h.dir('mark');
    const bundle = h.bundle((s) => {
      s.process!.args = ['sh', '-c', 'ulimit -n > /mark/limit'];
      s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 16, hard: 16 }];
      s.mounts!.push({ destination: '/mark', type: 'bind', source: mark, options: ['bind'] });
    });
    const id = h.id();
    const r = await h.cli(['create', '--bundle', bundle, id]);
    expect(r.stderr).toBe('');
    expect((await h.cli(['start', id])).code).toBe(0);
    expect(await waitFor(() => existsSync(join(mark, 'limit')) && readFileSync(join(mark, 'limit'), 'utf8') !== '', 10_000)).toBe(true);
    expect(readFileSync(join(mark, 'limit'), 'utf8')).toBe('16\n');
  });

  it('oomScoreAdj', async () => {
    const r = await h.shBoth('cat /proc/self/oom_score_adj', (s) => (s.process!.oomScoreAdj = 567));
    expect(r.stdout).toBe('567\n');
  });
});

describe('cwd, env and the executable', () => {
  it('cwd is used, and created when missing (even with a read-only root)', async () => {
    const rootfs = copyRootfs(join(h.dir('cwd'), 'rootfs'));
    const r = await h.sh('pwd', (s) => (s.process!.cwd = '/work/deep/here'), { rootfs });
    expect(r.stdout).toBe('/work/deep/here\n');
    expect(existsSync(join(rootfs, 'work/deep/here'))).toBe(true);
  });

  it('env is config.json\'s, plus HOME from the rootfs\'s /etc/passwd when it is not set (as runc)', async () => {
    const env = ['PATH=/bin', 'FOO=bar baz', 'EMPTY=', `OCIRUN_TEST_TOKEN=${h.token}`];
    const r = await h.shBoth('env | sort', (s) => (s.process!.env = env));
    // busybox sh adds PWD and SHLVL of its own.
    const lines = r.stdout.trim().split('\n').filter((l) => !/^(PWD|SHLVL)=/.test(l));
    expect(lines).toEqual(['EMPTY=', 'FOO=bar baz', 'HOME=/root', `OCIRUN_TEST_TOKEN=${h.token}`, 'PATH=/bin']);
    const withHome = await h.sh('echo $HOME', (s) => (s.process!.env = [...env, 'HOME=/elsewhere']));
    expect(withHome.stdout).toBe('/elsewhere\n');
  });

  it('args[0] is looked up in the container\'s PATH, inside the rootfs', async () => {
    const rootfs = copyRootfs(join(h.dir('path'), 'rootfs'));
    mkdirSync(join(rootfs, 'opt/tools'), { recursive: true });
    writeFileSync(join(rootfs, 'opt/tools/hello-tool'), '#!/bin/sh\necho "tool says $1"\n');
    chmodSync(join(rootfs, 'opt/tools/hello-tool'), 0o755);
    const r = await h.run((s) => {
      s.process!.args = ['hello-tool', 'hi'];
      s.process!.env = ['PATH=/nope:/opt/tools:/bin', `OCIRUN_TEST_TOKEN=${h.token}`];
    }, { rootfs });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('tool says hi\n');
    // A program only the host has is not found (node is in the host's PATH, not the rootfs).
    const missing = await h.run((s) => (s.process!.args = ['node', '-e', '0']));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('exec: "node": executable file not found in $PATH');
  });

  it('exit code and stdio pass through', async () => {
    const r = await h.sh('read line; echo "out:$line"; echo "err:$line" >&2; exit 42', undefined, { input: 'hello\n' });
    expect(r).toMatchObject({ stdout: 'out:hello\n', stderr: 'err:hello\n', code: 42 });
    const lib = await h.sh('read line; echo "out:$line"; echo "err:$line" >&2; exit 42', undefined, { input: 'hello\n', via: 'library' });
    expect(lib).toMatchObject({ stdout: 'out:hello\n', stderr: 'err:hello\n', code: 42 });
  });
});

describe('file descriptors', () => {
  // The fds of pid 1 (the shell), listed by a child; `; true` keeps the shell from exec'ing ls,
  // and no pipeline, whose pipe fds the shell would hold.
  const LIST_FDS = 'ls /proc/1/fd; true';

  it('only fds 0-2 are open in the container', async () => {
    const r = await h.sh(LIST_FDS);
    expect(r.stdout.trim().split(/\s+/)).toEqual(['0', '1', '2']);
    const lib = await h.sh(LIST_FDS, undefined, { via: 'library' });
    expect(lib.stdout.trim().split(/\s+/)).toEqual(['0', '1', '2']);
  });

  it("stdio that is the host's /dev/null becomes the container's own, read-write (runc's reOpenDevNull)", async () => {
    const out = join(h.dir('out'), 'out');
    const bundle = h.bundle((s) => {
      s.process!.args = ['sh', '-c', 'echo written >&0 && echo fd0-writable; [ "$(stat -L -c %d /proc/self/fd/0)" = "$(stat -c %d /dev/null)" ] && echo own-dev-null'];
    });
    // The caller's stdin is a read-only /dev/null; stdout a file.
    const r = await spawnCollect('sh', ['-c', `exec "$0" "$@" < /dev/null > ${out}`, process.execPath, CLI, '--root', h.root, 'run', '--bundle', bundle, h.id()]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(out, 'utf8')).toBe('fd0-writable\nown-dev-null\n');
    // exec likewise.
    const id = h.id();
    expect((await h.cli(['run', '-d', '--bundle', h.bundle((s) => (s.process!.args = ['sleep', '30'])), id])).code).toBe(0);
    const e = await spawnCollect('sh', ['-c', `exec "$0" "$@" < /dev/null > ${out}`, process.execPath, CLI, '--root', h.root, 'exec', id, 'sh', '-c', 'echo written >&0 && echo fd0-writable']);
    expect(e).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(out, 'utf8')).toBe('fd0-writable\n');
  });

  it('--preserve-fds N passes fds 3..3+N-1 and no others', async () => {
    const dir = h.dir('fds');
    const out3 = openSync(join(dir, 'three'), 'w');
    const out4 = openSync(join(dir, 'four'), 'w');
    const extra5 = openSync(join(dir, 'five'), 'w');
    try {
      const r = await h.sh(`${LIST_FDS}; echo via-three >&3; echo via-four >&4`, undefined, {
        flags: ['--preserve-fds', '2'],
        extraFds: [out3, out4, extra5],
      });
      expect(r.stdout.trim().split(/\s+/)).toEqual(['0', '1', '2', '3', '4']);
      expect(readFileSync(join(dir, 'three'), 'utf8')).toBe('via-three\n');
      expect(readFileSync(join(dir, 'four'), 'utf8')).toBe('via-four\n');
      expect(readFileSync(join(dir, 'five'), 'utf8')).toBe('');
    } finally {
      for (const fd of [out3, out4, extra5]) closeSync(fd);
    }
  });

  it('socket activation: LISTEN_FDS fds come first, then --preserve-fds; the container gets LISTEN_FDS and LISTEN_PID=1', async () => {
    const dir = h.dir('listen');
    const listen = openSync(join(dir, 'listen'), 'w');
    const preserved = openSync(join(dir, 'preserved'), 'w');
    try {
      const r = await h.sh(`echo $LISTEN_FDS $LISTEN_PID; ${LIST_FDS}; echo L >&3; echo P >&4`, undefined, {
        flags: ['--preserve-fds', '1'],
        extraFds: [listen, preserved],
        env: { LISTEN_FDS: '1' },
      });
      expect(r.stderr).toBe('');
      const [vars, ...fds] = r.stdout.trim().split('\n');
      expect(vars).toBe('1 1');
      expect(fds).toEqual(['0', '1', '2', '3', '4']);
      expect(readFileSync(join(dir, 'listen'), 'utf8')).toBe('L\n');
      expect(readFileSync(join(dir, 'preserved'), 'utf8')).toBe('P\n');
    } finally {
      closeSync(listen);
      closeSync(preserved);
    }
  });
});

describe('security labels', () => {
  it.skipIf(existsSync('/sys/kernel/security/apparmor'))('apparmorProfile on a host without AppArmor is a clear error', async () => {
    const r = await h.sh('true', (s) => (s.process!.apparmorProfile = 'some-profile'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('AppArmor is not enabled on this host');
    h.expectClean();
  });

  it.skipIf(existsSync('/sys/fs/selinux/enforce'))('selinuxLabel on a host without SELinux is a clear error', async () => {
    const r = await h.sh('true', (s) => (s.process!.selinuxLabel = 'system_u:system_r:container_t:s0'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('SELinux is not enabled on this host');
    h.expectClean();
  });
});

describe('sections helper sanity', () => {
  it('splits probe output by headers', () => {
    expect(sections('== a\n1\n2\n== b\n\n3\n')).toEqual({ a: '1\n2', b: '\n3' });
  });
});
