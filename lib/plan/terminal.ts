// process.terminal: a pty from the container's own devpts instance, made the process's
// controlling terminal and stdio, its master sent out over the console socket (runc's protocol:
// one message, payload "/dev/ptmx", the fd in an SCM_RIGHTS control message). The runtime either
// passes a --console-socket it connected to, or the other end of a socket pair it reads the master
// from itself (foreground run and exec, the library).
//
// Why this way: the pty is opened inside the container (after pivot_root, or after joining its
// mount namespace and root for exec), so it can only come from a devpts mounted in the container:
// opening a ptmx looks for the devpts instance beside it, never the host's. The path is resolved
// without magic links (a /dev/ptmx or /dev/pts planted as /proc/self/fd/N cannot hand over one of
// the executor's fds), the slave is opened from the master itself (TIOCGPTPEER: no /dev/pts/N
// path to race or redirect), and unlocking fails on anything that is not a pty master. The master
// never survives into the container: it is closed right after it is sent.
import { AT, MOVE_MOUNT, O, OPEN_TREE, RESOLVE, TIOC } from '../../bindings/constants.js';
import { FD_MESSAGE, fdMessageParts, winsize } from '../../bindings/structs.js';
import type { Process } from '../spec/index.js';
import type { PlanContext } from './context.js';

/** What containerd/console calls the master (runc sends it as the message payload). */
const MASTER_NAME = '/dev/ptmx';

export interface TerminalPlan {
  /** The fd of the unix socket the master goes to. */
  consoleFd: number;
  consoleSize?: Process['consoleSize'];
  /** The process's uid in the container: it owns the slave (runc chowns stdio to it). */
  uid: number;
  /** Bind the slave onto /dev/console (create; not exec). */
  mountConsole: boolean;
}

export function planTerminal(ctx: PlanContext, t: TerminalPlan): void {
  const b = ctx.b;
  const master = ctx.regs.tmp;
  const slave = ctx.regs.terminal;
  b.syscall('openat2', [AT.FDCWD, ctx.str(MASTER_NAME), ctx.how(O.RDWR | O.NOCTTY | O.CLOEXEC, RESOLVE.NO_MAGICLINKS), 24], `terminal: open ${MASTER_NAME} in the container`, { save: master });
  b.syscall('ioctl', [master, TIOC.SPTLCK, b.bytes(Buffer.alloc(4))], `terminal: unlock the pty (${MASTER_NAME} must be a pty master)`);
  b.syscall('ioctl', [master, TIOC.GPTPEER, O.RDWR | O.NOCTTY | O.CLOEXEC], "terminal: open the pty's slave (TIOCGPTPEER)", { save: slave });
  const size = t.consoleSize;
  // runc applies a size only when both are given; a zero would make a 0x0 terminal.
  if (size && size.height && size.width) {
    b.syscall('ioctl', [slave, TIOC.SWINSZ, b.bytes(winsize(size.height, size.width))], `terminal: set its size to ${size.width}x${size.height} (consoleSize)`);
  }
  if (t.mountConsole) {
    const { tree, target } = ctx.regs;
    ctx.resolveInRoot(ctx.regs.root, '/dev/console', target, 'file', 'terminal: /dev/console');
    b.syscall('open_tree', [slave, ctx.str(''), OPEN_TREE.CLONE | OPEN_TREE.CLOEXEC | AT.EMPTY_PATH], 'terminal: bind the pty onto /dev/console: open_tree', { save: tree });
    b.syscall('move_mount', [tree, ctx.str(''), target, ctx.str(''), MOVE_MOUNT.F_EMPTY_PATH | MOVE_MOUNT.T_EMPTY_PATH], 'terminal: bind the pty onto /dev/console: move_mount');
  }
  planSendFd(ctx, t.consoleFd, master, 'terminal: send the pty master to the console socket');
  b.syscall('close', [t.consoleFd], 'terminal: close the console socket');
  b.syscall('close', [master], 'terminal: close the pty master');
  b.syscall('fchownat', [slave, ctx.str(''), t.uid, -1, AT.EMPTY_PATH], `terminal: chown the pty to uid ${t.uid}`);
  b.syscall('setsid', [], 'terminal: start a new session');
  b.syscall('ioctl', [slave, TIOC.SCTTY, 0], 'terminal: make the pty the controlling terminal');
  for (const fd of [0, 1, 2]) b.syscall('dup3', [slave, fd, 0], `terminal: the pty becomes fd ${fd}`);
  b.syscall('close', [slave], 'terminal: close the spare pty fd');
}

/** sendmsg(socket, payload MASTER_NAME, SCM_RIGHTS [fd of register `fd`]). */
function planSendFd(ctx: PlanContext, socket: number, fd: PlanContext['regs']['tmp'], description: string): void {
  const b = ctx.b;
  const payload = b.string(MASTER_NAME);
  const parts = fdMessageParts(Buffer.byteLength(MASTER_NAME));
  const iovec = b.struct(parts.iovec, [{ at: 0, to: payload }]);
  const control = b.bytes(parts.control);
  const msghdr = b.struct(parts.msghdr, [
    { at: FD_MESSAGE.IOV_AT, to: iovec },
    { at: FD_MESSAGE.CONTROL_AT, to: control },
  ]);
  b.syscall('sendmsg', [socket, msghdr, 0], description, { patches: [{ at: control.at(FD_MESSAGE.FD_OFFSET), reg: fd, width: 4 }] });
}
