// The spec types are generated, never hand-edited: the committed file matches the generator.
import { expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Spec, State, Features, LinuxNamespace, POSIXRlimit } from '../lib/spec/index.js';
import { defaultSpec } from '../lib/spec/default-config.js';

it('lib/spec/types.generated.ts is what scripts/generate-types.mjs produces', () => {
  const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'scripts', 'generate-types.mjs'), '--check'], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});

it('the stable names type real documents', () => {
  const spec: Spec = defaultSpec();
  const ns: LinuxNamespace[] = spec.linux!.namespaces!;
  const rl: POSIXRlimit = spec.process!.rlimits![0];
  const state: State = { ociVersion: '1.3.0', id: 'c1', status: 'created', pid: 42, bundle: '/b' };
  const features: Features = { ociVersionMin: '1.0.0', ociVersionMax: '1.3.0' };
  expect([ns.length, rl.type, state.status, features.ociVersionMax]).toEqual([5, 'RLIMIT_NOFILE', 'created', '1.3.0']);
});
