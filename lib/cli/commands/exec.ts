// ocirun exec <id> <command...> | --process FILE: run a process in a running container.
// Exit code: the process's; 255 when exec itself fails (runc's convention).
import { buildExecProcess, readProcessFile } from '../../lifecycle/exec-process.js';
import { reportError } from '../report-error.js';
import type { CommandMain } from '../program.js';
import { holdSignals } from '../forward-signals.js';
import { runtimeFor } from '../runtime-for.js';

const main: CommandMain = async (ctx, [id, ...command], opts) => {
  const rt = runtimeFor(ctx);
  const signals = opts.detach ? undefined : holdSignals();
  let handle;
  try {
    const proc = opts.process
      ? readProcessFile(opts.process)
      : buildExecProcess(rt.configProcess(id), {
          args: command,
          env: opts.env,
          cwd: opts.cwd,
          user: opts.user,
          additionalGids: opts.additionalGids,
          caps: opts.cap,
          noNewPrivileges: opts.newPrivs === false ? true : undefined,
          tty: opts.tty || undefined,
          apparmorProfile: opts.apparmor,
          selinuxLabel: opts.processLabel,
        });
    ctx.logger.debug(`exec ${id}: ${JSON.stringify(proc.args)}`);
    handle = await rt.exec(id, proc, { detach: opts.detach, pidFile: opts.pidFile, preserveFds: opts.preserveFds, consoleSocket: opts.consoleSocket });
    ctx.logger.debug(`exec ${id}: process ${handle.pid} started`);
  } catch (err) {
    signals?.stop();
    reportError(err, ctx.logger, 'exec');
    return 255;
  }
  if (!signals) return 0;
  // Our own child until we reap it, so its pid cannot have been recycled.
  signals.deliverTo((sig) => process.kill(handle.pid, sig));
  try {
    const status = await handle.wait();
    ctx.logger.debug(`exec ${id}: process ${handle.pid} exited with status ${status.code}${status.signal !== undefined ? ` (signal ${status.signal})` : ''}`);
    return status.code;
  } finally {
    signals.stop();
  }
};

export default main;
