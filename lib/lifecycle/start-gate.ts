// The start gate of create/start (runtime.md "start"): the container process, set up, blocks
// opening the exec fifo for writing; `start` opens it for reading, which releases it, and the byte
// it writes says it goes on to exec. The fifo's existence is also what tells `created` from
// `running` (status.ts).
import { chmodSync, closeSync, constants as fsc, openSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { mkfifo, waitReadable } from '../../bindings/libc.js';
import { OciError } from '../errors.js';
import { netSocket } from '../protocol/init-channel.js';
import type { ContainerRecord } from '../state/store.js';
import { isSameLiveProcess } from './process-info.js';

/** The fifo's name in the container's state directory. */
export const FIFO = 'exec.fifo';

/** Makes the exec fifo in the state directory `dir` (create, before the spawn). */
export function makeFifo(dir: string): void {
  mkfifo(join(dir, FIFO), 0o622);
  // mkfifo applies the umask; the container process may be a mapped root (user namespace)
  // that can only open the fifo through its "others" write bit.
  chmodSync(join(dir, FIFO), 0o622);
}

/** Open the exec fifo for reading; the blocked container process then writes one byte and execs. */
export async function releaseFifo(path: string, record: ContainerRecord, blocking: boolean, signal?: AbortSignal): Promise<void> {
  // Opening the fifo releases the process blocked opening it for writing; its byte says it
  // goes on to exec. The wait never spins: on a small machine a spinning runtime kept that
  // process off its CPU for a whole tick. A fifo nobody has opened for writing yet reports
  // nothing to poll or epoll, not end of file.
  const fd = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
  const alive = () => isSameLiveProcess(record.pid, record.startTime);
  const started = blocking ? waitForByte(fd, alive) : (byteAtOnce(fd) ?? (await waitForByteEvents(fd, alive, signal)));
  if (!started) throw new OciError('ERR_CONTAINER_NOT_RUNNING', `cannot start container ${record.id}: its process exited`);
  unlinkSync(path);
}

/** Blocking: poll the fifo, checking every 20 ms that the process still lives. Closes `fd`. */
function waitForByte(fd: number, alive: () => boolean): boolean {
  const buf = Buffer.alloc(1);
  try {
    for (;;) {
      const ready = waitReadable(fd, 20);
      if (ready) {
        try {
          // One byte: started. End of file: it opened the fifo and died before writing.
          return readSync(fd, buf, 0, 1, null) === 1;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        }
      } else if (!alive()) return readByteNow(fd);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The event-driven wait's first step: the released process, woken, usually writes within tens of
 * microseconds, sooner than a net.Socket is made for the fifo (~0.1 ms of the loop's own time), and
 * this process sleeping in poll(2) meanwhile hands it the CPU at once (it is often woken on ours).
 * The loop is held for 1 ms at most; then the wait goes on through the event loop. Closes `fd`
 * unless it returns undefined.
 */
function byteAtOnce(fd: number): boolean | undefined {
  if (!waitReadable(fd, 1)) return undefined;
  let n: number;
  try {
    n = readSync(fd, Buffer.alloc(1), 0, 1, null);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return undefined;
    closeSync(fd);
    throw err;
  }
  closeSync(fd);
  // One byte: started. End of file: it opened the fifo and died before writing.
  return n === 1;
}

/**
 * After the process was found dead: a quick one opens the fifo, writes its byte, execs and exits
 * between two looks, and the byte says it was started.
 */
function readByteNow(fd: number): boolean {
  try {
    return readSync(fd, Buffer.alloc(1), 0, 1, null) === 1;
  } catch {
    return false; // EAGAIN: nothing was written
  }
}

/**
 * Through the event loop; a process that dies before it opens the fifo makes no event at all.
 * An abort ends the wait (not started). Closes `fd`.
 */
function waitForByteEvents(fd: number, alive: () => boolean, signal?: AbortSignal): Promise<boolean> {
  return new Promise<boolean>((settle) => {
    const fifo = netSocket({ fd, readable: true, writable: false });
    let got = false;
    let settled = false;
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      signal?.removeEventListener('abort', onAbort);
      fifo.destroy();
      settle(ok);
    };
    const onAbort = () => finish(got);
    signal?.addEventListener('abort', onAbort, { once: true });
    fifo.once('data', () => {
      got = true;
      finish(true);
    });
    // The writer closed (it died after opening) or the read failed: started only if it wrote.
    fifo.once('end', () => finish(got));
    fifo.once('error', () => finish(got));
    // Timers run before the event loop reads: the byte may be waiting in the fifo.
    const watch = setInterval(() => {
      if (!alive()) finish(got || readByteNow(fd));
    }, 20);
  });
}
