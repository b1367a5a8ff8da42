// The conformance suite itself: against a runtime with one feature switched off on purpose
// (test/support/feature-off-runtime.mjs wraps this package's CLI), none of that feature's tests
// may pass — a refused feature skips as "feature not supported", an ignored one fails — so a
// pass in the suite's report means the clause holds. Runs the packaged runner as a user would.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '..');
const RUNNER = join(REPO, 'dist/conformance/bin/ocirun-conformance.mjs');
const WRAPPER = join(REPO, 'test/support/feature-off-runtime.mjs');

interface Result {
  id: string;
  result: 'pass' | 'fail' | 'skip';
  reason: string;
}

/** Run the suite's tests matching `filter` against the wrapper with `feature` off. */
function runWithout(feature: string, filter: string): Result[] {
  const dir = mkdtempSync(join(tmpdir(), 'conformance-selftest-'));
  try {
    const json = join(dir, 'results.json');
    const r = spawnSync(process.execPath, [RUNNER, '--runtime', `${feature}-off=${WRAPPER}`, '--filter', filter, '--json', json], {
      env: { ...process.env, FEATURE_OFF: feature },
      encoding: 'utf8',
      timeout: 1_500_000,
      maxBuffer: 64 << 20,
    });
    expect(r.status, `${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`).toBe(0);
    return (JSON.parse(readFileSync(json, 'utf8')) as { runtimes: { results: Result[] }[] }).runtimes[0]!.results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const FEATURES: [string, string, RegExp][] = [
  ['hooks', 'CFG-HOOKS-|RT-LIFE-HOOK|RT-STATE-PID-', /^feature not supported: hooks/],
  ['seccomp', 'LNX-SECCOMP-|CFG-VALID-003', /^feature not supported: seccomp/],
  // ignored, not refused: the positive tests fail, the must-fail ones skip as not effective
  // (a sample: every cgroup test makes a container; CPU-mems, OWNER-v1 and DEVCG-ALLOW once passed
  // by reading the host's root cgroup)
  ['cgroups', 'LNX-CG-PATH-|LNX-CG-(MEM-limit|CPU-mems|CPU-shares|PIDS-limit|OWNER-v1|UNIFIED-ERR)|LNX-DEVCG-|RT-CREATE-007|CLI-PAUSE-001', /./],
];

describe.runIf(process.getuid?.() === 0)('conformance suite: a feature switched off never passes its tests', () => {
  for (const [feature, filter, skipReason] of FEATURES) {
    it(`${feature} off: none of its tests pass`, { timeout: 1_600_000 }, () => {
      const results = runWithout(feature, filter);
      expect(results.length, 'the filter selected no tests').toBeGreaterThan(5);
      expect(results.filter((x) => x.result === 'pass').map((x) => x.id)).toEqual([]);
      for (const x of results.filter((y) => y.result === 'skip')) {
        // host requirements (cgroup v2 only, resctrl, ...) are the other honest reason to skip
        if (!/^feature not/.test(x.reason)) continue;
        expect(x.reason, x.id).toMatch(skipReason);
      }
    });
  }
});
