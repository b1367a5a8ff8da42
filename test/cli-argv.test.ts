// The command line as Go clients write it: one-dash long flags become two-dash ones, the verb is
// the first word that is not a global flag or its value, and exec's command line is left alone.
import { describe, expect, it } from 'vitest';
import { parseCommandLine, scanArgv } from '../lib/cli/program.js';
import { durationMs } from '../lib/cli/commands/events.js';

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

describe('parseCommandLine', () => {
  const parse = (argv: string[]) => parseCommandLine(scanArgv(argv).argv);

  it('global flags, the verb, its flags (camel-cased, --no-x as x: false) and arguments', () => {
    const r = parse(['-root', '/r', '--log-format', 'json', 'run', '-b', 'b', '--no-pivot', '-preserve-fds', '2', 'c1']);
    expect(r).toEqual({
      verb: 'run',
      globals: { root: '/r', log: undefined, logFormat: 'json', debug: false, systemdCgroup: false, rootless: 'auto' },
      args: ['c1'],
      opts: { bundle: 'b', pivot: false, newKeyring: true, preserveFds: 2, detach: false, keep: false, subreaper: true },
    });
  });

  it('exec: short flags may be grouped, the last one of a group taking the next word', () => {
    expect(parse(['exec', '-te', 'FOO=1', 'c1', 'sh'])).toMatchObject({ args: ['c1', 'sh'], opts: { tty: true, env: ['FOO=1'] } });
    expect(parse(['exec', '-turoot', 'c1', 'id'])).toMatchObject({ args: ['c1', 'id'], opts: { tty: true, user: 'root' } });
  });

  it("checkpoint and restore read runc's flags (the verbs then refuse: no CRIU)", () => {
    expect(parse(['checkpoint', '--image-path', '/img', '--leave-running', '--tcp-established', 'c1'])).toMatchObject({ verb: 'checkpoint', args: ['c1'], opts: { imagePath: '/img', leaveRunning: true } });
    expect(parse(['restore', '-b', '/b', '-d', '--console-socket', '/s', '--lsm-profile', 'apparmor:x', 'c1'])).toMatchObject({ verb: 'restore', args: ['c1'], opts: { bundle: '/b', detach: true, consoleSocket: '/s' } });
  });

  it('exec reads --cgroup and --ignore-paused (runc 1.1)', () => {
    expect(parse(['exec', '--cgroup', 'memory:sub', '--ignore-paused', 'c1', 'true'])).toMatchObject({ verb: 'exec', args: ['c1', 'true'], opts: { cgroup: ['memory:sub'], ignorePaused: true } });
  });

  it('help [verb] prints help and ends', () => {
    expect(parse(['help'])).toEqual({ done: 0 });
    expect(parse(['help', 'run'])).toEqual({ done: 0 });
    expect(() => parse(['help', 'frob'])).toThrow("No help topic for 'frob'");
  });

  it("exec: flags end at the container id; the command keeps its own flags", () => {
    const r = parse(['exec', '-e', 'A=1', '--env', 'B=2', '--cwd', '/tmp', 'c1', 'sh', '-c', 'echo -e x', '--cwd']);
    expect(r).toMatchObject({ verb: 'exec', args: ['c1', 'sh', '-c', 'echo -e x', '--cwd'], opts: { env: ['A=1', 'B=2'], cwd: '/tmp', cap: [] } });
  });

  it.each([
    [['state'], 'state: missing argument <container-id>'],
    [['state', 'a', 'b'], 'state: too many arguments: expected 1, got 2'],
    [['run', '--bogus', 'c1'], 'unknown flag --bogus'],
    [['--root'], 'flag --root needs a value'],
    [['run', '--detach=yes', 'c1'], 'flag --detach takes no value'],
    [['--log-format', 'xml', 'state', 'c1'], 'invalid value "xml" for flag --log-format: expected one of text, json'],
    [['create', '--preserve-fds', '-1', 'c1'], 'flag --preserve-fds needs a value (one that starts with "-" is written --preserve-fds=-value)'],
    [['create', '--preserve-fds=-1', 'c1'], 'invalid value "-1" for flag --preserve-fds: expected a non-negative integer'],
    [['frob'], "No help topic for 'frob'"],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parse(argv)).toThrow(message);
  });

  it('splits words as POSIX utilities do: attached values, groups, a lone "-", "--" ending the flags', () => {
    expect(parse(['run', '-b/x', '-d', 'c1'])).toMatchObject({ args: ['c1'], opts: { bundle: '/x', detach: true } });
    expect(parse(['run', '--bundle=', 'c1'])).toMatchObject({ args: ['c1'], opts: { bundle: '' } });
    expect(parse(['run', '-b', '-', 'c1'])).toMatchObject({ args: ['c1'], opts: { bundle: '-' } });
    expect(parse(['run', '--', '-c1'])).toMatchObject({ args: ['-c1'], opts: { bundle: '.' } });
    expect(parse(['kill', '-a', 'c1', '--', '-9'])).toMatchObject({ args: ['c1', '-9'], opts: { all: true } });
    expect(parse(['exec', '-e', 'A=1', '-eB=2', '--env=C=3', 'c1', 'true'])).toMatchObject({ opts: { env: ['A=1', 'B=2', 'C=3'] } });
    expect(parse(['exec', '-tdu', '1:1', 'c1', 'true'])).toMatchObject({ opts: { tty: true, detach: true, user: '1:1' } });
  });

  it.each([
    [['run', '-z', 'c1'], 'unknown flag -z'],
    [['run', '-dz', 'c1'], 'unknown flag -z'],
    [['run', '-b'], 'flag --bundle needs a value'],
    [['run', '-b', '--', 'c1'], 'flag --bundle needs a value (one that starts with "-" is written --bundle=-value)'],
    [['--bogus=1', 'list'], 'unknown flag --bogus'],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parse(argv)).toThrow(message);
  });

  it('kill takes an optional signal; list and validate take defaults', () => {
    expect(parse(['kill', '--all', 'c1', 'KILL'])).toMatchObject({ args: ['c1', 'KILL'], opts: { all: true } });
    expect(parse(['list'])).toMatchObject({ args: [], opts: { format: 'table', quiet: false } });
    expect(parse(['validate'])).toMatchObject({ args: [], opts: { json: false } });
  });
});

describe('durationMs (events --interval)', () => {
  it('reads Go durations, microseconds in all three of Go spellings', () => {
    expect(durationMs('5s')).toBe(5000);
    expect(durationMs('1m30s')).toBe(90_000);
    expect(durationMs('1.5ms')).toBe(1.5);
    for (const micro of ['us', '\u00b5s', '\u03bcs']) expect(durationMs(`250${micro}`)).toBe(0.25);
  });

  it('refuses what runc refuses (Go would take 0s and -1s; runc wants more than zero), naming the flag and the value', () => {
    for (const bad of ['', '5', '5x', '-1s', '0s', '5s junk']) expect(() => durationMs(bad)).toThrow(`invalid value "${bad}" for flag --interval`);
  });
});
