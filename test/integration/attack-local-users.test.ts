// Attacks by another local user of the host, who knows a container's id: what the runtime keeps
// on disk about a container (its process's environment: secrets, often) is root's alone.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';

const h = useHarness('attack-users');
const NOBODY = 65534;

describe('state.json under a world-searchable root (runc: 0600 in a 0700 root)', () => {
  it('another user cannot read the environment of a container from state.json', async () => {
    const id = h.id();
    const bundle = h.bundle((s) => {
      s.process!.args = ['sleep', '60'];
      s.process!.env!.push('DB_PASSWORD=hunter2');
    });
    expect((await h.cli(['run', '--detach', '--bundle', bundle, id])).code).toBe(0);
    const state = join(h.root, id, 'state.json');
    expect(statSync(h.root).mode & 0o777).toBe(0o700);
    expect(statSync(join(h.root, id)).mode & 0o777).toBe(0o711);
    expect(statSync(state).mode & 0o777).toBe(0o600);
    // The test's temp dir is 0755: only the runtime's own modes stand in the way.
    const r = spawnSync('cat', [state], { uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
    expect(r.stdout).not.toContain('hunter2');
    expect(r.stderr).toMatch(/Permission denied/);
  });
});
