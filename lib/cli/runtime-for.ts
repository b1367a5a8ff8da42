// Every lifecycle command builds its Runtime the same way from the global flags.
import { OciError } from '../errors.js';
import { Runtime, type CreateOptions } from '../lifecycle/runtime.js';
import type { CommandContext } from './program.js';

export function runtimeFor(ctx: CommandContext): Runtime {
  if (ctx.globals.systemdCgroup) {
    throw new OciError('ERR_NOT_SUPPORTED', '--systemd-cgroup: ocirun does not manage cgroups through systemd');
  }
  // One container per call and nothing else to do meanwhile: wait in blocking system calls.
  return new Runtime({ root: ctx.globals.root, warn: (m) => ctx.logger.warn(m), blocking: true });
}

/** systemd socket activation: LISTEN_FDS counts for us only when LISTEN_PID names this process. */
export function listenFds(): number {
  const n = Number(process.env.LISTEN_FDS);
  if (!Number.isInteger(n) || n <= 0) return 0;
  if (process.env.LISTEN_PID && Number(process.env.LISTEN_PID) !== process.pid) return 0;
  return n;
}

/** The create options `create` and `run` share, from their flags. */
export function createOptions(opts: Record<string, any>): CreateOptions {
  return {
    pidFile: opts.pidFile,
    noPivot: opts.pivot === false,
    noNewKeyring: opts.newKeyring === false,
    preserveFds: opts.preserveFds,
    listenFds: listenFds(),
    consoleSocket: opts.consoleSocket,
  };
}
