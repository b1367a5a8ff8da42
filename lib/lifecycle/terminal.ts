// The runtime's side of process.terminal (the container's side: lib/plan/terminal.ts). The
// executor sends the pty master over a unix socket: to the --console-socket the caller named
// (runc's protocol, for containerd's shim, conmon, recvtty), or to a socket pair whose other end
// the runtime reads the master from, to hand it to the library's user or to relay it (the CLI).
import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ReadStream } from 'node:tty';
import { connectUnix, getWinsize, recvFd, setWinsize, socketPair } from '../../bindings/libc.js';
import { OciError } from '../errors.js';

/** The master of a container's pty, held by this process. */
export class Terminal {
  private duplex?: ReadStream;
  private closed = false;

  constructor(readonly fd: number) {}

  /**
   * A duplex stream over the master (made on first use; it then owns the fd): read what the
   * container writes, write what it reads. It ends when every holder of the slave has closed it.
   */
  get stream(): ReadStream {
    if (!this.duplex) {
      // A pty master is a tty to libuv; net.Socket refuses that kind of fd, tty.ReadStream is a
      // net.Socket over libuv's tty handle, which also writes.
      // node:tty loads net: only when a stream is asked for (every CLI call loads this module).
      const { ReadStream } = createRequire(import.meta.url)('node:tty') as typeof import('node:tty');
      this.duplex = new ReadStream(this.fd);
      this.duplex.on('error', () => {});
    }
    return this.duplex;
  }

  /** Set the terminal's size (the container's foreground process gets SIGWINCH). */
  resize(cols: number, rows: number): void {
    if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols < 0 || rows < 0 || cols > 0xffff || rows > 0xffff) {
      throw new OciError('ERR_INVALID_ARGUMENT', `terminal resize: ${cols}x${rows} is not a size in character cells`);
    }
    setWinsize(this.fd, rows, cols);
  }

  size(): { cols: number; rows: number } {
    const { rows, cols } = getWinsize(this.fd);
    return { cols, rows };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.duplex) this.duplex.destroy();
    else closeSync(this.fd);
  }
}

/** Where the executor sends the master: `childFd` goes to it at ChildFds.console. */
export interface ConsoleLink {
  childFd: number;
  /** The master, once the executor has sent it (undefined when it went to a console socket). */
  receive(): Terminal | undefined;
  /** Closes the runtime's fds of the link (not a received Terminal). */
  close(): void;
}

/** Connect to `socketPath` (runc's --console-socket), or make a pair to receive the master here. */
export function openConsole(socketPath: string | undefined): ConsoleLink {
  if (socketPath !== undefined) {
    let fd: number;
    try {
      fd = connectUnix(socketPath);
    } catch (err) {
      throw new OciError('ERR_INVALID_ARGUMENT', `--console-socket: ${(err as Error).message}`, { cause: err });
    }
    return { childFd: fd, receive: () => undefined, close: () => closeQuietly(fd) };
  }
  const [ours, theirs] = socketPair();
  return {
    childFd: theirs,
    receive: () => new Terminal(recvFd(ours)),
    close: () => {
      closeQuietly(ours);
      closeQuietly(theirs);
    },
  };
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // closed already
  }
}

/** runc's rules for a console socket (its checkTerminal): one where there is a pty to send, and none missing. */
export function checkConsole(terminal: boolean | undefined, consoleSocket: string | undefined, detached: boolean): void {
  if (consoleSocket !== undefined && !terminal) {
    throw new OciError('ERR_INVALID_ARGUMENT', `--console-socket ${consoleSocket}: process.terminal is false, there is no pty to send (cannot use console socket if not allocating a tty)`);
  }
  if (terminal && detached && consoleSocket === undefined) {
    throw new OciError('ERR_INVALID_ARGUMENT', 'cannot allocate tty if ocirun will detach without setting console socket (process.terminal is true: give --console-socket)');
  }
}
