// Every lifecycle command builds its Runtime the same way from the global flags.
import { OciError } from '../errors.js';
import { Runtime } from '../runtime.js';
import type { CommandContext } from './program.js';

export function runtimeFor(ctx: CommandContext): Runtime {
  if (ctx.globals.systemdCgroup) {
    throw new OciError('ERR_NOT_SUPPORTED', '--systemd-cgroup: ocirun does not manage cgroups through systemd');
  }
  return new Runtime({ root: ctx.globals.root, warn: (m) => ctx.logger.warn(m) });
}

/** Positional argument or a clear usage error. */
export function required(args: string[], index: number, what: string, verb: string): string {
  const v = args[index];
  if (!v) throw new OciError('ERR_INVALID_ARGUMENT', `${verb}: missing ${what}`);
  return v;
}
