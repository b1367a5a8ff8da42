// A container's stdio and extra files (runc's Process{Stdin, Stdout, Stderr, ExtraFiles}), as
// child_process.spawn takes them: per fd 'inherit' | 'pipe' | 'ignore' | an fd | a stream. They
// are only the fds the executor is spawned with (bindings/libc.ts spawnProgram), never part of
// the program: a cached plan serves every choice. Extra files land at fds 3, 4, ... of the
// container; only their count is planned.
import { closeSync, constants as fsc, fstatSync, openSync } from 'node:fs';
import type { Readable, Stream, Writable } from 'node:stream';
import { MAX_EXTRA_FDS, pipe } from '../../bindings/libc.js';
import { OciError } from '../errors.js';
import { netSocket } from '../protocol/init-channel.js';

/**
 * One fd of the container: this process's own (`'inherit'`), a new pipe whose other end is a
 * stream of the handle (`'pipe'`), /dev/null (`'ignore'`), an fd of this process, or a Node
 * stream (its fd when it has one; otherwise a pipe pumped to or from it).
 */
export type StdioOption = 'inherit' | 'pipe' | 'ignore' | number | Stream;
/** One option for fds 0-2, or one per fd. Default 'inherit' (as runc: the runtime's own stdio). */
export type StdioOptions = StdioOption | readonly [StdioOption?, StdioOption?, StdioOption?];
/** An extra file: an fd of this process or a stream that has one. */
export type ExtraFile = number | Stream;

export interface StdioStreams {
  /** The container's stdin when it is 'pipe', else null. */
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
}

export interface OpenedStdio {
  /** Our fds that become the container's 0, 1, 2. */
  readonly fds: [number, number, number];
  /** Our fds that become the container's 3, 4, ... */
  readonly extra: number[];
  /** After the spawn: the container's ends of pipes and /dev/null are closed in this process. */
  spawned(): void;
  /**
   * Our ends of the pipes as Node streams, made when the handle is: a stream reads from the
   * moment it exists, and one made earlier could end (a container that printed nothing and
   * exited) before its caller had a handle to listen on.
   */
  streams(): StdioStreams;
  /** On failure: everything opened is closed and the streams destroyed. */
  abandon(): void;
}

const NO_STREAMS: StdioStreams = { stdin: null, stdout: null, stderr: null };

const INHERIT: OpenedStdio = {
  fds: [0, 1, 2],
  extra: [],
  spawned() {},
  streams: () => NO_STREAMS,
  abandon() {},
};

/** The fd under a Node stream (fs streams, sockets, ttys, process.stdout), if it has one. */
function streamFd(s: Stream): number | undefined {
  const any = s as unknown as { fd?: unknown; _handle?: { fd?: unknown } };
  if (typeof any.fd === 'number' && any.fd >= 0) return any.fd;
  const fd = any._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

function isStream(v: unknown): v is Stream {
  return typeof v === 'object' && v !== null && typeof (v as Stream).pipe === 'function';
}

/** An fd of this process that is open (fstat does not fail with EBADF). */
export function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

/** `what` names the verb in errors. A plain 'inherit' with no extra files costs nothing. */
export function openStdio(stdio: StdioOptions | undefined, extraFiles: readonly ExtraFile[] | undefined, what: string): OpenedStdio {
  const per = typeof stdio === 'string' || typeof stdio === 'number' || isStream(stdio) || stdio === undefined ? [stdio, stdio, stdio] : stdio;
  if (!Array.isArray(per) || per.length > 3) {
    throw new OciError('ERR_INVALID_ARGUMENT', `${what}: stdio must be one option or an array of at most 3 (extra fds go in extraFiles)`);
  }
  if (extraFiles !== undefined && !Array.isArray(extraFiles)) throw new OciError('ERR_INVALID_ARGUMENT', `${what}: extraFiles must be an array`);
  if (extraFiles && extraFiles.length > MAX_EXTRA_FDS) {
    throw new OciError('ERR_INVALID_ARGUMENT', `${what}: extraFiles has ${extraFiles.length} fds: at most ${MAX_EXTRA_FDS} can be passed`);
  }
  if ((per as unknown[]).every((o) => o === undefined || o === 'inherit') && !extraFiles?.length) return INHERIT;

  const closeAfterSpawn: number[] = [];
  // Per fd 0-2: our end of its pipe, and the caller's stream it is pumped to or from (if any).
  const ours: (number | undefined)[] = [];
  const pumps: (Stream | undefined)[] = [];
  let made: { streams: StdioStreams; sockets: Stream[] } | undefined;
  const fds: number[] = [];
  const closeQuietly = (fd: number) => {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  };
  const abandon = () => {
    for (const socket of made?.sockets ?? []) (socket as unknown as { destroy(): void }).destroy();
    for (const fd of [...closeAfterSpawn.splice(0), ...(made ? [] : ours.splice(0))]) if (fd !== undefined) closeQuietly(fd);
  };
  // A pipe for fd `i`: the container gets one end, we keep the other.
  const pipeFor = (i: number): number => {
    const [r, w] = pipe();
    closeAfterSpawn.push(i === 0 ? r : w);
    ours[i] = i === 0 ? w : r;
    return i === 0 ? r : w;
  };
  const streams = (): StdioStreams => {
    if (made) return made.streams;
    made = { streams: { ...NO_STREAMS }, sockets: [] };
    const out = made.streams as { stdin: Writable | null; stdout: Readable | null; stderr: Readable | null };
    for (let i = 0; i < 3; i++) {
      const fd = ours[i];
      if (fd === undefined) continue;
      ours[i] = undefined;
      let socket;
      try {
        socket = netSocket({ fd, readable: i !== 0, writable: i === 0 });
      } catch (err) {
        closeQuietly(fd);
        throw err;
      }
      made.sockets.push(socket);
      const pump = pumps[i];
      if (pump) {
        if (i === 0) (pump as unknown as Readable).pipe(socket);
        else socket.pipe(pump as unknown as Writable);
      } else if (i === 0) out.stdin = socket;
      else if (i === 1) out.stdout = socket;
      else out.stderr = socket;
    }
    return made.streams;
  };
  try {
    for (let i = 0; i < 3; i++) {
      const o = (per as StdioOption[])[i] ?? 'inherit';
      const name = `stdio[${i}]`;
      if (o === 'inherit') fds.push(i);
      else if (o === 'ignore') {
        const fd = openSync('/dev/null', i === 0 ? fsc.O_RDONLY : fsc.O_WRONLY);
        closeAfterSpawn.push(fd);
        fds.push(fd);
      } else if (o === 'pipe') {
        fds.push(pipeFor(i));
      } else if (typeof o === 'number') {
        if (!Number.isInteger(o) || o < 0) throw new OciError('ERR_INVALID_ARGUMENT', `${what}: ${name}: ${o} is not an fd`);
        fds.push(o);
      } else if (isStream(o)) {
        const fd = streamFd(o);
        if (fd !== undefined) fds.push(fd);
        else {
          // A stream with no fd of its own (a PassThrough, say): pumped through a pipe.
          fds.push(pipeFor(i));
          pumps[i] = o;
        }
      } else {
        throw new OciError('ERR_INVALID_ARGUMENT', `${what}: ${name}: expected 'inherit', 'pipe', 'ignore', an fd or a stream, not ${JSON.stringify(o)}`);
      }
    }
    const extra = (extraFiles ?? []).map((f, i) => {
      const fd = typeof f === 'number' ? f : isStream(f) ? streamFd(f) : undefined;
      if (fd === undefined || !Number.isInteger(fd) || fd < 0) {
        throw new OciError('ERR_INVALID_ARGUMENT', `${what}: extraFiles[${i}]: expected an fd or a stream that has one`);
      }
      if (!isOpen(fd)) throw new OciError('ERR_INVALID_ARGUMENT', `${what}: extraFiles[${i}]: fd ${fd} is not open`);
      return fd;
    });
    return {
      fds: fds as [number, number, number],
      extra,
      spawned() {
        for (const fd of closeAfterSpawn.splice(0)) closeSync(fd);
      },
      streams,
      abandon,
    };
  } catch (err) {
    abandon();
    throw err;
  }
}
