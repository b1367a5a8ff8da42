// Signals: names and numbers as `kill` accepts them (KILL, SIGKILL, sigkill, 9; 0 asks only whether
// the process exists, as kill(2) and runc take it), and delivering one only to the process meant
// (kill, kill --all, delete --force).
import { closeSync, readdirSync, readlinkSync } from 'node:fs';
import { constants } from 'node:os';
import { pidfdOpen, pidfdSendSignal } from '../../bindings/libc.js';
import { OciError } from '../errors.js';
import type { ContainerRecord } from '../state/store.js';
import { isSameLiveProcess, readProcStat } from './process-info.js';

export function parseSignal(input: string | number): number {
  if (typeof input === 'number') return checkRange(input, String(input));
  const s = input.trim();
  if (/^\d+$/.test(s)) return checkRange(Number(s), s);
  const upper = s.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name);
  if (rt) return checkRange(name.startsWith('SIGRTMIN') ? 34 + Number(rt[1] ?? 0) : 64 - Number(rt[1] ?? 0), s);
  const n = (constants.signals as Record<string, number>)[name];
  if (n === undefined) throw new OciError('ERR_INVALID_ARGUMENT', `invalid signal "${input}"`);
  return n;
}

function checkRange(n: number, raw: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new OciError('ERR_INVALID_ARGUMENT', `invalid signal "${raw}"`);
  return n;
}

/**
 * Signal a process only if it is the one we mean: open a pidfd, then check the start time; the
 * pidfd pins that process, so a recycled pid can never receive the signal.
 */
export function signalProcess(pid: number, startTime: number | undefined, signal: number): boolean {
  let pidfd: number;
  try {
    pidfd = pidfdOpen(pid);
  } catch {
    return false;
  }
  try {
    if (startTime !== undefined) {
      const st = readProcStat(pid);
      if (!st || st.startTime !== startTime) return false;
    }
    pidfdSendSignal(pidfd, signal);
    return true;
  } catch (err) {
    if ((err as { errnoCode?: string }).errnoCode === 'ESRCH') return false;
    throw err;
  } finally {
    closeSync(pidfd);
  }
}

/** Every process in the container's pid namespace (the container's own processes). */
export function processesInContainer(record: ContainerRecord): number[] {
  if (!record.namespaces.includes('pid')) return isSameLiveProcess(record.pid, record.startTime) ? [record.pid] : [];
  let target: string;
  try {
    target = readlinkNs(record.pid);
  } catch {
    return [];
  }
  if (!isSameLiveProcess(record.pid, record.startTime)) return [];
  const pids: number[] = [];
  for (const entry of readdirProc()) {
    try {
      if (readlinkNs(entry) === target) pids.push(entry);
    } catch {
      // exited
    }
  }
  return pids;
}

function readlinkNs(pid: number): string {
  return readlinkSync(`/proc/${pid}/ns/pid`);
}
function readdirProc(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** After SIGKILL: until the process with this start time is gone (10 s at most). */
export async function waitUntilGone(pid: number, startTime: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (isSameLiveProcess(pid, startTime)) {
    if (Date.now() > deadline) throw new OciError('ERR_CONTAINER_RUNNING', `process ${pid} did not exit after SIGKILL`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
