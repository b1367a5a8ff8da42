// The runtime's end of the sync socket (protocol in lib/plan/sync.ts). Event-driven through a
// net.Socket, so fifty containers starting at once cost no thread-pool threads.
import { Socket } from 'node:net';
import { describeErrno } from '../bindings/libc.js';
import { MSG_PID, MSG_SYNC_BASE } from '../bindings/program.js';
import { OciError } from './errors.js';

export type InitMessage =
  | { kind: 'sync'; tag: number }
  | { kind: 'pid'; pid: number }
  | { kind: 'error'; op: number; errno: number }
  | { kind: 'eof' };

export class InitChannel {
  private readonly socket: Socket;
  private buffered = Buffer.alloc(0);
  private readonly queue: InitMessage[] = [];
  private waiter?: (m: InitMessage) => void;
  private ended = false;

  constructor(fd: number) {
    this.socket = new Socket({ fd, readable: true, writable: true });
    this.socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 8) {
        const tag = this.buffered.readUInt32LE(0);
        const value = this.buffered.readInt32LE(4);
        this.buffered = this.buffered.subarray(8);
        if (tag === MSG_PID) this.push({ kind: 'pid', pid: value });
        else if (tag >= MSG_SYNC_BASE) this.push({ kind: 'sync', tag });
        else this.push({ kind: 'error', op: tag, errno: value });
      }
    });
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

/** Turn a child's {op, errno} report into an error naming the step and the errno. */
export function initError(descriptions: readonly string[], op: number, errno: number, prefix = ''): OciError {
  const what = descriptions[op] ?? `op ${op}`;
  if (errno === 0) return new OciError('ERR_CONTAINER_INIT', `${prefix}${what}: the runtime went away`);
  const { code, message } = describeErrno(errno);
  const err = new OciError('ERR_CONTAINER_INIT', `${prefix}${what}: ${message}`);
  Object.assign(err, { errno, errnoCode: code, op });
  return err;
}
