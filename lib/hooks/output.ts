// A hook's stdout and stderr: a pipe the runtime drains while the hook runs, keeping only the end
// of what it wrote, for the error. A memory file kept everything: a hook that writes without end
// (a startContainer hook runs the image's binary) grew the host's memory until its timeout.
import { closeSync, readSync } from 'node:fs';
import { pipe, waitReadable } from '../../bindings/libc.js';

/** How much of a hook's output an error shows. */
export const OUTPUT_KEPT = 4096;
/** How much one drain reads at most. */
const DRAIN_LIMIT = 1 << 20;

export class HookOutput {
  readonly reader: number;
  /** The hook's end (its fds 1 and 2); closed once the hook has it. */
  writer: number;
  private kept = Buffer.alloc(0);
  private total = 0;
  private readonly chunk = Buffer.alloc(65536);

  constructor() {
    [this.reader, this.writer] = pipe();
  }

  /** Closes our copy of the hook's end: end of file once the hook and its children have exited. */
  handedOver(): void {
    if (this.writer >= 0) closeSync(this.writer);
    this.writer = -1;
  }

  /**
   * Reads what is there without blocking, keeping the last OUTPUT_KEPT bytes; returns how much it
   * read. At most DRAIN_LIMIT a call: a writer that never stops (a child the hook left behind, out
   * of its reach once killed) must not hold the caller here.
   */
  drain(): number {
    let read = 0;
    while (read < DRAIN_LIMIT && waitReadable(this.reader, 0)) {
      const n = readSync(this.reader, this.chunk, 0, this.chunk.length, null);
      if (n <= 0) break;
      read += n;
      this.total += n;
      const joined = Buffer.concat([this.kept, this.chunk.subarray(0, n)]);
      this.kept = joined.subarray(Math.max(0, joined.length - OUTPUT_KEPT));
    }
    return read;
  }

  /** ": <the end of the output>" for an error, or nothing. */
  tail(): string {
    this.drain();
    const text = this.kept.toString('utf8').trim();
    return text ? `: ${this.total > OUTPUT_KEPT ? '…' : ''}${text}` : '';
  }

  close(): void {
    this.handedOver();
    closeSync(this.reader);
  }
}
