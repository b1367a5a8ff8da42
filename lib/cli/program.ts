// Argument definitions for every verb (runc's surface plus `validate`), and the parser that reads
// them. Each verb's module (./commands) is imported only when it runs; the modules parse nothing,
// they call the library. Help is made from the same table. commander did this before: loading it,
// building its program and parsing cost ~3 ms of every call; util.parseArgs after it cost ~1.3 ms
// on its first call (see tokenize), so the words are split here.
import { Logger, type LogFormat } from './log.js';
import { writeErr, writeOut } from './output.js';
import { reportError } from './report-error.js';
import { VERSION, SPEC_VERSION } from '../version.js';

export interface GlobalOptions {
  root: string;
  log?: string;
  logFormat: LogFormat;
  debug: boolean;
  systemdCgroup: boolean;
  rootless: string;
}

export interface CommandContext {
  globals: GlobalOptions;
  logger: Logger;
}

/** What every command module exports: run with parsed positionals and options, return exit code. */
export type CommandMain = (ctx: CommandContext, args: string[], opts: Record<string, any>) => Promise<number | void>;

const nonNegativeInt = (flag: string, max = Number.MAX_SAFE_INTEGER) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new UsageError(`invalid value "${value}" for flag --${flag}: expected a non-negative integer`);
  const n = Number(value);
  if (n > max) throw new UsageError(`invalid value "${value}" for flag --${flag}: at most ${max}`);
  return n;
};
/** --preserve-fds: bindings/libc.ts MAX_EXTRA_FDS (not imported: the table loads with no binding). */
const MAX_PRESERVE_FDS = 1000;

/** A flag: `--name`; `--no-name` flags set `name` to false (true unless given). */
interface Flag {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's name in help (`--root <dir>`). */
  value?: string;
  help: string;
  default?: string | boolean | number | string[];
  multiple?: boolean;
  choices?: readonly string[];
  parse?: (value: string) => unknown;
}

interface Argument {
  name: string;
  required?: boolean;
  variadic?: boolean;
  help?: string;
}

interface Verb {
  description: string;
  args?: Argument[];
  flags?: Record<string, Flag>;
  /** Flags only before the first argument; the rest is the argument list as given (exec's command, ps's arguments). */
  flagsFirst?: boolean;
}

class UsageError extends Error {}

/** A verb that does not exist: runc (urfave/cli) says "No help topic for 'x'" and exits 3. */
export class UnknownCommandError extends UsageError {
  constructor(readonly command: string) {
    super(`No help topic for '${command}'`);
  }
}
const UNKNOWN_COMMAND_EXIT = 3;

/** --help, of the command line and of every verb. */
const HELP: Flag = { type: 'boolean', short: 'h', help: 'print this help' };

const GLOBAL_FLAGS: Record<string, Flag> = {
  root: { type: 'string', value: 'dir', help: 'directory for container state (default /run/ocirun; not root: $XDG_RUNTIME_DIR/ocirun)' },
  log: { type: 'string', value: 'file', help: 'write log lines to this file (default: stderr)' },
  'log-format': { type: 'string', value: 'format', help: 'format of the log file', default: 'text', choices: ['text', 'json'] },
  debug: { type: 'boolean', help: 'log debug messages', default: false },
  'systemd-cgroup': { type: 'boolean', help: 'manage cgroups through systemd (not supported: ocirun refuses it when used)', default: false },
  rootless: { type: 'string', value: 'mode', help: 'rootless mode', default: 'auto', choices: ['auto', 'true', 'false'] },
  criu: { type: 'string', value: 'path', help: 'accepted for runc compatibility; checkpointing is not supported' },
  version: { type: 'boolean', short: 'v', help: 'print the ocirun and runtime-spec versions' },
  help: HELP,
};

const ID: Argument = { name: 'container-id', required: true };

const CREATE_FLAGS: Record<string, Flag> = {
  bundle: { type: 'string', short: 'b', value: 'dir', help: 'path to the bundle directory', default: '.' },
  'console-socket': { type: 'string', value: 'path', help: 'unix socket that receives the pty master of a terminal container' },
  'pid-file': { type: 'string', value: 'file', help: 'write the container process id to this file' },
  'no-pivot': { type: 'boolean', help: 'do not use pivot_root to enter the rootfs (MS_MOVE + chroot instead)' },
  'no-new-keyring': { type: 'boolean', help: 'do not create a new session keyring for the container' },
  'preserve-fds': { type: 'string', value: 'n', help: 'pass N additional file descriptors (3..3+N-1) to the container', default: 0, parse: nonNegativeInt('preserve-fds', MAX_PRESERVE_FDS) },
};
const FORMAT: Flag = { type: 'string', short: 'f', value: 'format', help: 'output format', default: 'table', choices: ['table', 'json'] };

/** runc's checkpoint and restore flags: read, so the refusal names CRIU rather than a flag. */
const CRIU_FLAGS = (() => {
  const s = (help: string): Flag => ({ type: 'string', value: 'value', help });
  const f = (help: string): Flag => ({ type: 'boolean', help });
  const common = {
    'image-path': s('path to criu image files'),
    'work-path': s('path for work files and logs'),
    'tcp-established': f('allow open tcp connections'),
    'ext-unix-sk': f('allow external unix sockets'),
    'shell-job': f('allow shell jobs'),
    'file-locks': f('handle file locks'),
    'lazy-pages': f('use userfaultfd to lazily restore memory pages'),
    'manage-cgroups-mode': s("cgroups mode: 'soft', 'full' or 'strict'"),
    'empty-ns': s("create a namespace, but don't restore its properties"),
    'auto-dedup': f('enable auto deduplication of memory images'),
  };
  return {
    checkpoint: {
      ...common,
      'parent-path': s('path for previous criu image files in pre-dump'),
      'leave-running': f('leave the process running after checkpointing'),
      'status-fd': s('criu writes \\0 to this fd once lazy-pages is ready'),
      'page-server': s('ADDRESS:PORT of the page server'),
      'pre-dump': f('dump memory only, leave the container running'),
    },
    restore: {
      ...common,
      'console-socket': s('unix socket that receives the pty master'),
      bundle: { type: 'string', short: 'b', value: 'dir', help: 'path to the bundle directory' },
      detach: { type: 'boolean', short: 'd', help: 'detach from the container process' },
      'pid-file': s('write the container process id to this file'),
      'no-subreaper': f('disable the subreaper'),
      'no-pivot': f('do not use pivot_root'),
      'lsm-profile': s('LSM profile, TYPE:NAME'),
      'lsm-mount-context': s('LSM mount context'),
    },
  } satisfies Record<string, Record<string, Flag>>;
})();

const VERBS: Record<string, Verb> = {
  create: { description: 'create a container (its process waits for `start`)', args: [ID], flags: CREATE_FLAGS },
  run: {
    description: 'create and start a container, wait for it and return its exit code',
    args: [ID],
    flags: {
      ...CREATE_FLAGS,
      detach: { type: 'boolean', short: 'd', help: 'detach from the container process', default: false },
      keep: { type: 'boolean', help: 'do not delete the container after it exits', default: false },
      'no-subreaper': { type: 'boolean', help: 'accepted for runc compatibility' },
    },
  },
  start: { description: 'run the user-specified program of a created container', args: [ID] },
  state: { description: 'print the state of a container as JSON', args: [ID] },
  kill: {
    description: 'send a signal to the container process (default SIGTERM)',
    args: [ID, { name: 'signal', help: 'signal name (KILL, SIGKILL) or number (default: SIGTERM)' }],
    flags: { all: { type: 'boolean', short: 'a', help: 'send the signal to every process in the container', default: false } },
  },
  delete: {
    description: 'delete a stopped container and everything it created',
    args: [ID],
    flags: { force: { type: 'boolean', short: 'f', help: 'kill the container first if it is still running', default: false } },
  },
  list: {
    description: 'list containers',
    flags: { format: FORMAT, quiet: { type: 'boolean', short: 'q', help: 'print only container ids', default: false } },
  },
  exec: {
    description: 'run a new process inside a running container',
    args: [ID, { name: 'command', variadic: true, help: 'command and arguments' }],
    flagsFirst: true,
    flags: {
      'console-socket': { type: 'string', value: 'path', help: 'unix socket that receives the pty master' },
      cwd: { type: 'string', value: 'dir', help: 'working directory inside the container' },
      env: { type: 'string', short: 'e', value: 'var', help: 'set an environment variable (repeatable)', multiple: true, default: [] },
      tty: { type: 'boolean', short: 't', help: 'allocate a pseudo-TTY', default: false },
      user: { type: 'string', short: 'u', value: 'uid[:gid]', help: 'user to run as' },
      'additional-gids': { type: 'string', short: 'g', value: 'gid', help: 'additional group (repeatable)', multiple: true, default: [] },
      process: { type: 'string', short: 'p', value: 'file', help: "process.json describing the process (as config.json's process)" },
      detach: { type: 'boolean', short: 'd', help: 'detach from the process', default: false },
      'pid-file': { type: 'string', value: 'file', help: 'write the process id to this file' },
      'process-label': { type: 'string', value: 'label', help: 'SELinux label for the process' },
      apparmor: { type: 'string', value: 'profile', help: 'AppArmor profile for the process' },
      'no-new-privs': { type: 'boolean', help: 'set no_new_privs for the process' },
      cap: { type: 'string', short: 'c', value: 'cap', help: 'add a capability (repeatable)', multiple: true, default: [] },
      'preserve-fds': { type: 'string', value: 'n', help: 'pass N additional file descriptors', default: 0, parse: nonNegativeInt('preserve-fds', MAX_PRESERVE_FDS) },
      cgroup: { type: 'string', value: '[controller[,controller]:]path', help: "run the process in an existing sub-cgroup of the container's (repeatable, one per controller)", multiple: true, default: [] },
      'ignore-paused': { type: 'boolean', help: 'allow exec in a paused container (the process stays frozen until resume)', default: false },
    },
  },
  ps: {
    description: 'list the processes of a container',
    args: [ID, { name: 'ps-args', variadic: true, help: 'arguments for ps(1), as given (default: -ef)' }],
    // As runc: the words after the id are ps(1)'s, flags included (`ps CT -e -x`).
    flagsFirst: true,
    flags: { format: FORMAT },
  },
  pause: { description: 'freeze every process of a container', args: [ID] },
  resume: { description: 'thaw a paused container', args: [ID] },
  events: {
    description: 'print container events',
    args: [ID],
    flags: {
      stats: { type: 'boolean', help: 'print stats once and exit', default: false },
      interval: { type: 'string', value: 'duration', help: 'stats interval', default: '5s' },
    },
  },
  update: {
    description: 'update container resource limits',
    args: [ID],
    flags: {
      resources: { type: 'string', short: 'r', value: 'file', help: 'resources JSON file (linux.resources of config.json; "-" for stdin)' },
      memory: { type: 'string', value: 'bytes', help: 'memory limit (e.g. 64m; -1: none)' },
      'memory-reservation': { type: 'string', value: 'bytes', help: 'memory soft limit' },
      'memory-swap': { type: 'string', value: 'bytes', help: 'memory plus swap limit' },
      'kernel-memory': { type: 'string', value: 'bytes', help: 'kernel memory limit (v1 kernels that have it)' },
      'kernel-memory-tcp': { type: 'string', value: 'bytes', help: 'kernel TCP buffer limit (v1 kernels that have it)' },
      'cpu-period': { type: 'string', value: 'us', help: 'CPU CFS period' },
      'cpu-quota': { type: 'string', value: 'us', help: 'CPU CFS quota (-1: none)' },
      'cpu-share': { type: 'string', value: 'n', help: 'CPU shares (relative weight)' },
      'cpu-rt-period': { type: 'string', value: 'us', help: 'CPU real-time period' },
      'cpu-rt-runtime': { type: 'string', value: 'us', help: 'CPU real-time runtime' },
      'cpuset-cpus': { type: 'string', value: 'list', help: 'CPUs to use (0-2,4)' },
      'cpuset-mems': { type: 'string', value: 'list', help: 'memory nodes to use' },
      'pids-limit': { type: 'string', value: 'n', help: 'maximum number of processes (-1: none)' },
      'blkio-weight': { type: 'string', value: 'n', help: 'block IO weight (10-1000)' },
    },
  },
  features: { description: 'print the features document of this runtime (runtime-spec features.md)' },
  checkpoint: { description: 'checkpoint a running container (not supported: ocirun has no CRIU support)', args: [ID], flags: CRIU_FLAGS.checkpoint },
  restore: { description: 'restore a container from a checkpoint (not supported: ocirun has no CRIU support)', args: [ID], flags: CRIU_FLAGS.restore },
  spec: {
    description: 'write a default config.json into the bundle',
    flags: {
      bundle: { type: 'string', short: 'b', value: 'dir', help: 'bundle directory', default: '.' },
      rootless: { type: 'boolean', help: 'a config for rootless containers', default: false },
    },
  },
  validate: {
    description: 'check a bundle against the runtime-spec and report every problem',
    args: [{ name: 'bundle', help: 'bundle directory (default: ".")' }],
    flags: { json: { type: 'boolean', help: 'print the report as JSON', default: false } },
  },
};

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * The flags given, by camel-cased name, defaults filled in, choices and values checked. A
 * `--no-x` flag sets `x` to false, true when not given (what the command modules read).
 */
function parseFlags(args: string[], flags: Record<string, Flag>, allowPositionals: boolean): { values: Record<string, any>; positionals: string[] } {
  const { given, positionals } = tokenize(args, flags, allowPositionals);
  const values: Record<string, any> = {};
  for (const name in flags) {
    const f = flags[name];
    if (name.startsWith('no-')) {
      values[camel(name.slice(3))] = given[name] === undefined;
      continue;
    }
    const value = given[name];
    if (value === undefined) {
      // A copy: the table's own default array must not reach a command that could change it.
      if (f.default !== undefined) values[camel(name)] = Array.isArray(f.default) ? [...f.default] : f.default;
      continue;
    }
    if (f.choices && !f.choices.includes(value as string)) {
      throw new UsageError(`invalid value "${value}" for flag --${name}: expected one of ${f.choices.join(', ')}`);
    }
    values[camel(name)] = f.parse ? f.parse(value as string) : value;
  }
  return { values, positionals };
}

/**
 * Splits words into flags and positionals as POSIX utilities and util.parseArgs (strict) do:
 * `--name`, `--name=value`, `--name value`, `-x`, `-x value`, `-xvalue`, short flags grouped
 * (`-te`, the last one may take a value, `-turoot`), a lone `-` is a word, `--` ends the flags.
 * A value may not start with "-" unless attached (`--preserve-fds=-1`). Hand-written over the
 * flag table: util.parseArgs did the same, but its first call cost ~1.3 ms of every CLI start
 * (Node compiling its module and functions), a tenth of the start-up budget.
 */
function tokenize(args: string[], flags: Record<string, Flag>, allowPositionals: boolean): { given: Record<string, string | boolean | string[]>; positionals: string[] } {
  const given: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  const set = (name: string, value: string | boolean) => {
    given[name] = flags[name].multiple ? [...((given[name] as string[] | undefined) ?? []), value as string] : value;
  };
  // The value of a flag that takes one: attached, else the next word.
  const valueOf = (name: string, attached: string | undefined, at: number): string => {
    if (attached !== undefined) return attached;
    const next = args[at];
    if (next === undefined) throw new UsageError(`flag --${name} needs a value`);
    if (next.length > 1 && next.startsWith('-')) throw new UsageError(`flag --${name} needs a value (one that starts with "-" is written --${name}=-value)`);
    return next;
  };
  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    if (word === '--') {
      if (!allowPositionals && i + 1 < args.length) throw new UsageError(`unexpected argument ${JSON.stringify(args[i + 1])}`);
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq < 0 ? word.slice(2) : word.slice(2, eq);
      if (!Object.hasOwn(flags, name)) throw new UsageError(`unknown flag --${name}`);
      const attached = eq < 0 ? undefined : word.slice(eq + 1);
      if (flags[name].type === 'boolean') {
        if (attached !== undefined) throw new UsageError(`flag --${name} takes no value`);
        set(name, true);
      } else {
        set(name, valueOf(name, attached, i + 1));
        if (attached === undefined) i++;
      }
    } else if (word.startsWith('-') && word !== '-') {
      for (let k = 1; k < word.length; k++) {
        const name = shortFlag(word[k], flags);
        if (name === undefined) throw new UsageError(`unknown flag -${word[k]}`);
        if (flags[name].type === 'boolean') {
          set(name, true);
          continue;
        }
        // A flag that takes a value takes the rest of the group, else the next word.
        const attached = k + 1 < word.length ? word.slice(k + 1) : undefined;
        set(name, valueOf(name, attached, i + 1));
        if (attached === undefined) i++;
        break;
      }
    } else {
      if (!allowPositionals) throw new UsageError(`unexpected argument ${JSON.stringify(word)}`);
      positionals.push(word);
    }
  }
  return { given, positionals };
}

function shortFlag(letter: string, flags: Record<string, Flag>): string | undefined {
  for (const name in flags) if (flags[name].short === letter) return name;
  return undefined;
}

// Everything below reads the flag tables above: which words are flags, which take the next word.

/** `-bundle x` and `-bundle=x` as Go clients write long flags (urfave/cli accepts them) → `--bundle…`. */
function dashDash(word: string, flags: Record<string, Flag>): string {
  const m = /^-([a-z][a-z-]+)(=.*)?$/.exec(word);
  return m && Object.hasOwn(flags, m[1]) ? `-${word}` : word;
}

/** Does this flag word take the next word as its value? (`--root`, `-e`, and `-te`: a group ending in -e.) */
function needsValue(word: string, flags: Record<string, Flag>): boolean {
  if (word.startsWith('--')) return !word.includes('=') && flags[word.slice(2)]?.type === 'string';
  const short = new Set(Object.values(flags).filter((f) => f.type === 'string' && f.short).map((f) => f.short));
  for (let k = 1; k < word.length; k++) {
    // In a group, the first letter that takes a value takes the rest of the word as it.
    if (short.has(word[k])) return k === word.length - 1;
  }
  return false;
}

const isWord = (a: string) => !a.startsWith('-') || a === '-';

/**
 * Flag words with one-dash long flags written with two, up to where flags end: the first word
 * that is not a flag or a flag's value (when `untilWord`), or `--`. `end` is the index of that
 * word (`--` itself included in `flagArgs`' end), or the length.
 */
function scanFlags(args: string[], flags: Record<string, Flag>, untilWord: boolean): { flagArgs: string[]; end: number } {
  const flagArgs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--' || (untilWord && isWord(args[i]))) return { flagArgs, end: i };
    const word = untilWord || !isWord(args[i]) ? dashDash(args[i], flags) : args[i];
    flagArgs.push(word);
    if (!isWord(word) && needsValue(word, flags) && i + 1 < args.length) flagArgs.push(args[++i]);
  }
  return { flagArgs, end: args.length };
}

/** A verb's flags, --help included. */
function verbFlags(def: Verb): Record<string, Flag> {
  return { ...def.flags, help: HELP };
}

/**
 * Rewrites one-dash long flags (`-bundle x`) to two-dash ones, never inside the command line given
 * to `exec` or after `--`, and finds the verb: the first word that is not a global flag or its value.
 */
export function scanArgv(argv: string[]): { argv: string[]; verb?: string } {
  const { globalArgs, end, at } = splitAtVerb(argv);
  const verb = argv[at];
  if (verb === undefined) return { argv: [...globalArgs, ...argv.slice(end)] };
  const rest = argv.slice(at + 1);
  const def = verbNamed(verb);
  const own = def ? scanFlags(rest, verbFlags(def), !!def.flagsFirst) : { flagArgs: [], end: 0 };
  return { argv: [...globalArgs, ...argv.slice(end, at + 1), ...own.flagArgs, ...rest.slice(own.end)], verb };
}

/** The global flag words, where they end, and where the verb is (`--` before it only ends them). */
function splitAtVerb(argv: string[]): { globalArgs: string[]; end: number; at: number } {
  const { flagArgs, end } = scanFlags(argv, GLOBAL_FLAGS, true);
  return { globalArgs: flagArgs, end, at: argv[end] === '--' ? end + 1 : end };
}

const verbNamed = (name: string): Verb | undefined => (Object.hasOwn(VERBS, name) ? VERBS[name] : undefined);

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

function globalHelp(): string {
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

function verbHelp(name: string, v: Verb): string {
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

/** Globals, verb, positionals and flags from the command line; help and version print and end. */
export function parseCommandLine(argv: string[]): { done: number } | { verb: string; globals: GlobalOptions; args: string[]; opts: Record<string, any> } {
  const { globalArgs, at } = splitAtVerb(argv);
  const { values: g } = parseFlags(globalArgs, GLOBAL_FLAGS, false);
  if (g.version) {
    writeOut(`ocirun version ${VERSION}\nspec: ${SPEC_VERSION}\n`);
    return { done: 0 };
  }
  if (g.help) {
    writeOut(globalHelp());
    return { done: 0 };
  }
  // A bare `ocirun` prints the help and succeeds, as runc does.
  if (at >= argv.length) {
    writeOut(globalHelp());
    return { done: 0 };
  }
  const verb = argv[at];
  // `ocirun help [verb]`, as urfave/cli (runc) and commander offer it.
  if (verb === 'help' || verb === 'h') {
    const topic = argv[at + 1];
    if (topic !== undefined && !verbNamed(topic)) throw new UnknownCommandError(topic);
    writeOut(topic === undefined ? globalHelp() : verbHelp(topic, VERBS[topic]));
    return { done: 0 };
  }
  const def = verbNamed(verb);
  if (!def) throw new UnknownCommandError(verb);
  const rest = argv.slice(at + 1);
  const flags = verbFlags(def);
  let values: Record<string, any>;
  let args: string[];
  if (def.flagsFirst) {
    // exec's flags end at its first argument (the container id): the command line after it is kept as given.
    const own = scanFlags(rest, flags, true);
    values = parseFlags(own.flagArgs, flags, false).values;
    args = rest.slice(rest[own.end] === '--' ? own.end + 1 : own.end);
  } else {
    ({ values, positionals: args } = parseFlags(rest, flags, true));
  }
  if (values.help) {
    writeOut(verbHelp(verb, def));
    return { done: 0 };
  }
  delete values.help;
  const expected = def.args ?? [];
  const missing = expected.find((a, i) => a.required && args[i] === undefined);
  if (missing) throw new UsageError(`${verb}: missing argument <${missing.name}> (see \`ocirun ${verb} --help\`)`);
  if (!expected.some((a) => a.variadic) && args.length > expected.length) {
    throw new UsageError(`${verb}: too many arguments: expected ${expected.length}, got ${args.length}, from ${JSON.stringify(args[expected.length])} on (see \`ocirun ${verb} --help\`)`);
  }
  const globals: GlobalOptions = { root: g.root, log: g.log, logFormat: g.logFormat, debug: g.debug, systemdCgroup: g.systemdCgroup, rootless: g.rootless };
  return { verb, globals, args, opts: values };
}

// Static import() per verb: loaded only when that verb runs, and visible to the bundler, which
// folds the whole CLI into one file (module loading was most of the start-up time).
const COMMANDS: Record<string, () => Promise<{ default: CommandMain }>> = {
  create: () => import('./commands/create.js'),
  run: () => import('./commands/run.js'),
  start: () => import('./commands/start.js'),
  state: () => import('./commands/state.js'),
  kill: () => import('./commands/kill.js'),
  delete: () => import('./commands/delete.js'),
  list: () => import('./commands/list.js'),
  exec: () => import('./commands/exec.js'),
  ps: () => import('./commands/ps.js'),
  pause: () => import('./commands/pause.js'),
  resume: () => import('./commands/resume.js'),
  events: () => import('./commands/events.js'),
  update: () => import('./commands/update.js'),
  checkpoint: () => import('./commands/checkpoint.js'),
  restore: () => import('./commands/checkpoint.js'),
  features: () => import('./commands/features.js'),
  spec: () => import('./commands/spec.js'),
  validate: () => import('./commands/validate.js'),
};

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(scanArgv(argv).argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    writeErr(`ocirun: ${err.message}\n`);
    return err instanceof UnknownCommandError ? UNKNOWN_COMMAND_EXIT : 1;
  }
  if ('done' in parsed) return parsed.done;
  const { verb, globals, args, opts } = parsed;
  const logger = new Logger(globals.log, globals.logFormat, globals.debug);
  try {
    const mod = await COMMANDS[verb]();
    return (await mod.default({ globals, logger }, args, opts)) ?? 0;
  } catch (err) {
    return reportError(err, logger, verb);
  }
}
