// What a seccomp profile adds to a warm create: the library's create of the bench bundle (podman's
// profile) against the same bundle without linux.seccomp, each from its cached plan, in
// interleaved rounds of one warm process. The difference is the filter's cost per container: the
// kernel loading it, and the larger program and record (the compiling is the cached plan's).
import { interleaved, newId } from './interleave.mjs';
import { summarize } from './stats.mjs';

export async function seccompBench(lib, ws, runs) {
  const variant = (name, bundle) => ({ name, create: async () => (await lib.host.call('create-timed', { id: newId('sc'), bundle: bundle.dir })).ms });
  const variants = [variant('with podman seccomp', ws.trueBundle), variant('without seccomp', ws.noSeccompBundle)];
  const { samples, failures } = await interleaved(variants, runs, 3, (v) => v.create());
  const rows = variants.map((v) => ({ variant: v.name, ms: summarize(samples.get(v.name)), failures: failures.get(v.name) }));
  return { rows, addedMs: rows[0].ms.median - rows[1].ms.median, target: '≤ 1 ms more than without seccomp (issue 12)' };
}
