// `ocirun spec` writes runc's default config.json (with documented differences) and it validates.
import { describe, expect, it } from 'vitest';
import { useTempDirs } from './support/temp-dirs.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSpec, formatSpec } from '../lib/spec/default-config.js';
import { validateBundle, validateConfig } from '../lib/validate/index.js';
import { SPEC_VERSION } from '../lib/version.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'ocirun.cjs');
const FIXTURES = join(import.meta.dirname, 'fixtures');
const RUNC = '/usr/sbin/runc';
const tempDir = useTempDirs('ocirun-spec-');
function ocirun(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The documented differences from runc: our spec version and our name as the hostname. */
function asRunc(text: string): string {
  const spec = JSON.parse(text);
  expect(spec.ociVersion).toBe(SPEC_VERSION);
  expect(spec.hostname).toBe('ocirun');
  spec.ociVersion = '1.0.2-dev';
  spec.hostname = 'runc';
  return JSON.stringify(spec, null, '\t');
}

describe('ocirun spec', () => {
  it('writes runc 1.1.5\'s default config, byte for byte apart from ociVersion and hostname', () => {
    const dir = tempDir();
    const r = ocirun(['spec'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(asRunc(readFileSync(join(dir, 'config.json'), 'utf8'))).toBe(readFileSync(join(FIXTURES, 'runc-spec-config.json'), 'utf8'));
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o666 & ~process.umask());
  });

  it('--rootless matches runc spec --rootless (ids mapped from the caller)', () => {
    const dir = tempDir();
    expect(ocirun(['spec', '--rootless', '--bundle', dir]).code).toBe(0);
    const ours = JSON.parse(asRunc(readFileSync(join(dir, 'config.json'), 'utf8')));
    const runc = JSON.parse(readFileSync(join(FIXTURES, 'runc-spec-rootless-config.json'), 'utf8'));
    // The fixture was made as root; the mappings name whoever runs the command.
    runc.linux.uidMappings[0].hostID = process.geteuid!();
    runc.linux.gidMappings[0].hostID = process.getegid!();
    expect(ours).toEqual(runc);
  });

  it.skipIf(!existsSync(RUNC))('matches the installed runc spec too', () => {
    const [ours, theirs] = [tempDir(), tempDir()];
    expect(ocirun(['spec'], ours).code).toBe(0);
    expect(spawnSync(RUNC, ['spec'], { cwd: theirs }).status).toBe(0);
    const runcText = readFileSync(join(theirs, 'config.json'), 'utf8');
    const version = JSON.parse(runcText).ociVersion;
    expect(asRunc(readFileSync(join(ours, 'config.json'), 'utf8')).replace('"1.0.2-dev"', JSON.stringify(version))).toBe(runcText);
  });

  it('refuses to overwrite an existing config.json, like runc', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), '{"mine": true}');
    const r = ocirun(['spec', '--bundle', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`File ${join(dir, 'config.json')} exists. Remove it first`);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe('{"mine": true}');
  });

  it('says when the bundle directory does not exist', () => {
    const r = ocirun(['spec', '--bundle', join(tempDir(), 'nope')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('does not exist');
  });

  it.each([false, true])('the default (rootless=%s) passes validate once rootfs exists', (rootless) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), formatSpec(defaultSpec({ rootless })));
    mkdirSync(join(dir, 'rootfs'));
    expect(validateBundle(dir)).toEqual({ valid: true, problems: [] });
    const r = ocirun(['validate', dir]);
    expect(r.code).toBe(0);
  });

  it('defaultSpec returns a fresh object each time', () => {
    const a = defaultSpec();
    a.mounts!.pop();
    expect(defaultSpec().mounts).toHaveLength(7);
    expect(validateConfig(defaultSpec({ rootless: true, hostUid: 1000, hostGid: 1000 })).problems).toEqual([]);
  });
});
