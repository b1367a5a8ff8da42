// The bench's side of bench/lib/library-host.mjs: start the host, call its ops (several may be
// outstanding at once), stop it.
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alsoReapedBy } from './leaks.mjs';

const here = dirname(fileURLToPath(import.meta.url));

export function libraryHost(dist, root) {
  const host = fork(join(here, 'library-host.mjs'), [dist, root], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  // Its containers are its children: a zombie among them is a leak too.
  const reaped = alsoReapedBy(host.pid);
  const pending = new Map();
  let seq = 0;
  let died;
  host.on('message', (m) => {
    const p = pending.get(m.seq);
    if (!p) return;
    pending.delete(m.seq);
    if (m.ok) p.resolve(m);
    else p.reject(new Error(`library ${p.what}: ${m.error}`));
  });
  // A host that dies (a failed import, say) fails the waiting calls instead of hanging the bench.
  host.on('exit', (code, signal) => {
    reaped();
    died = new Error(`library host exited (${code ?? signal})`);
    for (const p of pending.values()) p.reject(died);
    pending.clear();
  });
  // `what`: the op and its arguments, which an error names.
  const wait = (n, what) => new Promise((resolve, reject) => (died ? reject(died) : pending.set(n, { resolve, reject, what })));
  const ready = wait(0, 'start');
  const call = (op, args = {}) => {
    const n = ++seq;
    const reply = wait(n, `${op} ${Object.values(args).join(' ')}`.trim());
    if (!died) host.send({ seq: n, op, ...args });
    return reply;
  };
  /** Ask it to delete what it still holds and exit; resolves once it has been reaped. */
  const close = async () => {
    if (host.exitCode !== null || host.signalCode !== null) return;
    const gone = new Promise((resolve) => host.once('exit', resolve));
    host.send({ seq: ++seq, op: 'exit' });
    await gone;
  };
  return { host, ready, call, close };
}
