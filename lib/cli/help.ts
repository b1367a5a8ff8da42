// `--help` and `ocirun help <verb>`, from the flag tables.
import type { Argument, Flag, Verb } from './flags.js';
import { GLOBAL_FLAGS, VERBS, verbFlags } from './verbs.js';

function flagLine(name: string, f: Flag): [string, string] {
  const long = name.startsWith('no-') || f.type === 'boolean' ? `--${name}` : `--${name} <${f.value ?? 'value'}>`;
  const left = f.short ? `-${f.short}, ${long}` : `    ${long}`;
  const def = f.default !== undefined && f.type === 'string' && !(Array.isArray(f.default) && !f.default.length) ? ` (default: ${JSON.stringify(f.default)})` : '';
  const choices = f.choices ? ` (${f.choices.join(', ')})` : '';
  return [left, `${f.help}${choices}${def}`];
}

function table(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`).join('\n');
}

const argText = (a: Argument) => (a.required ? `<${a.name}>` : `[${a.name}${a.variadic ? '...' : ''}]`);

export function globalHelp(): string {
  return [
    'Usage: ocirun [global options] <command> [options] [arguments]',
    '',
    'An OCI runtime-spec container runtime (runc-compatible command line)',
    '',
    'Global options:',
    table(Object.entries(GLOBAL_FLAGS).map(([n, f]) => flagLine(n, f))),
    '',
    'Commands:',
    table(Object.entries(VERBS).map(([n, v]) => [[n, ...(v.args ?? []).map(argText)].join(' '), v.description])),
    '',
    'Run `ocirun <command> --help` (or `ocirun help <command>`) for the options of a command.',
    '',
  ].join('\n');
}

export function verbHelp(name: string, v: Verb): string {
  const flags = Object.entries(verbFlags(v)).map(([n, f]) => flagLine(n, f));
  const args = (v.args ?? []).filter((a) => a.help).map((a) => [argText(a), a.help!] as [string, string]);
  return [
    `Usage: ocirun ${name} [options]${(v.args ?? []).map((a) => ' ' + argText(a)).join('')}`,
    '',
    v.description,
    ...(args.length ? ['', 'Arguments:', table(args)] : []),
    '',
    'Options:',
    table(flags),
    '',
  ].join('\n');
}
