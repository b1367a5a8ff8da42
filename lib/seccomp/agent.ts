// SCMP_ACT_NOTIFY: the container process loaded a filter with a listener; the runtime takes a
// copy of the listener fd and sends it, with the container process state (config-linux.md "The
// Container Process State"), to the seccomp agent at listenerPath: one connection, one message,
// the fd in SCM_RIGHTS of its first sendmsg, then closed.
import { closeSync } from 'node:fs';
import { pidfdGetfd, pidfdOpen, sendWithFd } from '../../bindings/libc.js';
import { OciError } from '../errors.js';
import type { State } from '../spec/index.js';
import { SPEC_VERSION } from '../version.js';

export interface Listener {
  path: string;
  metadata?: string;
}

/**
 * Send listener fd `childFd` of process `pid` (our child: its pid cannot be recycled while we
 * have not reaped it) to the agent. Fails with an error naming listenerPath.
 */
export function sendListener(listener: Listener, pid: number, childFd: number, state: State): void {
  let pidfd = -1;
  let fd = -1;
  try {
    pidfd = pidfdOpen(pid);
    fd = pidfdGetfd(pidfd, childFd);
    const message = {
      ociVersion: SPEC_VERSION,
      fds: ['seccompFd'],
      pid,
      ...(listener.metadata !== undefined && { metadata: listener.metadata }),
      state,
    };
    sendWithFd(listener.path, Buffer.from(JSON.stringify(message)), fd);
  } catch (err) {
    throw new OciError('ERR_CONTAINER_INIT', `seccomp: cannot send the listener to the agent at linux.seccomp.listenerPath ${listener.path}: ${(err as Error).message}`);
  } finally {
    if (fd >= 0) closeSync(fd);
    if (pidfd >= 0) closeSync(pidfd);
  }
}
