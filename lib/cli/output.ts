// What the CLI prints goes straight to fds 1 and 2. process.stdout and process.stderr are built on
// first use: Node then loads and compiles its stream modules (and net for a pipe), ~4 ms for a
// file and ~6.5 ms for a pipe on the reference machine, against ~0.25 ms for a write(2).
import { writeSync } from 'node:fs';

/** Command output; a failed write (EPIPE, say) throws and becomes the command's error. */
export function writeOut(text: string): void {
  write(1, text);
}

/** Messages and errors: a failed write is ignored, as there is nowhere left to report it. */
export function writeErr(text: string): void {
  try {
    write(2, text);
  } catch {
    // stderr is gone
  }
}

let streams = false;
// Node prints its warnings through process.stderr, which makes the stream.
process.on('warning', () => {
  streams = true;
});

/** Whether output went through process.stdout or process.stderr, which Node flushes at exit. */
export function usedStreams(): boolean {
  return streams;
}

function write(fd: 1 | 2, text: string): void {
  const data = Buffer.from(text);
  let done = 0;
  while (done < data.length) {
    try {
      done += writeSync(fd, data, done);
    } catch (err) {
      // A non-blocking pipe that is full: Node's stream waits for it.
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      streams = true;
      (fd === 1 ? process.stdout : process.stderr).write(data.subarray(done));
      return;
    }
  }
}
