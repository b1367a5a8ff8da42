// `ocirun validate` as a user runs it: the built CLI (dist/, made by `npm run build`/pretest).
import { describe, expect, it } from 'vitest';
import { useTempDirs } from './support/temp-dirs.js';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSpec, formatSpec } from '../lib/spec/default-config.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'ocirun.cjs');
const tempDir = useTempDirs('ocirun-cli-');

function bundle(text: string): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'rootfs'));
  writeFileSync(join(dir, 'config.json'), text);
  return dir;
}

function ocirun(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ocirun validate', () => {
  it('exits 0 and says so for a valid bundle', () => {
    const dir = bundle(formatSpec(defaultSpec()));
    const r = ocirun(['validate', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`bundle ${dir} is valid (0 errors, 0 warnings)\n`);
  });

  it('validates the current directory by default', () => {
    const dir = bundle(formatSpec(defaultSpec()));
    const r = ocirun(['validate'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('bundle . is valid');
  });

  it('exits 0 with warnings, printing them', () => {
    const spec = defaultSpec() as any;
    spec.hostName = 'x';
    const r = ocirun(['validate'], bundle(formatSpec(spec)));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'config.json:175:2: /hostName: warning: unknown field "hostName" at the top level (did you mean "hostname"?): it is ignored\n' +
        'bundle . is valid (0 errors, 1 warning)\n',
    );
  });

  it('exits 1 listing every error, one line each', () => {
    const spec = defaultSpec() as any;
    spec.process.cwd = 'tmp';
    spec.linux.namespaces[2].type = 'ipcs';
    const r = ocirun(['validate'], bundle(formatSpec(spec)));
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    // In the order of the file.
    expect(lines).toEqual([
      'config.json:16:3: /process/cwd: error: working directory "tmp" must be an absolute path (such as "/")',
      expect.stringMatching(/^config\.json:\d+:\d+: \/linux\/namespaces\/2\/type: error: "ipcs" is not an allowed value; expected one of /),
      'bundle . is not valid (2 errors, 0 warnings)',
    ]);
  });

  it('prints the report as JSON with --json', () => {
    const spec = defaultSpec() as any;
    spec.process.args = [];
    const dir = bundle(formatSpec(spec));
    const r = ocirun(['validate', '--json', dir]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report).toEqual({
      valid: false,
      problems: [
        {
          severity: 'error',
          pointer: '/process/args',
          message: 'process.args is empty: it needs at least the program to run',
          rule: 'process-args-required',
          file: join(dir, 'config.json'),
          line: 9,
          column: 3,
        },
      ],
    });
  });

  it('gives the line and column of a JSON syntax error', () => {
    const dir = bundle('{\n  "ociVersion": "1.3.0",\n  "root": {"path": "rootfs"}\n  "process": {}\n}\n');
    const r = ocirun(['validate'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`config.json:4:3: (document): error: not valid JSON: unexpected character "\\"": expected ',' or '}' after a field\n`);
    const j = ocirun(['validate', '--json', dir]);
    expect(JSON.parse(j.stdout).problems[0]).toMatchObject({ rule: 'json-syntax', line: 4, column: 3 });
  });

  it('reports a directory without config.json', () => {
    const dir = tempDir();
    const r = ocirun(['validate', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('config.json does not exist');
  });
});
