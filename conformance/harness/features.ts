// Features a runtime may lack (hooks, seccomp, cgroups, ...). A test of such a feature first
// asks its positive control, once per test file: a valid config using the feature is run and its
// effect observed. A runtime that refuses the valid config skips the feature's tests with
// "feature not supported" — it never passes them, in particular not the tests that expect an
// invalid config of that feature to be refused. A runtime that accepts the config without the
// effect still runs the positive tests (and fails them), but the "must fail" tests skip: a refusal
// of invalid input proves nothing where valid input does nothing either.
import { describeResult, type CliResult } from './cli.js';
import type { Harness } from './harness.js';

/** What the control found: nothing wrong, the valid config refused, or accepted without effect. */
export type ControlResult = { ok: true } | { ok: false; refused: boolean; why: string };

export interface Feature {
  /** the feature as the report names it, e.g. "seccomp" */
  name: string;
  /** run a valid config that uses the feature and check its effect */
  control: (h: Harness) => Promise<ControlResult>;
}

export const works = (): ControlResult => ({ ok: true });

/** The control's container could not be created or run: the runtime refused the valid config. */
export function refused(r: CliResult): ControlResult {
  const line = (r.stderr || r.stdout).trim().split('\n').filter(Boolean).pop() ?? (r.timedOut ? 'timed out' : `exit ${r.code}`);
  return { ok: false, refused: true, why: line.length > 200 ? `${line.slice(0, 199)}…` : line };
}

/** The valid config was accepted but the feature had no effect. */
export function ineffective(why: string): ControlResult {
  return { ok: false, refused: false, why };
}

/** Run a control probe: refused when the run failed, otherwise `check` of its stdout decides. */
export function byProbe(r: CliResult, check: (stdout: string) => string | undefined): ControlResult {
  if (r.code !== 0) return refused(r);
  const why = check(r.stdout);
  return why ? ineffective(`${why} (${describeResult(r).split('\n')[0]})`) : works();
}

const memo = new Map<string, Promise<ControlResult>>();

/** The control's verdict, computed once per test file (tests in a file run one after another). */
export function controlOf(f: Feature, h: Harness): Promise<ControlResult> {
  let p = memo.get(f.name);
  if (!p) {
    p = f.control(h).catch((e: unknown) => ineffective(`control failed: ${(e as Error).message.split('\n')[0]}`));
    memo.set(f.name, p);
  }
  return p;
}

/** The skip reason for a test of `f`, or undefined when it may run. */
export function featureSkip(name: string, c: ControlResult, mustWork: boolean): string | undefined {
  if (c.ok) return undefined;
  if (c.refused) return `feature not supported: ${name} (a valid config was refused: ${c.why})`;
  return mustWork ? `feature not effective: ${name} (${c.why})` : undefined;
}
