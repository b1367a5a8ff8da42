// A Node process that embeds the ocirun library and creates containers on request (IPC), so
// the memory benchmark can watch a library user's processes the way it watches a CLI's.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dist, root] = process.argv.slice(2);
const { Runtime } = await import(join(dist, 'lib', 'runtime.js'));
const { waitForExit } = await import(join(dist, 'lib', 'exit-watcher.js'));
const rt = new Runtime({ root, warn: () => {} });
// Created containers are our children: reap them after delete.
const exits = new Map();

process.on('message', async (m) => {
  try {
    if (m.op === 'reset-peak') writeFileSync(`/proc/${process.pid}/clear_refs`, '5');
    if (m.op === 'create') {
      const st = await rt.create(m.id, m.bundle);
      exits.set(m.id, waitForExit(st.pid));
      process.send({ ok: true, pid: st.pid });
      return;
    }
    if (m.op === 'delete') {
      await rt.delete(m.id, { force: true });
      await exits.get(m.id);
      exits.delete(m.id);
    }
    if (m.op === 'exit') {
      // Containers a failed run left behind go with it.
      for (const id of exits.keys()) await rt.delete(id, { force: true }).catch(() => {});
      process.exit(0);
    }
    process.send({ ok: true });
  } catch (err) {
    process.send({ ok: false, error: err.message });
  }
});
process.send({ ok: true, ready: true });
