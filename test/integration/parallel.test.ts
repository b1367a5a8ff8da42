// Many containers at once through one library Runtime (the embedding case): every start must see
// its process's byte on the exec fifo, even when the process writes it, execs and exits before
// the event loop gets to read it.
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';

const h = useHarness('parallel');

describe('parallel lifecycles in one process', () => {
  it('20 containers of /bin/true created, started, waited for and deleted at once: no failure', async () => {
    const bundle = h.bundle((s) => (s.process!.args = ['true']));
    const ids = Array.from({ length: 20 }, () => h.id());
    const results = await Promise.allSettled(
      ids.map(async (id) => {
        const c = await h.rt.create(id, bundle);
        await c.start();
        const status = await c.wait();
        await c.delete();
        return status.code;
      }),
    );
    const failures = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    expect(failures).toEqual([]);
    expect(results.map((r) => (r as PromiseFulfilledResult<number>).value)).toEqual(ids.map(() => 0));
    h.expectClean();
  });
});
