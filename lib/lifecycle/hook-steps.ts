// The hook steps of runtime.md's lifecycle, as the lifecycle verbs call them:
//   create   3-5  prestart, createRuntime (runtime namespace), createContainer (container
//                namespaces), while the container process waits before pivot_root
//   start    7    startContainer (container namespaces and root), before the fifo is released
//            9    poststart (runtime namespace), after the program was executed
//   delete   13   poststop, after the container is gone: failures are warnings
// A failure at steps 3-9 stops the container; create then goes on to step 13 itself (nothing is
// left for a delete), start leaves a stopped container for `delete`, as runc does.
import { runHooks, runHooksWarning, HookError, type HookContainer } from '../hooks/hooks.js';
import type { Hooks, LinuxNamespaceType, Spec, State } from '../spec/index.js';
import type { ContainerRecord } from '../state/store.js';
import { SPEC_VERSION } from '../version.js';
import { signalProcess, waitUntilGone } from './signals.js';
import { stateOf } from './status.js';

export { HookError };

/** Does `run` need the start step (a fifo to stop at) for these hooks? */
export function needsStartStep(spec: Spec): boolean {
  const h = spec.hooks ?? {};
  return Boolean(h.startContainer?.length || h.poststart?.length);
}

function namespacesOf(spec: Spec): LinuxNamespaceType[] {
  return (spec.linux?.namespaces ?? []).map((n) => n.type);
}

/** The state of a container being created, as the create-phase hooks and the seccomp agent get it. */
export function creatingState(c: { id: string; bundle: string; spec: Spec }, pid: number): State {
  return { ociVersion: SPEC_VERSION, id: c.id, status: 'creating', pid, bundle: c.bundle, ...(c.spec.annotations && { annotations: c.spec.annotations }) };
}

/** Steps 3-5, while the container process waits before pivot_root. */
export async function createHooks(c: { id: string; bundle: string; spec: Spec }, pid: number, blocking: boolean): Promise<void> {
  const h = c.spec.hooks ?? {};
  const state = creatingState(c, pid);
  await runHooks('prestart', h.prestart, state, { blocking });
  await runHooks('createRuntime', h.createRuntime, state, { blocking });
  await runHooks('createContainer', h.createContainer, state, { blocking, container: { pid, namespaces: namespacesOf(c.spec) } });
}

/** Step 13 after a create that failed at a hook: the container is already gone. */
export async function poststopAfterFailedCreate(c: { id: string; bundle: string; spec: Spec }, warn: (m: string) => void, blocking: boolean): Promise<void> {
  const state: State = { ...creatingState(c, 0), status: 'stopped' };
  delete state.pid;
  await runHooksWarning('poststop', c.spec.hooks?.poststop, state, warn, blocking);
}

/** Step 7. On failure the container is stopped (killed) and the error thrown. */
export async function startContainerHooks(record: ContainerRecord, blocking: boolean): Promise<void> {
  const hooks = record.hooks?.startContainer;
  if (!hooks?.length) return;
  const { loadStoredSeccomp } = await import('../seccomp/compile.js');
  const state = stateOf(record, 'created');
  const container: HookContainer = { pid: record.pid, startTime: record.startTime, namespaces: record.namespaces, process: record.process, seccomp: record.seccomp && loadStoredSeccomp(record.seccomp), state, cgroupDirs: record.cgroup?.dirs.map((d) => d.dir) };
  await stopOnFailure(record, () => runHooks('startContainer', hooks, state, { blocking, container }));
}

/** Step 9. On failure the container is stopped (killed) and the error thrown. */
export async function poststartHooks(record: ContainerRecord, blocking: boolean): Promise<void> {
  const hooks = record.hooks?.poststart;
  if (!hooks?.length) return;
  await stopOnFailure(record, () => runHooks('poststart', hooks, stateOf(record, 'running'), { blocking }));
}

/** Step 13: after delete removed the container. */
export async function poststopHooks(record: ContainerRecord, warn: (m: string) => void, blocking: boolean): Promise<void> {
  const hooks = record.hooks?.poststop;
  if (!hooks?.length) return;
  await runHooksWarning('poststop', hooks, stateOf(record, 'stopped'), warn, blocking);
}

async function stopOnFailure(record: ContainerRecord, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (err) {
    if (signalProcess(record.pid, record.startTime, 9)) await waitUntilGone(record.pid, record.startTime);
    throw err;
  }
}
