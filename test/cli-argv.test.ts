// The command line as Go clients write it: one-dash long flags become two-dash ones, the verb is
// the first word that is not a global flag or its value, and exec's command line is left alone.
import { describe, expect, it } from 'vitest';
import { scanArgv } from '../lib/cli/program.js';

describe('scanArgv', () => {
  it('rewrites one-dash long flags and finds the verb after global flags with values', () => {
    expect(scanArgv(['-root', '/r', '--log', '/l', 'run', '-bundle', 'b', 'c1'])).toEqual({ argv: ['--root', '/r', '--log', '/l', 'run', '--bundle', 'b', 'c1'], verb: 'run' });
  });

  it('--criu takes a value: the verb after it is found and exec keeps its command line', () => {
    const r = scanArgv(['--criu', '/usr/sbin/criu', 'exec', 'c1', 'java', '-version']);
    expect(r.verb).toBe('exec');
    expect(r.argv).toEqual(['--criu', '/usr/sbin/criu', 'exec', 'c1', 'java', '-version']);
  });
});
