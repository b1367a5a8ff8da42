// process.terminal with real ptys: the master sent to a console socket exactly as runc sends it
// (a receiver like runc's recvtty takes it), the foreground relay of `run` and `exec -t` under
// script(1), the library's Terminal, and the attacks: a rootfs that offers anything but its own
// devpts instance gets no pty, and the container holds no fd of the host.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyRootfs } from '../support/rootfs.js';
import { CLI, REPO, spawnCollect, useHarness, waitFor, type Patch, type RunResult } from '../support/harness.js';
import type { Spec } from '../../lib/spec/index.js';

const h = useHarness('terminal');
let recvtty = '';

beforeAll(() => {
  recvtty = join(h.tmp, 'recvtty');
  execFileSync('gcc', ['-O2', '-Wall', '-Werror', '-o', recvtty, join(REPO, 'test/support/recvtty.c')]);
});

/** A terminal container's config: the shell script as its process, as uid 1000. */
function tty(script: string, patch?: Patch): Patch {
  return (s: Spec) => {
    s.process!.terminal = true;
    s.process!.args = ['sh', '-c', script];
    patch?.(s);
  };
}

/** Start a receiver on a fresh socket path; resolves with what it got once the pty hung up. */
function receiver(input = ''): { socket: string; done: Promise<RunResult> } {
  const socket = join(h.dir('sock'), 'console.sock');
  const done = spawnCollect(recvtty, [socket, input], { timeoutMs: 20_000 });
  return { socket, done };
}

const shq = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/** A command line run by script(1) on a fresh pty; `input` is typed into it. */
function underScript(command: string[], input: string, after = ''): Promise<RunResult> {
  const line = `${command.map(shq).join(' ')}; echo "rc=$?"${after ? `; ${after}` : ''}`;
  return spawnCollect('script', ['-qec', line, '/dev/null'], { input, timeoutMs: 25_000 });
}

describe('--console-socket', () => {
  it('a receiver gets a working master: payload /dev/ptmx, one fd; the slave is the controlling terminal, owned by the uid, gid 5, mode 620', async () => {
    const rx = receiver('typed-in\n');
    await waitFor(() => existsSync(rx.socket), 5000);
    const bundle = h.bundle(
      tty('read line; echo "got $line"; t=$(tty); echo "tty $t"; stat -c "owner %u %g %a" $t; stty size; echo ctty > /dev/tty; [ "$(stat -c %t:%T $t)" = "$(stat -c %t:%T /dev/console)" ] && echo console-is-pty; echo fds; ls -1 /proc/$$/fd; true', (s) => {
        s.process!.user = { uid: 1000, gid: 1000 };
        s.process!.consoleSize = { height: 30, width: 100 };
      }),
    );
    const id = h.id();
    const created = await h.cli(['create', '--console-socket', rx.socket, '--bundle', bundle, id]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect((await h.cli(['start', id])).code).toBe(0);
    const got = await rx.done;
    expect(got.stderr).toBe('payload=/dev/ptmx isatty=1\n');
    const out = got.stdout.replace(/\r/g, '');
    expect(out).toContain('got typed-in\n');
    expect(out).toMatch(/tty \/dev\/pts\/\d+\n/);
    expect(out).toContain('owner 1000 5 620\n');
    expect(out).toContain('30 100\n');
    expect(out).toContain('ctty\n');
    expect(out).toContain('console-is-pty\n');
    // The shell holds the pty as 0-2 and nothing else of ours (no pipeline: its pipe would show).
    expect(out).toMatch(/\nfds\n0\n1\n2\n$/);
    expect(got.code).toBe(0);
    await h.cli(['delete', id]);
  });

  it('exec -t -d --console-socket into a running container', async () => {
    const id = h.id();
    expect((await h.cli(['run', '-d', '--bundle', h.bundle((s) => (s.process!.args = ['sleep', '60'])), id])).code).toBe(0);
    const rx = receiver();
    await waitFor(() => existsSync(rx.socket), 5000);
    const r = await h.cli(['exec', '-t', '-d', '--console-socket', rx.socket, id, 'sh', '-c', 'echo "exec on $(tty)"; echo ctty > /dev/tty']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const got = await rx.done;
    expect(got.stdout.replace(/\r/g, '')).toMatch(/^exec on \/dev\/pts\/\d+\nctty\n$/);
  });

  it("runc's rules: a terminal needs a console socket when detached; a socket needs a terminal and a detached process", async () => {
    const id = h.id();
    const noSocket = await h.cli(['create', '--bundle', h.bundle(tty('true')), id]);
    expect(noSocket.code).toBe(1);
    expect(noSocket.stderr).toContain('cannot allocate tty if ocirun will detach without setting console socket');
    const socket = join(h.dir('sock'), 'unused.sock');
    const noTerminal = await h.cli(['create', '--console-socket', socket, '--bundle', h.bundle(), h.id()]);
    expect(noTerminal.code).toBe(1);
    expect(noTerminal.stderr).toContain('process.terminal is false');
    const foreground = await h.cli(['run', '--console-socket', socket, '--bundle', h.bundle(tty('true')), h.id()]);
    expect(foreground.code).toBe(1);
    expect(foreground.stderr).toContain('cannot use console socket if ocirun will not detach');
    const missing = await h.cli(['create', '--console-socket', socket, '--bundle', h.bundle(tty('true')), h.id()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--console-socket: connect .*unused\.sock: no such file or directory/);
    h.expectClean();
  });
});

describe('foreground relay', () => {
  it('run under script(1): input and output pass, the exit code comes back, the caller\'s terminal leaves raw mode', async () => {
    const bundle = h.bundle(tty('read line; echo "got $line"; echo "size $(stty size)"; exit 3', (s) => (s.process!.consoleSize = { height: 25, width: 81 })));
    const r = await underScript([process.execPath, CLI, '--root', h.root, 'run', '--bundle', bundle, h.id()], 'hello-relay\n', 'stty -a | grep -o -- "-\\?icanon"');
    // Raw mode as cfmakeraw makes it: the pty's \r\n reaches the caller as it is.
    expect(r.stdout).toContain('got hello-relay\r\n');
    const out = r.stdout.replace(/\r/g, '');
    // script's own terminal has no size (its stdin is a pipe): consoleSize stays.
    expect(out).toContain('size 25 81\n');
    expect(out).toContain('rc=3\n');
    expect(out).toMatch(/\nicanon\n?$/);
    h.expectClean();
  });

  it('exec -t under script(1) into a running container: its own pty, the exit code', async () => {
    const id = h.id();
    expect((await h.cli(['run', '-d', '--bundle', h.bundle((s) => (s.process!.args = ['sleep', '60'])), id])).code).toBe(0);
    const r = await underScript([process.execPath, CLI, '--root', h.root, 'exec', '-t', id, 'sh', '-c', 'read x; echo "on $(tty) got $x"; exit 4'], 'abc\n');
    const out = r.stdout.replace(/\r/g, '');
    expect(out).toMatch(/on \/dev\/pts\/\d+ got abc\n/);
    expect(out).toContain('rc=4\n');
  });

  it('exec -t with a pipe as stdin: its end reaches the program as the end of input', async () => {
    const id = h.id();
    expect((await h.cli(['run', '-d', '--bundle', h.bundle((s) => (s.process!.args = ['sleep', '60'])), id])).code).toBe(0);
    const r = await h.cli(['exec', '-t', id, 'sh', '-c', 'cat >/dev/null; echo "after eof"'], { input: 'some input\n' });
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\r/g, '')).toContain('after eof\n');
  });

  it('the pty size is consoleSize when the caller has no terminal', async () => {
    const r = await h.run(tty('stty size', (s) => (s.process!.consoleSize = { height: 24, width: 132 })));
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\r/g, '')).toBe('24 132\n');
  });
});

describe('library', () => {
  it('run gives the master as container.terminal: a stream both ways, resize', async () => {
    const bundle = h.bundle(tty('read a; stty size; read b; echo "done $a $b"', (s) => (s.process!.consoleSize = { height: 10, width: 20 })));
    const id = h.id();
    const handle = await h.rt.run(id, bundle);
    h.track(handle.pid);
    const t = handle.terminal!;
    expect(t).not.toBeNull();
    expect(t.size()).toEqual({ cols: 20, rows: 10 });
    let out = '';
    t.stream.setEncoding('utf8').on('data', (d: string) => (out += d));
    t.resize(90, 40);
    t.stream.write('one\n');
    expect(await waitFor(() => out.includes('40 90'), 10_000)).toBe(true);
    t.stream.write('two\n');
    const status = await handle.wait();
    expect(status.code).toBe(0);
    expect(await waitFor(() => out.includes('done one two'), 5000)).toBe(true);
    t.close();
    await handle.delete();
  });
});

describe('library exec', () => {
  it('exec of a process with terminal gives process.terminal', async () => {
    const id = h.id();
    const c = await h.rt.run(id, h.bundle((s) => (s.process!.args = ['sleep', '60'])));
    h.track(c.pid);
    const proc = { ...(await c.configProcess()), terminal: true, args: ['sh', '-c', 'echo "exec tty $(tty)"'] };
    const p = await c.exec(proc);
    h.track(p.pid);
    let out = '';
    p.terminal!.stream.setEncoding('utf8').on('data', (d: string) => (out += d));
    expect((await p.wait()).code).toBe(0);
    expect(await waitFor(() => out.includes('\n'), 5000)).toBe(true);
    expect(out).toMatch(/^exec tty \/dev\/pts\/\d+\r\n/);
    p.terminal!.close();
    await c.delete({ force: true });
  });
});

describe('attacks', () => {
  /** A private rootfs with /dev from the rootfs itself (no tmpfs), no devpts mounted. */
  function hostileBundle(prepare: (rootfs: string) => void): string {
    const rootfs = copyRootfs(join(h.dir('rootfs'), 'rootfs'));
    prepare(rootfs);
    return h.bundle(
      tty('echo should-not-run', (s) => {
        s.mounts = s.mounts!.filter((m) => m.destination !== '/dev' && !m.destination.startsWith('/dev/'));
        s.root = { path: rootfs, readonly: false };
      }),
      { rootfs },
    );
  }

  it('a ptmx device node in a rootfs without its own devpts gives no pty (never the host\'s)', async () => {
    const bundle = hostileBundle((rootfs) => {
      mkdirSync(join(rootfs, 'dev/pts'), { recursive: true });
      execFileSync('mknod', [join(rootfs, 'dev/pts/ptmx'), 'c', '5', '2']);
    });
    const r = await h.cli(['run', '--bundle', bundle, h.id()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/terminal: open \/dev\/ptmx in the container: /);
    expect(r.stdout).not.toContain('should-not-run');
    h.expectClean();
  });

  it('/dev/pts planted as a magic link (/proc/self/fd) is not followed', async () => {
    const bundle = hostileBundle((rootfs) => {
      rmSync(join(rootfs, 'dev/pts'), { recursive: true, force: true });
      symlinkSync('/proc/self/fd', join(rootfs, 'dev/pts'));
    });
    const r = await h.cli(['run', '--bundle', bundle, h.id()]);
    expect(r.code).toBe(1);
    // pts/ptmx → /proc/self/fd/ptmx: refused before any lookup through the magic link.
    expect(r.stderr).toMatch(/terminal: open \/dev\/ptmx in the container: (too many levels of symbolic links|no such file or directory)/);
    h.expectClean();
  });

  it('/dev/pts/ptmx planted as a link to the executor\'s stdin is refused (no magic links)', async () => {
    const bundle = hostileBundle((rootfs) => {
      mkdirSync(join(rootfs, 'dev/pts'), { recursive: true });
      symlinkSync('/proc/self/fd/0', join(rootfs, 'dev/pts/ptmx'));
    });
    // Under script(1): the executor's stdin is then a host pty.
    const r = await underScript([process.execPath, CLI, '--root', h.root, 'run', '--bundle', bundle, h.id()], '');
    const out = r.stdout.replace(/\r/g, '');
    expect(out).toMatch(/terminal: open \/dev\/ptmx in the container: too many levels of symbolic links/);
    expect(out).toContain('rc=1\n');
    h.expectClean();
  });
});


