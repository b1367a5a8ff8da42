// Where the CLI's messages go: stderr for people, and the --log file (text or JSON lines
// {level,msg,time}) for orchestrators such as containerd's shim, which read the last error from it.
// --debug adds debug lines (to the log file, or to stderr without one), as runc does.
import { appendFileSync } from 'node:fs';
import { writeErr } from './output.js';
import { utcTimestamp } from '../support/timestamp.js';

export type LogFormat = 'text' | 'json';
export type Level = 'debug' | 'info' | 'warning' | 'error';

export class Logger {
  constructor(
    private readonly file: string | undefined,
    private readonly format: LogFormat,
    private readonly debugEnabled: boolean,
  ) {}

  log(level: Level, msg: string): void {
    if (level === 'debug' && !this.debugEnabled) return;
    // A client may read the whole log file as one JSON object (podman) or take its last line as
    // the error (containerd's shim): without --debug the file holds only errors, and a warning
    // goes to stderr.
    if (!this.file || (level === 'warning' && !this.debugEnabled)) {
      // Debug lines keep the log format on stderr too (runc's `level=debug` lines); errors and
      // warnings are for people there.
      if (level === 'debug') writeErr(this.line(level, msg));
      else if (level !== 'info') writeErr(`ocirun: ${level === 'error' ? '' : level + ': '}${msg}\n`);
      return;
    }
    const line = this.line(level, msg);
    try {
      appendFileSync(this.file, line);
    } catch (err) {
      writeErr(`ocirun: cannot write log file ${this.file}: ${(err as Error).message}\n`);
    }
  }

  private line(level: Level, msg: string): string {
    const time = utcTimestamp();
    return this.format === 'json' ? JSON.stringify({ level, msg, time }) + '\n' : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
  }

  get debugging(): boolean {
    return this.debugEnabled;
  }

  debug(msg: string): void {
    this.log('debug', msg);
  }
  warn(msg: string): void {
    this.log('warning', msg);
  }
  /** Errors always reach stderr too, even when a log file is given. */
  error(msg: string): void {
    if (this.file) writeErr(`ocirun: ${msg}\n`);
    this.log('error', msg);
  }
}
