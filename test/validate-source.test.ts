// validateBundle on files: parse errors with line and column, positions of problems, duplicate keys.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateBundle, loadBundle, formatProblem } from '../lib/validate/index.js';
import { scanJson, lineColumn } from '../lib/validate/json-source.js';
import { OciError } from '../lib/errors.js';
import { defaultSpec, formatSpec } from '../lib/spec/default-config.js';

const dirs: string[] = [];
function bundle(text: string | undefined, rootfs = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'ocirun-src-'));
  dirs.push(dir);
  if (rootfs) mkdirSync(join(dir, 'rootfs'));
  if (text !== undefined) writeFileSync(join(dir, 'config.json'), text);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('JSON parse errors', () => {
  it.each([
    ['{]', 1, 2, "expected a field name"],
    ['{\n  "ociVersion": "1.3.0",\n  "root": {"path": "rootfs",}\n}', 3, 29, 'expected a field name'],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, "expected ',' or '}'"],
    ['{"a": [1, 2}', 1, 12, "expected ',' or ']'"],
    ['{"a": tru}', 1, 7, 'expected a value'],
    ['{"a": "line\nbreak"}', 1, 12, 'control character'],
    ['{"a": 1} x', 1, 10, 'after the end'],
    ['', 1, 1, 'end of file'],
    ['{"a": 01}', 1, 8, "expected ',' or '}'"],
  ])('%j → line %i, column %i', (text, line, column, words) => {
    const report = validateBundle(bundle(text));
    expect(report.valid).toBe(false);
    expect(report.problems).toHaveLength(1);
    const [p] = report.problems;
    expect(p).toMatchObject({ severity: 'error', pointer: '', rule: 'json-syntax', line, column });
    expect(p.message).toContain(words);
  });

  it('the scanner agrees with JSON.parse on valid documents', () => {
    for (const text of [formatSpec(defaultSpec()), '[]', '"x"', '{"a":{"b":[{"c":null}]},"d":-1.5e3,"e":"\\u00e9\\n"}']) {
      expect(() => JSON.parse(text)).not.toThrow();
      expect(scanJson(text).error).toBeUndefined();
    }
  });
});

describe('positions and duplicates', () => {
  it('gives each problem the line and column of its value', () => {
    const spec = defaultSpec() as any;
    spec.process.cwd = 'relative';
    const text = formatSpec(spec);
    const report = validateBundle(bundle(text));
    const p = report.problems.find((x) => x.rule === 'process-cwd-absolute')!;
    const expected = lineColumn(text, text.indexOf('"cwd"'));
    expect({ line: p.line, column: p.column }).toEqual(expected);
    expect(p.line).toBe(16);
    expect(p.file).toBe(join(dirs[0], 'config.json'));
  });

  it('a missing field is placed at its parent object', () => {
    const text = '{\n"ociVersion": "1.3.0",\n"root": {"path": "rootfs"},\n"process": {\n  "args": ["sh"]\n}\n}';
    const p = validateBundle(bundle(text)).problems.find((x) => x.pointer === '/process/cwd')!;
    expect(p).toMatchObject({ rule: 'schema/required', line: 4, column: 1 });
  });

  it('warns about duplicate keys', () => {
    const text = '{"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "process": {"cwd": "/", "args": ["sh"], "cwd": "/tmp"}}';
    const report = validateBundle(bundle(text));
    expect(report.valid).toBe(true);
    expect(report.problems).toEqual([expect.objectContaining({ pointer: '/process/cwd', rule: 'duplicate-field', severity: 'warning', line: 1, column: 93 })]);
  });

  it('reports a bundle without config.json', () => {
    const report = validateBundle(bundle(undefined));
    expect(report.problems).toEqual([expect.objectContaining({ rule: 'config-missing', severity: 'error', pointer: '' })]);
  });

  it('formats a problem as file:line:column: pointer: severity: message', () => {
    const dir = bundle('{"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "process": {"cwd": "x", "args": ["sh"]}}');
    const p = validateBundle(dir).problems.find((x) => x.rule === 'process-cwd-absolute')!;
    expect(formatProblem(p)).toBe(`${join(dir, 'config.json')}:1:65: /process/cwd: error: working directory "x" must be an absolute path (such as "/")`);
  });
});

describe('loadBundle', () => {
  it('returns the config and its warnings when valid', () => {
    const spec = defaultSpec() as any;
    spec.hostName = 'x';
    const { config, report } = loadBundle(bundle(formatSpec(spec)));
    expect(config.process?.args).toEqual(['sh']);
    expect(report.problems.map((p) => p.rule)).toEqual(['unknown-field']);
  });

  it('throws ERR_INVALID_CONFIG listing every error with file and pointer', () => {
    const spec = defaultSpec() as any;
    spec.process.cwd = 'x';
    spec.linux.namespaces.push({ type: 'pid' });
    const dir = bundle(formatSpec(spec));
    let err: unknown;
    try {
      loadBundle(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OciError);
    expect((err as OciError).code).toBe('ERR_INVALID_CONFIG');
    const msg = (err as OciError).message;
    expect(msg).toContain('2 errors');
    expect(msg).toContain(`${join(dir, 'config.json')}:16:3: /process/cwd: error:`);
    expect(msg).toMatch(/config\.json:\d+:\d+: \/linux\/namespaces\/5\/type: error: namespace type "pid" is listed twice/);
  });
});
