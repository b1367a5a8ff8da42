// The native executor, driven directly with small programs (no namespaces, no root needed):
// ops run in order, results land in registers, tolerated errnos and skips steer the flow,
// failures come back as {op index, errno}, and a fork reports the new pid.
import { describe, expect, it } from 'vitest';
import { closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { reapBlocking, socketPair, spawnProgram } from '../bindings/libc.js';
import { AT, ERRNO, O } from '../bindings/constants.js';
import { PROGRAM_SIZE_OFFSET, ProgramBuilder } from '../bindings/program.js';
import { MSG_PID } from '../bindings/program-format.js';
import { openInitChannel, type InitMessage } from '../lib/protocol/init-channel.js';
import { useTempDirs } from './support/temp-dirs.js';

const tempDir = useTempDirs('ocirun-exec-');

/** Run a program; collect its messages until end of file; reap it. */
async function execute(
  build: (b: ProgramBuilder, syncFd: number) => void,
  { moveSyncTo, blocking = false }: { moveSyncTo?: number; blocking?: boolean } = {},
): Promise<{ messages: InitMessage[]; status: number; descriptions: string[] }> {
  const [parent, child] = socketPair();
  const b = new ProgramBuilder();
  const syncFd = moveSyncTo ?? child;
  build(b, syncFd);
  const program = b.encode(syncFd);
  const channel = openInitChannel(parent, blocking);
  const fds = moveSyncTo === undefined ? { programFd: 200, keep: [child] } : { programFd: 200, moves: [[child, moveSyncTo] as const] };
  const pid = spawnProgram(program.bytes, fds);
  closeSync(child);
  const messages: InitMessage[] = [];
  for (;;) {
    const m = await channel.next();
    if (m.kind === 'eof') break;
    messages.push(m);
    if (m.kind === 'pid') reapBlocking(pid);
  }
  channel.close();
  const status = messages.some((m) => m.kind === 'pid') ? 0 : reapBlocking(pid);
  return { messages, status, descriptions: program.descriptions };
}

/** Ops that write `text` into file `path` (O_CREAT), using a register for the fd. */
function writeFile(b: ProgramBuilder, path: string, text: string): void {
  const fd = b.register();
  b.syscall('openat', [AT.FDCWD, b.string(path), O.WRONLY | O.CREAT | O.APPEND | O.CLOEXEC, 0o644], `open ${path}`, { save: fd });
  const data = Buffer.from(text);
  b.syscall('write', [fd, b.bytes(data), data.length], `write ${path}`);
  b.syscall('close', [fd], `close ${path}`);
}

function exitOk(b: ProgramBuilder): void {
  const argv = b.pointerArray([b.string('/bin/true')]);
  b.syscall('execve', [b.string('/bin/true'), argv, b.pointerArray([])], 'exec /bin/true');
}

describe('executor', () => {
  it('runs ops in order, passes fds through registers, and ends in execve (end of file, exit 0)', async () => {
    const d = tempDir();
    const r = await execute((b) => {
      writeFile(b, join(d, 'out'), 'one ');
      writeFile(b, join(d, 'out'), 'two');
      exitOk(b);
    });
    expect(r.messages).toEqual([]);
    expect(r.status).toBe(0);
    expect(readFileSync(join(d, 'out'), 'utf8')).toBe('one two');
  });

  it('moves fds to the numbers the program was planned with (a planned program is reusable)', async () => {
    const r = await execute(
      (b, syncFd) => {
        // The sync fd is reachable at its planned number: a marker sent on it arrives.
        b.syscall('write', [syncFd, b.bytes(Buffer.from([1, 0xff, 0xff, 0xff, 0, 0, 0, 0])), 8], 'signal on the moved fd');
        exitOk(b);
      },
      { moveSyncTo: 57 },
    );
    expect(r.messages).toEqual([{ kind: 'sync', tag: 0xffffff01, value: 0 }]);
    expect(r.status).toBe(0);
  });

  it('the blocking channel (the CLI\'s) reads the same messages and end of file', async () => {
    const d = tempDir();
    const program = (b: ProgramBuilder, syncFd: number) => {
      b.syscall('write', [syncFd, b.bytes(Buffer.from([1, 0xff, 0xff, 0xff, 0, 0, 0, 0])), 8], 'signal');
      b.syscall('openat', [AT.FDCWD, b.string(join(d, 'missing', 'x')), O.RDONLY | O.CLOEXEC, 0], 'open the missing file');
      exitOk(b);
    };
    const events = await execute(program);
    const blocking = await execute(program, { blocking: true });
    expect(blocking.messages).toEqual(events.messages);
    expect(blocking.messages).toEqual([{ kind: 'sync', tag: 0xffffff01, value: 0 }, { kind: 'error', op: 1, errno: ERRNO.ENOENT }]);
  });

  it('reports the failing op index and errno, and runs nothing after it', async () => {
    const d = tempDir();
    const r = await execute((b) => {
      b.syscall('openat', [AT.FDCWD, b.string(join(d, 'missing', 'x')), O.RDONLY | O.CLOEXEC, 0], 'open the missing file');
      writeFile(b, join(d, 'after'), 'should not exist');
      exitOk(b);
    });
    expect(r.messages).toEqual([{ kind: 'error', op: 0, errno: ERRNO.ENOENT }]);
    expect(r.descriptions[0]).toBe('open the missing file');
    expect(() => readFileSync(join(d, 'after'))).toThrow();
  });

  it('tolerates listed errnos, saving -errno, and skips to a label on success or toleration', async () => {
    const d = tempDir();
    const r = await execute((b) => {
      const skipped = b.label('after-skip');
      // EEXIST tolerated: goes on.
      b.syscall('mkdirat', [AT.FDCWD, b.string(d), 0o755], 'mkdir existing', { tolerate: [ERRNO.EEXIST] });
      // Success jumps over the write.
      b.syscall('mkdirat', [AT.FDCWD, b.string(join(d, 'new')), 0o755], 'mkdir new', { onSuccess: skipped });
      writeFile(b, join(d, 'skipped'), 'x');
      b.place(skipped);
      // A tolerated error jumps over the next write too.
      const second = b.label('after-tolerated');
      b.syscall('mkdirat', [AT.FDCWD, b.string(join(d, 'new')), 0o755], 'mkdir again', { tolerate: [ERRNO.EEXIST], onTolerated: second });
      writeFile(b, join(d, 'skipped2'), 'x');
      b.place(second);
      writeFile(b, join(d, 'reached'), 'yes');
      exitOk(b);
    });
    expect(r.messages).toEqual([]);
    expect(readFileSync(join(d, 'reached'), 'utf8')).toBe('yes');
    expect(() => readFileSync(join(d, 'skipped'))).toThrow();
    expect(() => readFileSync(join(d, 'skipped2'))).toThrow();
  });

  it('test ops compare program memory: fail with an errno, or jump', async () => {
    const d = tempDir();
    const r = await execute((b) => {
      const value = b.bytes(Buffer.from([0x34, 0x12, 0, 0]));
      const over = b.label('over');
      b.test(value, 4, 0xffff, 0x1234, { jump: over }, 'equal: jump');
      writeFile(b, join(d, 'not-reached'), 'x');
      b.place(over);
      b.test(value, 2, 0xff00, 0x1200, { failErrno: ERRNO.EEXIST }, 'masked equal: fail', true);
      b.test(value, 4, 0xffffffff, 0x1234, { failErrno: ERRNO.EEXIST }, 'equal: fail with EEXIST');
      exitOk(b);
    });
    expect(() => readFileSync(join(d, 'not-reached'))).toThrow();
    expect(r.messages).toEqual([{ kind: 'error', op: 5, errno: ERRNO.EEXIST }]);
    expect(r.descriptions[5]).toBe('equal: fail with EEXIST');
  });

  it('patches a register into memory before an op (an fd inside a struct)', async () => {
    const d = tempDir();
    const path = join(d, 'patched');
    await execute((b) => {
      const fd = b.register();
      b.syscall('openat', [AT.FDCWD, b.string(path), O.WRONLY | O.CREAT | O.CLOEXEC, 0o644], 'open', { save: fd });
      // Write the 4 bytes of `slot` into the file; before the write, the fd is patched into it.
      const slot = b.zeroed(8);
      b.syscall('write', [fd, slot, 4], 'write the slot', { patches: [{ at: slot, reg: fd, width: 4 }] });
      exitOk(b);
    });
    const written = readFileSync(path);
    expect(written.length).toBe(4);
    expect(written.readInt32LE(0)).toBeGreaterThanOrEqual(3);
  });

  it('fork reports the child pid on the report fd; the child goes on', async () => {
    const d = tempDir();
    const r = await execute((b) => {
      b.fork(0, 'fork');
      writeFile(b, join(d, 'child'), 'ran');
      exitOk(b);
    });
    const pidMsg = r.messages.find((m) => m.kind === 'pid');
    expect(pidMsg).toBeDefined();
    expect((pidMsg as { pid: number }).pid).toBeGreaterThan(0);
    // The grandchild is not ours to reap; give it a moment to write.
    for (let i = 0; i < 200 && !safeRead(join(d, 'child')); i++) await new Promise((res) => setTimeout(res, 5));
    expect(safeRead(join(d, 'child'))).toBe('ran');
    expect(MSG_PID).toBe(0xfffffffe);
  });

  it('refuses a program whose header claims more bytes than its memfd holds (exit 126, nothing run)', async () => {
    // The executor maps the program from its memfd: a size past the end would map pages that
    // fault with SIGBUS when touched. It checks the length first and exits 126 before any op.
    const d = tempDir();
    const [parent, child] = socketPair();
    const b = new ProgramBuilder();
    writeFile(b, join(d, 'ran'), 'yes');
    exitOk(b);
    const bytes = Buffer.from(b.encode(child).bytes);
    bytes.writeUInt32LE(bytes.length + 4096, PROGRAM_SIZE_OFFSET);
    const channel = openInitChannel(parent, true);
    const pid = spawnProgram(bytes, { programFd: 200, keep: [child] });
    closeSync(child);
    expect(await channel.next()).toEqual({ kind: 'eof' });
    channel.close();
    // A wait status: exited (no signal), code 126.
    expect(reapBlocking(pid)).toBe(126 << 8);
    expect(safeRead(join(d, 'ran'))).toBeUndefined();
  });
});

function safeRead(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}
