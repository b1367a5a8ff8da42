// ocirun exec <id> <command...> | --process FILE: run a process in a running container, relaying
// its pty in the foreground with --tty. Exit code: the process's; 255 when exec itself fails
// (runc's convention).
import { buildExecProcess, readProcessFile } from '../../lifecycle/exec-process.js';
import { reportError } from '../report-error.js';
import type { CommandMain } from '../program.js';
import { shellCode } from '../../lifecycle/exit.js';
import { holdSignals } from '../forward-signals.js';
import { consoleSocketOutsideDetach, containerFor, passedFds } from '../runtime-for.js';
import { relayTerminal } from '../terminal-relay.js';
import { parseSubCgroupArgs } from '../../cgroups/sub-cgroup.js';

const main: CommandMain = async (ctx, [id, ...command], opts) => {
  const signals = opts.detach ? undefined : holdSignals();
  let handle;
  try {
    consoleSocketOutsideDetach(opts);
    const subCgroups = parseSubCgroupArgs(opts.cgroup);
    const container = await containerFor(ctx, id);
    const proc = opts.process
      ? readProcessFile(opts.process)
      : buildExecProcess(await container.configProcess(), {
          args: command,
          env: opts.env,
          cwd: opts.cwd,
          user: opts.user,
          additionalGids: opts.additionalGids,
          caps: opts.cap,
          noNewPrivileges: opts.newPrivs === false ? true : undefined,
          tty: opts.tty,
          apparmorProfile: opts.apparmor,
          selinuxLabel: opts.processLabel,
        });
    ctx.logger.debug(`exec ${id}: ${JSON.stringify(proc.args)}`);
    handle = await container.exec(proc, { pidFile: opts.pidFile, extraFiles: passedFds(opts.preserveFds ?? 0), consoleSocket: opts.consoleSocket, detached: opts.detach, subCgroups, ignorePaused: opts.ignorePaused });
    ctx.logger.debug(`exec ${id}: process ${handle.pid} started`);
  } catch (err) {
    signals?.stop();
    reportError(err, ctx.logger, 'exec');
    return 255;
  }
  if (!signals) return 0;
  const p = handle;
  const relay = p.terminal ? relayTerminal(p.terminal) : undefined;
  signals.deliverTo((sig) => (relay && sig === 'SIGWINCH' ? relay.resize() : void p.kill(sig).catch(() => {})));
  try {
    await relay?.ready;
    const status = await p.wait();
    await relay?.finish();
    ctx.logger.debug(`exec ${id}: process ${p.pid} exited with ${status.signal ?? `status ${status.code}`}`);
    return shellCode(status);
  } finally {
    signals.stop();
    await relay?.finish();
  }
};

export default main;
