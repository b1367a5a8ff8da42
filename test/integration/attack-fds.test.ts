// Attacks through the runtime's fds (runc's CVE-2024-21626): a path through /proc/self/fd/N
// reaches whatever directory fd N is open on. No fd of the host may be open in the container
// process when it walks a path the config, the image or the command line chose.
import { closeSync, openSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { copyRootfs } from '../support/rootfs.js';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { beforeEach, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';

const h = useHarness('attack-fds');

/** A host directory holding a secret, open at some fd of this process. */
function hostSecretDir(): { dir: string; fd: number } {
  const dir = h.dir('host-secret');
  writeFileSync(join(dir, 'secret'), 'host secret\n');
  return { dir, fd: openSync(dir, 'r') };
}

describe('exec --cwd through an fd (CVE-2024-21626)', () => {
  let id = '';
  beforeEach(async () => {
    id = h.id();
    const r = await h.cli(['run', '--detach', '--bundle', h.bundle((s) => (s.process!.args = ['sleep', '60'])), id]);
    expect(r.code).toBe(0);
  });

  it('an fd the caller inherited without close-on-exec (exec 20<DIR) never reaches the container', async () => {
    const { fd } = hostSecretDir();
    try {
      // The CLI gets the directory at its fd 20, not close-on-exec, as from a shell's `exec 20<DIR`.
      const extraFds = [...Array(17).fill('ignore'), fd];
      const r = await h.cli(['exec', '--cwd', '/proc/self/fd/20', id, 'cat', 'secret'], { extraFds });
      expect(r.stdout).not.toContain('host secret');
      expect(r.stderr).toMatch(/^ocirun: cwd \/proc\/self\/fd\/20: open \/proc\/self\/fd\/20 in the container's root: (no such file or directory|too many levels of symbolic links)/);
      expect(r.code).toBe(255);
      // And the process itself never sees it: fds 0-2 and its own.
      const ls = await h.cli(['exec', id, 'ls', '/proc/self/fd'], { extraFds });
      expect(ls.stdout.split('\n').filter(Boolean).sort()).toEqual(['0', '1', '2', '3']);
    } finally {
      closeSync(fd);
    }
  });

  it('a preserved fd on a host directory (--preserve-fds) is not a cwd: the magic link is refused', async () => {
    const { fd } = hostSecretDir();
    try {
      const r = await h.cli(['exec', '--preserve-fds', '1', '--cwd', '/proc/self/fd/3', id, 'cat', 'secret'], { extraFds: [fd] });
      expect(r.stdout).not.toContain('host secret');
      expect(r.stderr).toMatch(/^ocirun: cwd \/proc\/self\/fd\/3: open \/proc\/self\/fd\/3 in the container's root: too many levels of symbolic links/);
      expect(r.code).toBe(255);
    } finally {
      closeSync(fd);
    }
  });
});

describe("create: the state directory's fd (CVE-2024-21626)", () => {
  it('process.cwd /proc/self/fd/5 is refused', async () => {
    const r = await h.run((s) => (s.process!.cwd = '/proc/self/fd/5'));
    expect(r.stderr).toMatch(/cwd \/proc\/self\/fd\/5: open \/proc\/self\/fd\/5 in the rootfs: too many levels of symbolic links/);
    expect(r.code).not.toBe(0);
  });

  it('process.args[0] through /proc/self/fd/5 cannot exec a host binary after start', async () => {
    // Fd 5 is the O_PATH fd on <root>/<id> (the exec fifo's directory) while the process waits
    // for start: climb from there to the host's / and run its busybox.
    const id = h.id();
    const depth = join(h.root, id).split('/').length - 1;
    const hostBusybox = `/proc/self/fd/5/${'../'.repeat(depth)}bin/busybox`;
    const bundle = h.bundle((s) => (s.process!.args = [hostBusybox, 'echo', 'ESCAPED: ran the host binary']));
    let c;
    try {
      c = await h.rt.create(id, bundle, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      // Refused at create: as good.
      expect((err as Error).message).toMatch(/bin\/busybox/);
      return;
    }
    h.track(c.pid!);
    const [stdout, stderr] = [text(c.stdout!), text(c.stderr!)];
    await c.start();
    const status = await c.wait();
    const out = (await stdout) + (await stderr);
    expect(status.code).not.toBe(0);
    expect(out).not.toContain('ESCAPED');
  });
});


describe('procfs and sysfs on a symlink (runc: must be mounted on ordinary directory)', () => {
  it('rootfs/proc -> /tmp is refused: procfs never lands where maskedPaths do not look', async () => {
    const rootfs = copyRootfs(h.dir('rootfs'));
    rmSync(join(rootfs, 'proc'), { recursive: true });
    symlinkSync('/tmp', join(rootfs, 'proc'));
    const r = await h.run((s) => (s.process!.args = ['true']), { rootfs });
    expect(r.stderr).toContain('filesystem "proc" must be mounted on ordinary directory /proc: too many levels of symbolic links');
    expect(r.code).not.toBe(0);
  });
});

describe('fds the runtime gave the container process are gone before anything of the container can reach them', () => {
  it('the user namespaces of idmapped mounts are closed once the mounts are made, not held until execve', async () => {
    const dir = h.dir('idmapped');
    const map = [{ containerID: 0, hostID: 100000, size: 65536 }];
    const bundle = h.bundle((s) => {
      s.process!.args = ['sleep', '600'];
      s.mounts!.push({ destination: '/data', type: 'bind', source: dir, options: ['bind', 'idmap'], uidMappings: map, gidMappings: map });
    });
    const id = h.id('idmapfd');
    const r = await h.cli(['create', '--bundle', bundle, id]);
    expect(r.code, r.stderr).toBe(0);
    // Created: it waits at the start gate, where an exec'd process of the container could look.
    const { pid } = await h.state(id);
    const targets = readdirSync(`/proc/${pid}/fd`).map((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`));
    expect(targets.filter((t) => t.startsWith('user:['))).toEqual([]);
    // Still an idmapped mount.
    expect((await h.cli(['start', id])).code).toBe(0);
    await h.cli(['delete', '--force', id]);
  });
});
