// Every lifecycle command builds its Runtime the same way from the global flags. The CLI uses the
// public API (Runtime, Container), imported from its modules rather than lib/index.ts: the
// bundle then evaluates validation and planning only when a verb needs them.
import { fstatSync } from 'node:fs';
import { isRootless } from '../host/rootless.js';
import { OciError } from '../errors.js';
import type { Container } from '../lifecycle/container.js';
import { Runtime, type CreateOptions } from '../lifecycle/runtime.js';
import type { CommandContext } from './program.js';

export function runtimeFor(ctx: CommandContext): Runtime {
  if (ctx.globals.systemdCgroup) {
    throw new OciError('ERR_NOT_SUPPORTED', '--systemd-cgroup: ocirun does not manage cgroups through systemd');
  }
  // One container per call and nothing else to do meanwhile: wait in blocking system calls.
  return new Runtime({ root: ctx.globals.root, rootless: isRootless(ctx.globals.rootless), warn: (m) => ctx.logger.warn(m), blocking: true });
}

/** systemd socket activation: LISTEN_FDS counts for us only when LISTEN_PID names this process. */
export function listenFds(): number {
  const n = Number(process.env.LISTEN_FDS);
  if (!Number.isInteger(n) || n <= 0) return 0;
  if (process.env.LISTEN_PID && Number(process.env.LISTEN_PID) !== process.pid) return 0;
  return n;
}

/** The container of `id`, for the verbs on one container. */
export async function containerFor(ctx: CommandContext, id: string): Promise<Container> {
  return runtimeFor(ctx).load(id);
}

/** Fds 3 .. 3+n-1 of this process, passed on at the same numbers (--preserve-fds, LISTEN_FDS). */
export function passedFds(n: number, flag = '--preserve-fds'): number[] {
  const fds = Array.from({ length: n }, (_, i) => 3 + i);
  const closed = fds.find((fd) => !isOpen(fd));
  if (closed !== undefined) throw new OciError('ERR_INVALID_ARGUMENT', `${flag} ${n}: fd ${closed} is not open (the fds passed are 3 to ${2 + n})`);
  return fds;
}

/** The create options `create` and `run` share, from their flags. */
export function createOptions(opts: Record<string, any>): CreateOptions {
  const listen = listenFds();
  return {
    pidFile: opts.pidFile,
    noPivot: opts.pivot === false,
    noNewKeyring: opts.newKeyring === false,
    // systemd's sockets first, then the preserved fds (as runc does).
    extraFiles: passedFds(listen + (opts.preserveFds ?? 0)),
    listenFds: listen,
    consoleSocket: opts.consoleSocket,
  };
}

/** runc's rule: a console socket is for a detached container or process (a foreground one relays). */
export function consoleSocketOutsideDetach(opts: Record<string, any>): void {
  if (!opts.detach && opts.consoleSocket !== undefined) {
    throw new OciError('ERR_INVALID_ARGUMENT', `--console-socket ${opts.consoleSocket}: cannot use console socket if ocirun will not detach (add --detach)`);
  }
}

function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}
