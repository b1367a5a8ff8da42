// bindings/libc.ts over the Node-API addon (build/ocirun.node): results come back as values,
// failures as SystemCallErrors that name the call, the errno and the path.
import { describe, expect, it } from 'vitest';
import { closeSync, existsSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { describeErrno, flock, kill, LOCK_EX, LOCK_UN, mkfifo, pidfdOpen, reapBlocking, socketPair, tryReap, waitExitOrEvents, waitReadable } from '../bindings/libc.js';
import { SystemCallError } from '../lib/errors.js';
import { useTempDirs } from './support/temp-dirs.js';

const tempDir = useTempDirs('ocirun-addon-');

function thrown(fn: () => unknown): SystemCallError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SystemCallError);
    return err as SystemCallError;
  }
  throw new Error('expected a SystemCallError');
}

describe('libc through the addon', () => {
  it('socketPair: two connected fds; waitReadable sees data and times out without', () => {
    const [a, b] = socketPair();
    try {
      expect(waitReadable(a, 0)).toBe(false);
      writeSync(b, 'x');
      expect(waitReadable(a, 1000)).toBe(true);
      const buf = Buffer.alloc(1);
      expect(readSync(a, buf, 0, 1, null)).toBe(1);
      expect(buf.toString()).toBe('x');
    } finally {
      closeSync(a);
      closeSync(b);
    }
  });

  it('mkfifo: a second one at the same path names the call, the path and EEXIST', () => {
    const path = join(tempDir(), 'fifo');
    mkfifo(path, 0o600);
    const err = thrown(() => mkfifo(path, 0o600));
    expect(err.syscall).toBe('mkfifo');
    expect(err.errnoCode).toBe('EEXIST');
    expect(err.message).toBe(`mkfifo ${path}: file exists`);
  });

  it('a path too long or holding a NUL is refused, never cut short', () => {
    const dir = tempDir();
    expect(() => mkfifo(join(dir, 'x'.repeat(4100)), 0o600)).toThrow(/path too long/);
    expect(() => mkfifo(`${join(dir, 'nul')}\0/etc`, 0o600)).toThrow(/NUL/);
    expect(existsSync(join(dir, 'nul'))).toBe(false);
  });

  it('waitid and waitpid on a process that is not our child: ECHILD, named', () => {
    expect(thrown(() => tryReap(1)).message).toBe('waitid 1: no child processes');
    expect(thrown(() => reapBlocking(1)).errnoCode).toBe('ECHILD');
  });

  it('kill and pidfd_open of a pid that cannot exist: ESRCH', () => {
    expect(thrown(() => kill(0x3fffffff, 0)).errnoCode).toBe('ESRCH');
    expect(thrown(() => pidfdOpen(0x3fffffff)).syscall).toBe('pidfd_open');
    kill(process.pid, 0);
  });

  it('flock: an exclusive lock and its release; a bad fd is EBADF', () => {
    const fd = openSync(tempDir(), 'r');
    try {
      flock(fd, LOCK_EX);
      flock(fd, LOCK_UN);
    } finally {
      closeSync(fd);
    }
    expect(thrown(() => flock(fd, LOCK_EX)).errnoCode).toBe('EBADF');
  });

  it('waitExitOrEvents: true once the process exits; false at once when the event loop has a signal to handle', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pidfd = pidfdOpen(child.pid!);
    const seen: string[] = [];
    const listener = () => seen.push('SIGUSR2');
    process.on('SIGUSR2', listener);
    try {
      process.kill(process.pid, 'SIGUSR2');
      // The signal is pending in libuv: the wait returns without the child having exited.
      expect(waitExitOrEvents(pidfd)).toBe(false);
      // A turn or two of the loop (the first check phase can come before its next poll) runs the listener.
      for (let turns = 0; turns < 5 && !seen.length; turns++) await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toEqual(['SIGUSR2']);
      child.kill('SIGKILL');
      // Other events of this process's loop may wake it first; the exit wakes it for good.
      let exited = false;
      for (let wakes = 0; wakes < 100 && !exited; wakes++) {
        exited = waitExitOrEvents(pidfd);
        if (!exited) await new Promise((resolve) => setImmediate(resolve));
      }
      expect(exited).toBe(true);
    } finally {
      process.off('SIGUSR2', listener);
      child.kill('SIGKILL');
      closeSync(pidfd);
    }
    // A number no fd of this process has: poll reports it as invalid.
    expect(thrown(() => waitExitOrEvents(1_000_000)).errnoCode).toBe('EBADF');
  });

  it('describeErrno: the name and the lower-cased C library text', () => {
    expect(describeErrno(2)).toEqual({ code: 'ENOENT', message: 'no such file or directory' });
  });
});
