// The executor's only architecture-specific code (raw syscalls, _start) for aarch64, run under
// qemu-user: built from bindings/executor.c with the same flags as the native build, it runs a
// small program (ops, a tolerated errno, execve), reports a failing op as {op, errno}, and copies a
// tree (tmpcopyup's op, whose open flags differ from x86_64's).
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AT, ERRNO, O } from '../bindings/constants.js';
import { ProgramBuilder } from '../bindings/program.js';
// @ts-expect-error: a build script without type declarations
import { EXECUTOR_FLAGS, EXECUTOR_SOURCE } from '../scripts/build-native.mjs';

const CC = 'aarch64-linux-gnu-gcc';
const QEMU = 'qemu-aarch64-static';
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const tools = have(CC) && have(QEMU);
const dir = mkdtempSync(join(tmpdir(), 'ocirun-arm64-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function program(failing: boolean): Buffer {
  const b = new ProgramBuilder('arm64');
  const say = (text: string) => {
    const data = Buffer.from(text);
    b.syscall('write', [1, b.bytes(data), data.length], `say ${text.trim()}`);
  };
  say('hello from aarch64\n');
  const r = b.register();
  b.syscall('openat', [AT.FDCWD, b.string('/nonexistent/x'), O.RDONLY | O.CLOEXEC, 0], 'open a missing file', failing ? {} : { tolerate: [ERRNO.ENOENT], save: r });
  say('after\n');
  b.syscall('execve', [b.string('/bin/true'), b.pointerArray([b.string('true')]), b.pointerArray([])], 'exec /bin/true');
  return b.encode(1).bytes;
}

function run(executor: string, bytes: Buffer): { status: number | null; stdout: Buffer } {
  const file = join(dir, 'program');
  writeFileSync(file, bytes);
  const fd = openSync(file, 'r');
  try {
    const r = spawnSync(QEMU, [executor, '3'], { stdio: ['ignore', 'pipe', 'inherit', fd] });
    return { status: r.status, stdout: r.stdout };
  } finally {
    closeSync(fd);
  }
}

describe.skipIf(!tools)(`executor on aarch64 (needs ${CC} and ${QEMU}: apt-get install gcc-aarch64-linux-gnu qemu-user-static)`, () => {
  const executor = join(dir, 'ocirun-executor-arm64');
  it('builds with the native flags and runs a program: ops, a tolerated errno, execve', () => {
    const cc = spawnSync(CC, [...EXECUTOR_FLAGS, '-o', executor, EXECUTOR_SOURCE], { encoding: 'utf8' });
    expect(cc.stderr).toBe('');
    expect(cc.status).toBe(0);
    const r = run(executor, program(false));
    expect(r.stdout.toString()).toBe('hello from aarch64\nafter\n');
    expect(r.status).toBe(0);
  });

  it('reports a failing op as {op index, errno} and exits 127', () => {
    const r = run(executor, program(true));
    const report = r.stdout.subarray('hello from aarch64\n'.length);
    expect(r.stdout.subarray(0, 19).toString()).toBe('hello from aarch64\n');
    expect([report.readUInt32LE(0), report.readInt32LE(4)]).toEqual([1, ERRNO.ENOENT]);
    expect(r.status).toBe(127);
  });

  it('copies a tree (tmpcopyup\'s op) with aarch64\'s open flags: files, modes, owners, symlinks, fifos', () => {
    const src = join(dir, 'src');
    const dst = join(dir, 'dst');
    mkdirSync(join(src, 'sub'), { recursive: true });
    mkdirSync(dst);
    writeFileSync(join(src, 'sub', 'f'), 'data');
    chmodSync(join(src, 'sub', 'f'), 0o4750);
    chownSync(join(src, 'sub'), 12, 34);
    symlinkSync('/etc/passwd', join(src, 'link'));
    spawnSync('mkfifo', [join(src, 'fifo')]);
    const b = new ProgramBuilder('arm64');
    const [from, to] = [b.register(), b.register()];
    // aarch64's O_DIRECTORY (the x86_64 value is O_DIRECT there); O_RDONLY | O_CLOEXEC.
    const dirFlags = 0o40000 | 0o2000000;
    b.syscall('openat', [AT.FDCWD, b.string(src), dirFlags, 0], 'open the source', { save: from });
    b.syscall('openat', [AT.FDCWD, b.string(dst), dirFlags, 0], 'open the destination', { save: to });
    b.copyTree(from, to, 'copy the tree');
    b.syscall('execve', [b.string('/bin/true'), b.pointerArray([b.string('true')]), b.pointerArray([])], 'exec /bin/true');
    const r = run(executor, b.encode(1).bytes);
    expect(r.stdout.length).toBe(0);
    expect(r.status).toBe(0);
    expect(readFileSync(join(dst, 'sub', 'f'), 'utf8')).toBe('data');
    expect(statSync(join(dst, 'sub', 'f')).mode & 0o7777).toBe(0o4750);
    expect([statSync(join(dst, 'sub')).uid, statSync(join(dst, 'sub')).gid]).toEqual([12, 34]);
    expect(readlinkSync(join(dst, 'link'))).toBe('/etc/passwd');
    expect(lstatSync(join(dst, 'fifo')).isFIFO()).toBe(true);
  });

  it('refuses a bad program fd', () => {
    expect(spawnSync(QEMU, [executor, '999']).status).toBe(126);
  });
});
