// Validation of config.json: the JSON schema (precompiled), then the spec's prose rules for
// Linux. Every problem carries a JSON pointer, a severity, a rule id and a readable message.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OciError } from '../errors.js';
import { SPEC_VERSION } from '../version.js';
import type { Spec } from '../spec/index.js';
import type { Problem, RuleContext, RuleModule, ValidateOptions, ValidationReport } from './types.js';
import { isObject, MAX_DEPTH, tooDeep } from './json.js';
import { lineColumn, locate, scanJson } from './json-source.js';
import { schemaProblems } from './schema-problems.js';
import { checkUnknownFields } from './unknown-fields.js';
import { shapeFor, validatorFor } from './validators.js';
import version from './rules/version.js';
import root from './rules/root.js';
import processRules from './rules/process.js';
import rlimits from './rules/rlimits.js';
import capabilities from './rules/capabilities.js';
import mounts from './rules/mounts.js';
import namespaces from './rules/namespaces.js';
import userNamespace from './rules/user-namespace.js';
import sysctl from './rules/sysctl.js';
import hooks from './rules/hooks.js';
import seccomp from './rules/seccomp.js';
import devices from './rules/devices.js';
import annotations from './rules/annotations.js';
import linuxPaths from './rules/linux-paths.js';
import ids from './rules/ids.js';
import strings from './rules/strings.js';

export type { Problem, Severity, ValidationReport, ValidateOptions } from './types.js';
export { RULES, SCHEMA_ENFORCED, VALIDATE_ONLY, type RuleId, type RuleInfo } from './rule-table.js';

/** Rules for any platform. */
const COMMON_RULES: RuleModule[] = [version, hooks, annotations, strings];
/** Rules for a Linux container, the only kind ocirun runs. */
const LINUX_RULES: RuleModule[] = [
  root,
  processRules,
  ids,
  rlimits,
  capabilities,
  mounts,
  namespaces,
  userNamespace,
  sysctl,
  seccomp,
  devices,
  linuxPaths,
];
const OTHER_PLATFORMS = ['windows', 'solaris', 'freebsd', 'zos', 'vm'] as const;

/** A config with another platform's section and no `linux` one is not for this runtime. */
function foreignPlatform(config: Record<string, unknown>): string | undefined {
  if (config.linux !== undefined) return undefined;
  return OTHER_PLATFORMS.find((p) => config[p] !== undefined && p !== 'vm');
}

function report(problems: Problem[]): ValidationReport {
  return { valid: !problems.some((p) => p.severity === 'error'), problems };
}

/** Validates a parsed config.json. Host checks (root.path, namespace files) need `bundleDir`. */
export function validateConfig(config: unknown, opts: ValidateOptions = {}): ValidationReport {
  const problems: Problem[] = [];
  const deep = tooDeep(config);
  if (deep !== undefined) {
    // Nothing else looks at it: every check below walks the document.
    problems.push({ severity: 'error', pointer: deep, message: `nested more than ${MAX_DEPTH} levels deep: config.json needs a few`, rule: 'json-depth' });
    if (opts.file !== undefined) for (const p of problems) p.file = opts.file;
    return report(problems);
  }
  const validate = validatorFor('config');
  if (!validate(config)) problems.push(...schemaProblems(validate.errors ?? [], config));
  if (isObject(config)) {
    const add = (severity: Problem['severity']) => (pointer: string, rule: string, message: string) =>
      problems.push({ severity, pointer, message, rule });
    const ctx: RuleContext = { config, bundleDir: opts.bundleDir, error: add('error'), warn: add('warning') };
    for (const rule of COMMON_RULES) rule(ctx);
    const platform = foreignPlatform(config);
    if (platform === undefined) for (const rule of LINUX_RULES) rule(ctx);
    else ctx.warn(`/${platform}`, 'platform-not-linux', `this config is for ${platform}: ocirun runs Linux containers, so the Linux checks were skipped`);
    checkUnknownFields(ctx, config, shapeFor('config'));
  }
  if (opts.file !== undefined) for (const p of problems) p.file = opts.file;
  return report(problems);
}

/**
 * Validates a process on its own (exec's process.json, or the library's exec): the config
 * schema's `process` and the rules config.json's process goes through; pointers are into the
 * process itself (`/user/uid`). `text`: the file's text, for lines and columns.
 */
export function validateProcess(process: unknown, opts: { file?: string; text?: string } = {}): ValidationReport {
  const wrapped = validateConfig({ ociVersion: SPEC_VERSION, process });
  const problems = wrapped.problems
    .filter((p) => p.pointer === '/process' || p.pointer.startsWith('/process/'))
    .map((p) => ({ ...p, pointer: p.pointer.slice('/process'.length) }));
  if (opts.text !== undefined) {
    const scan = scanJson(opts.text);
    const offsets = new Map<Problem, number>();
    for (const p of problems) {
      const at = locate(scan, p.pointer);
      if (at === undefined) continue;
      offsets.set(p, at);
      Object.assign(p, lineColumn(opts.text, at));
    }
    problems.sort((a, b) => (offsets.get(a) ?? 0) - (offsets.get(b) ?? 0));
  }
  if (opts.file !== undefined) for (const p of problems) p.file = opts.file;
  return report(problems);
}

/** The errors of a report as one message: "<what>: N errors" and one line per problem. */
export function describeErrors(what: string, r: ValidationReport): string {
  const errors = r.problems.filter((p) => p.severity === 'error');
  return `${what}: ${errors.length} error${errors.length === 1 ? '' : 's'}\n` + errors.map((p) => '  ' + formatProblem(p)).join('\n');
}

/** Reads, parses and validates `<dir>/config.json`, with lines and columns for every problem. */
export function validateBundle(dir: string): ValidationReport {
  return readAndValidate(dir).report;
}

/**
 * What `create` calls: the bundle's config, validated. Throws OciError('ERR_INVALID_CONFIG')
 * listing every error (file, pointer, message) when there is any; warnings are returned.
 */
export function loadBundle(dir: string): { config: Spec; report: ValidationReport } {
  return mustBeValid(dir, readAndValidate(dir));
}

/** loadBundle on config.json text already read (so the caller knows exactly what was validated). */
export function loadBundleText(dir: string, text: string): { config: Spec; report: ValidationReport } {
  return mustBeValid(dir, validateText(dir, join(dir, 'config.json'), text));
}

function mustBeValid(dir: string, { config, report }: { config: unknown; report: ValidationReport }): { config: Spec; report: ValidationReport } {
  if (!report.valid) {
    throw new OciError('ERR_INVALID_CONFIG', describeErrors(`invalid bundle ${dir}`, report));
  }
  return { config: config as Spec, report };
}

function readAndValidate(dir: string): { config: unknown; report: ValidationReport } {
  const file = join(dir, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? `${file} does not exist: a bundle needs a config.json (\`ocirun spec\` writes a default one)` : `cannot read ${file}: ${(err as Error).message}`;
    return { config: undefined, report: report([{ severity: 'error', pointer: '', message, file, rule: 'config-missing' }]) };
  }
  return validateText(dir, file, text);
}

function validateText(dir: string, file: string, text: string): { config: unknown; report: ValidationReport } {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    const scan = scanJson(text);
    const offset = scan.error?.offset ?? 0;
    const message = `not valid JSON: ${scan.error?.message ?? (err as Error).message}`;
    return { config: undefined, report: report([{ severity: 'error', pointer: '', message, file, ...lineColumn(text, offset), rule: 'json-syntax' }]) };
  }
  const result = validateConfig(config, { bundleDir: dir, file });
  const scan = scanJson(text);
  for (const pointer of scan.duplicates) {
    result.problems.push({ severity: 'warning', pointer, message: `field ${JSON.stringify(pointer.slice(pointer.lastIndexOf('/') + 1))} appears twice in the same object: only the last value counts`, file, rule: 'duplicate-field' });
  }
  const offsets = new Map<Problem, number>();
  for (const p of result.problems) {
    const at = locate(scan, p.pointer);
    if (at === undefined) continue;
    offsets.set(p, at);
    Object.assign(p, lineColumn(text, at));
  }
  // People read a report top to bottom, like the file (the sort is stable for equal places).
  result.problems.sort((a, b) => (offsets.get(a) ?? 0) - (offsets.get(b) ?? 0));
  return { config, report: result };
}

/** `config.json:12:5: /linux/namespaces/2/type: error: message`, the form the CLI prints. */
export function formatProblem(p: Problem): string {
  const where = p.file === undefined ? '' : `${p.file}${p.line !== undefined ? `:${p.line}:${p.column}` : ''}: `;
  return `${where}${p.pointer === '' ? '(document)' : p.pointer}: ${p.severity}: ${p.message}`;
}
