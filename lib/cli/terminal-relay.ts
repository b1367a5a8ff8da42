// A foreground `run` or `exec -t` without --console-socket: ocirun relays between its own stdio
// and the container's pty, as runc does. The caller's terminal (when stdin is one) goes into raw
// mode, so keys reach the container's line discipline unchanged (Ctrl-C becomes the container's
// SIGINT), and is restored before ocirun ends; the pty follows its size (SIGWINCH).
import { writeSync } from 'node:fs';
import { isatty, ReadStream } from 'node:tty';
import { getWinsize, makeRaw, restoreTerminal } from '../../bindings/libc.js';
import type { Terminal } from '../lifecycle/terminal.js';

/** How long output may still come after the process exited (a child holding the pty open). */
const DRAIN_MS = 250;
/** The pty's end-of-file character (VEOF, Ctrl-D): what a closed input means to a terminal. */
const VEOF = '\x04';

export interface Relay {
  /**
   * Resolves after one turn of the event loop: libuv adds the pty's and the keyboard's fds to its
   * epoll fd only when the loop runs, and the CLI's blocking wait for the exit sleeps on that fd.
   */
  ready: Promise<void>;
  /** The caller's terminal changed size: give the pty the same. */
  resize(): void;
  /** After the process exited: the rest of its output, then the caller's terminal restored. */
  finish(): Promise<void>;
}

export function relayTerminal(t: Terminal): Relay {
  const master = t.stream;
  const keyboard = isatty(0) ? new ReadStream(0) : undefined;
  let ended = false;
  const done = new Promise<void>((resolve) => {
    master.on('data', (chunk: Buffer) => writeAll(1, chunk));
    // EIO (an error) or end once no process holds the slave: the output has all been read.
    master.on('end', resolve);
    master.on('error', () => resolve());
    master.on('close', () => resolve());
  }).then(() => {
    ended = true;
  });
  master.resume();
  const resize = () => {
    const size = windowSize();
    if (size) t.resize(size.cols, size.rows);
  };
  resize();
  const saved = keyboard ? makeRaw(0) : undefined;
  let restored = false;
  const restore = () => {
    if (saved && !restored) restoreTerminal(0, saved);
    restored = true;
  };
  // However ocirun ends (an error included; the CLI's exit emits 'exit' before _exit).
  process.once('exit', restore);
  if (keyboard) {
    keyboard.on('data', (chunk: Buffer) => master.write(chunk));
  } else {
    // stdin is a pipe or a file: copy it; its end becomes the pty's end of file, so a program
    // reading the terminal finishes.
    const stdin = process.stdin;
    stdin.on('data', (chunk) => master.write(chunk));
    stdin.on('end', () => master.write(VEOF));
    stdin.on('error', () => {});
  }
  let finished: Promise<void> | undefined;
  const finish = async () => {
    if (!ended) await Promise.race([done, new Promise((r) => setTimeout(r, DRAIN_MS))]);
    if (keyboard) {
      keyboard.destroy();
      restore();
    } else process.stdin.destroy();
    t.close();
  };
  const ready = new Promise<void>((resolve) => setImmediate(resolve));
  return { ready, resize, finish: () => (finished ??= finish()) };
}

/** The caller's terminal size (stdin's, else stdout's), if either is a terminal. */
function windowSize(): { cols: number; rows: number } | undefined {
  for (const fd of [0, 1]) {
    if (!isatty(fd)) continue;
    try {
      const size = getWinsize(fd);
      if (size.cols && size.rows) return size;
    } catch {
      // try the next
    }
  }
  return undefined;
}

function writeAll(fd: number, data: Buffer): void {
  let done = 0;
  while (done < data.length) {
    try {
      done += writeSync(fd, data, done);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
    }
  }
}
