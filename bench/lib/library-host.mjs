// A Node process that embeds the ocirun library and runs containers on request (IPC): the
// "ocirun library" contender of every scenario, and the memory benchmark's library user.
//
// Why a process of its own, not the bench process: the bench starts every CLI contender with
// child_process, and libuv starts children with fork(), which write-protects all of the bench
// process's memory; the library's next run then paid ~70 copy-on-write faults (on the reference
// VM, 10.3 ms against 8.6 ms after a start that did not fork the measuring process). A program
// embedding ocirun pays for its own forks, not for the benchmark's. This process forks nothing:
// ocirun's executor is spawned without copying its memory.
//
// Each message is { seq, op, ... }; each reply { seq, ok, ...result } or { seq, ok: false, error }.
// Times are taken here, around the library calls alone.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dist, root] = process.argv.slice(2);
// The package's public entry point, as a program that embeds ocirun imports it.
const { Runtime } = await import(join(dist, 'lib', 'index.js'));
const rt = new Runtime({ root, warn: () => {} });
// The handles of the containers this host made (the runtime reaps them).
const containers = new Map();

const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;

const ops = {
  'reset-peak': () => writeFileSync(`/proc/${process.pid}/clear_refs`, '5'),
  async create({ id, bundle }) {
    const c = await rt.create(id, bundle);
    containers.set(id, c);
    return { pid: c.pid };
  },
  pid: ({ id }) => ({ pid: containers.get(id).pid }),
  async start({ id }) {
    await containers.get(id).start();
  },
  async delete({ id }) {
    await containers.get(id).delete({ force: true });
    containers.delete(id);
  },
  /** create → start → wait → delete of the bundle's /bin/true: the ops above in a row. */
  async lifecycle({ id, bundle }) {
    const t = process.hrtime.bigint();
    await ops.create({ id, bundle });
    await ops.start({ id });
    const status = await containers.get(id).wait();
    await ops.delete({ id });
    if (status.code !== 0) throw new Error(`${id}: /bin/true exited ${status.code}`);
    return { ms: ms(t) };
  },
  /** A create alone, timed (the container is then deleted, untimed). */
  async 'create-timed'({ id, bundle }) {
    const t = process.hrtime.bigint();
    await ops.create({ id, bundle });
    const took = ms(t);
    await ops.delete({ id });
    return { ms: took };
  },
  async exec({ id }) {
    const t = process.hrtime.bigint();
    const c = containers.get(id) ?? (await rt.load(id));
    const h = await c.exec({ ...(await c.configProcess()), args: ['/bin/true'] });
    const status = await h.wait();
    if (status.code !== 0) throw new Error(`exec in ${id}: exit ${status.code}`);
    return { ms: ms(t) };
  },
  async cleanup({ id }) {
    const c = containers.get(id) ?? (await rt.load(id).catch(() => undefined));
    await c?.delete({ force: true }).catch(() => {});
    containers.delete(id);
  },
  async exit() {
    // Containers a failed run left behind go with it.
    for (const c of containers.values()) await c.delete({ force: true }).catch(() => {});
    process.exit(0);
  },
};

process.on('message', async (m) => {
  try {
    const op = ops[m.op];
    if (!op) throw new Error(`library host: unknown op ${m.op}`);
    process.send({ seq: m.seq, ok: true, ...(await op(m)) });
  } catch (err) {
    process.send({ seq: m.seq, ok: false, error: err.message });
  }
});
process.send({ seq: 0, ok: true, ready: true });
