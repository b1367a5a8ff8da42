// The runtime's end of the sync socket (protocol in lib/protocol/messages.ts), two ways:
// - events: a net.Socket, so fifty containers starting at once in one process cost no threads;
// - blocking: poll(2) and read(2), for a process with nothing else to do meanwhile (the CLI):
//   loading Node's net machinery and making the socket cost ~10 ms of a CLI call.
import { closeSync, readSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { describeErrno, waitReadable } from '../../bindings/libc.js';
import { EAGAIN_RETRIES, ERR_RETRIES_EXHAUSTED } from '../../bindings/program-format.js';
import { MSG_PID, MSG_SYNC_BASE } from './messages.js';
import { OciError } from '../errors.js';

export type InitMessage =
  | { kind: 'sync'; tag: number; value: number }
  | { kind: 'pid'; pid: number }
  | { kind: 'error'; op: number; errno: number }
  | { kind: 'eof' };

export interface InitChannel {
  next(): Promise<InitMessage>;
  /** Answer the child (one byte). */
  send(byte: string): void;
  close(): void;
}

/** Takes ownership of `fd`. */
export function openInitChannel(fd: number, blocking: boolean): InitChannel {
  return blocking ? new BlockingChannel(fd) : new EventChannel(fd);
}

/** Splits the byte stream into 8-byte messages. */
class Decoder {
  private buffered: Buffer = Buffer.alloc(0);
  constructor(private readonly emit: (m: InitMessage) => void) {}

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    while (this.buffered.length >= 8) {
      const tag = this.buffered.readUInt32LE(0);
      const value = this.buffered.readInt32LE(4);
      this.buffered = this.buffered.subarray(8);
      if (tag === MSG_PID) this.emit({ kind: 'pid', pid: value });
      else if (tag >= MSG_SYNC_BASE) this.emit({ kind: 'sync', tag, value });
      else this.emit({ kind: 'error', op: tag, errno: value });
    }
  }
}

let SocketClass: typeof Socket | undefined;
/** net's Socket, loaded only by a runtime that uses it (once: createRequire costs ~0.07 ms a call). */
export function netSocket(options: ConstructorParameters<typeof Socket>[0]): Socket {
  SocketClass ??= (createRequire(import.meta.url)('node:net') as typeof import('node:net')).Socket;
  return new SocketClass(options);
}

class EventChannel implements InitChannel {
  private readonly socket: Socket;
  private readonly queue: InitMessage[] = [];
  private readonly decoder = new Decoder((m) => this.push(m));
  private waiter?: (m: InitMessage) => void;
  private ended = false;

  constructor(fd: number) {
    this.socket = netSocket({ fd, readable: true, writable: true });
    this.socket.on('data', (chunk: Buffer) => this.decoder.push(chunk));
    const end = () => {
      if (this.ended) return;
      this.ended = true;
      this.push({ kind: 'eof' });
    };
    this.socket.on('end', end);
    this.socket.on('close', end);
    // ECONNRESET when the child dies mid-write: the same as end of file for us.
    this.socket.on('error', end);
  }

  private push(m: InitMessage): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w(m);
    } else this.queue.push(m);
  }

  next(): Promise<InitMessage> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    if (this.ended) return Promise.resolve({ kind: 'eof' });
    return new Promise((resolve) => (this.waiter = resolve));
  }

  send(byte: string): void {
    this.socket.write(byte);
  }

  close(): void {
    this.socket.destroy();
  }
}

class BlockingChannel implements InitChannel {
  private readonly queue: InitMessage[] = [];
  private readonly decoder = new Decoder((m) => this.queue.push(m));
  private readonly chunk = Buffer.alloc(256);
  private ended = false;
  private closed = false;

  constructor(private readonly fd: number) {}

  async next(): Promise<InitMessage> {
    while (!this.queue.length && !this.ended) {
      waitReadable(this.fd, -1);
      let n = 0;
      try {
        n = readSync(this.fd, this.chunk, 0, this.chunk.length, null);
      } catch (err) {
        // ECONNRESET when the child dies mid-write: the same as end of file for us.
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      }
      if (n === 0) this.ended = true;
      else this.decoder.push(Buffer.from(this.chunk.subarray(0, n)));
    }
    return this.queue.shift() ?? { kind: 'eof' };
  }

  send(byte: string): void {
    writeSync(this.fd, byte);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** Turn a child's {op, errno} report into an error naming the step and the errno. */
export function initError(descriptions: readonly string[], op: number, errno: number, prefix = ''): OciError {
  const what = descriptions[op] ?? `op ${op}`;
  if (errno === 0) return new OciError('ERR_CONTAINER_INIT', `${prefix}${what}: the runtime went away`);
  const retried = (errno & ERR_RETRIES_EXHAUSTED) !== 0;
  errno &= ~ERR_RETRIES_EXHAUSTED;
  const { code, message } = describeErrno(errno);
  const why = retried ? ` (tried ${EAGAIN_RETRIES + 1} times: paths it walks kept being renamed meanwhile)` : '';
  const err = new OciError('ERR_CONTAINER_INIT', `${prefix}${what}: ${message}${why}`);
  Object.assign(err, { errno, errnoCode: code, op });
  return err;
}
