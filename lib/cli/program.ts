// The command line: globals, the verb and its flags parsed from the tables in ./verbs, then the
// verb's module (./commands) imported and run. The modules parse nothing; they call the library.
import { Logger, type LogFormat } from './log.js';
import { writeErr, writeOut } from './output.js';
import { reportError } from './report-error.js';
import { VERSION, SPEC_VERSION } from '../version.js';
import { parseFlags, scanFlags, UNKNOWN_COMMAND_EXIT, UnknownCommandError, UsageError } from './flags.js';
import { GLOBAL_FLAGS, VERBS, verbFlags, verbNamed } from './verbs.js';
import { globalHelp, verbHelp } from './help.js';

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
