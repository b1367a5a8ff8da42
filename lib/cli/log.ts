// Where the CLI's messages go: stderr for people, and the --log file (text or JSON lines
// {level,msg,time}) for orchestrators such as containerd's shim, which read the last error from it.
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
    if (!this.file) {
      if (level !== 'info') writeErr(`ocirun: ${level === 'error' ? '' : level + ': '}${msg}\n`);
      return;
    }
    const time = utcTimestamp();
    const line =
      this.format === 'json'
        ? JSON.stringify({ level, msg, time }) + '\n'
        : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
    try {
      appendFileSync(this.file, line);
    } catch (err) {
      writeErr(`ocirun: cannot write log file ${this.file}: ${(err as Error).message}\n`);
    }
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
