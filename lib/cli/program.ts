// Argument definitions for every verb (runc's surface plus `validate`). Each action imports its
// module from ./commands only when it runs; the modules parse nothing, they call the library.
import { Command, Option } from 'commander';
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

const collect = (value: string, previous: string[] = []) => [...previous, value];
const nonNegativeInt = (flag: string) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new Error(`invalid value "${value}" for flag --${flag}: expected a non-negative integer`);
  return Number(value);
};

// Flags that Go-based clients may spell with one dash (urfave/cli accepts `-bundle`).
const LONG_FLAGS = new Set([
  'root', 'log', 'log-format', 'debug', 'systemd-cgroup', 'rootless', 'criu', 'bundle', 'console-socket', 'pid-file',
  'no-pivot', 'no-new-keyring', 'preserve-fds', 'detach', 'keep', 'no-subreaper', 'all', 'force', 'format',
  'quiet', 'cwd', 'env', 'tty', 'user', 'process', 'cap', 'additional-gids', 'process-label', 'apparmor',
  'no-new-privs', 'stats', 'interval', 'json', 'version', 'help',
]);

/**
 * Rewrites `-bundle x` to `--bundle x`, but never inside the command line given to `exec`, and
 * finds the verb: the first word that is not a global flag or its value.
 */
export function scanArgv(argv: string[]): { argv: string[]; verb?: string } {
  const out: string[] = [];
  let verb: string | undefined;
  let positionals = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (verb === 'exec' && positionals >= 1) {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^-([a-z][a-z-]+)(=.*)?$/.exec(a);
    if (m && LONG_FLAGS.has(m[1])) {
      out.push('-' + a);
      continue;
    }
    if (!a.startsWith('-')) {
      if (verb === undefined && !isGlobalValue(argv, i)) verb = a;
      else if (verb !== undefined && !isOptionValue(argv, i)) positionals++;
    }
    out.push(a);
  }
  return { argv: out, verb };
}

const GLOBAL_WITH_VALUE = new Set(['--root', '-root', '--log', '-log', '--log-format', '-log-format', '--rootless', '-rootless', '--criu', '-criu']);
function isGlobalValue(argv: string[], i: number): boolean {
  return i > 0 && GLOBAL_WITH_VALUE.has(argv[i - 1]);
}
const EXEC_WITH_VALUE = new Set([
  '--console-socket', '--cwd', '-e', '--env', '-u', '--user', '-p', '--process', '--pid-file', '--process-label',
  '--apparmor', '-c', '--cap', '--preserve-fds', '-g', '--additional-gids',
]);
function isOptionValue(argv: string[], i: number): boolean {
  const prev = argv[i - 1]?.replace(/^-([a-z])/, '--$1');
  return i > 0 && (EXEC_WITH_VALUE.has(argv[i - 1]) || EXEC_WITH_VALUE.has(prev ?? '') || GLOBAL_WITH_VALUE.has(argv[i - 1]));
}

export function buildProgram(
  onAction: (verb: string, args: string[], opts: Record<string, any>, globals: GlobalOptions) => void,
  only?: string,
): Command {
  const program = new Command('ocirun')
    .description('An OCI runtime-spec container runtime (runc-compatible command line)')
    .version(`ocirun version ${VERSION}\nspec: ${SPEC_VERSION}`, '-v, --version', 'print the ocirun and runtime-spec versions')
    .option('--root <dir>', 'directory for container state', '/run/ocirun')
    .option('--log <file>', 'write log lines to this file (default: stderr)')
    .addOption(new Option('--log-format <format>', 'format of the log file').choices(['text', 'json']).default('text'))
    .option('--debug', 'log debug messages', false)
    .option('--systemd-cgroup', 'manage cgroups through systemd (not supported: ocirun refuses it when used)', false)
    .addOption(new Option('--rootless <mode>', 'rootless mode').choices(['auto', 'true', 'false']).default('auto'))
    .option('--criu <path>', 'accepted for runc compatibility; checkpointing is not supported')
    // Global flags come before the verb (as with runc), which exec's passThroughOptions requires.
    .enablePositionalOptions()
    .showHelpAfterError()
    .configureOutput({ writeOut, writeErr });

  const verb = (name: string, description: string) => {
    const cmd = program.command(name).description(description);
    cmd.action(function (this: Command) {
      onAction(name, this.args, this.opts(), program.opts() as GlobalOptions);
    });
    return cmd;
  };
  const createFlags = (cmd: Command) =>
    cmd
      .option('-b, --bundle <dir>', 'path to the bundle directory', '.')
      .option('--console-socket <path>', 'unix socket that receives the pty master of a terminal container')
      .option('--pid-file <file>', 'write the container process id to this file')
      .option('--no-pivot', 'do not use pivot_root to enter the rootfs (MS_MOVE + chroot instead)')
      .option('--no-new-keyring', 'do not create a new session keyring for the container')
      .option('--preserve-fds <n>', 'pass N additional file descriptors (3..3+N-1) to the container', nonNegativeInt('preserve-fds'), 0);

  // Only the verb being run is defined (building all sixteen cost ~4 ms of every call); help and
  // unknown verbs get them all.
  const definitions: Record<string, () => void> = {
    create: () => {
      createFlags(verb('create', 'create a container (its process waits for `start`)').argument('<container-id>'));
    },
    run: () => {
      createFlags(verb('run', 'create and start a container, wait for it and return its exit code').argument('<container-id>'))
        .option('-d, --detach', 'detach from the container process', false)
        .option('--keep', 'do not delete the container after it exits', false)
        .option('--no-subreaper', 'accepted for runc compatibility');
    },
    start: () => {
      verb('start', 'run the user-specified program of a created container').argument('<container-id>');
    },
    state: () => {
      verb('state', 'print the state of a container as JSON').argument('<container-id>');
    },
    kill: () => {
      verb('kill', 'send a signal to the container process (default SIGTERM)')
        .argument('<container-id>')
        .argument('[signal]', 'signal name (KILL, SIGKILL) or number', 'SIGTERM')
        .option('-a, --all', 'send the signal to every process in the container', false);
    },
    delete: () => {
      verb('delete', 'delete a stopped container and everything it created')
        .argument('<container-id>')
        .option('-f, --force', 'kill the container first if it is still running', false);
    },
    list: () => {
      verb('list', 'list containers')
        .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
        .option('-q, --quiet', 'print only container ids', false);
    },
    exec: () => {
      verb('exec', 'run a new process inside a running container')
        .argument('<container-id>')
        .argument('[command...]', 'command and arguments')
        .option('--console-socket <path>', 'unix socket that receives the pty master')
        .option('--cwd <dir>', 'working directory inside the container')
        .option('-e, --env <var>', 'set an environment variable (repeatable)', collect, [])
        .option('-t, --tty', 'allocate a pseudo-TTY', false)
        .option('-u, --user <uid[:gid]>', 'user to run as')
        .option('-g, --additional-gids <gid>', 'additional group (repeatable)', collect, [])
        .option('-p, --process <file>', 'process.json describing the process (as config.json\'s process)')
        .option('-d, --detach', 'detach from the process', false)
        .option('--pid-file <file>', 'write the process id to this file')
        .option('--process-label <label>', 'SELinux label for the process')
        .option('--apparmor <profile>', 'AppArmor profile for the process')
        .option('--no-new-privs', 'set no_new_privs for the process')
        .option('-c, --cap <cap>', 'add a capability (repeatable)', collect, [])
        .option('--preserve-fds <n>', 'pass N additional file descriptors', nonNegativeInt('preserve-fds'), 0)
        .passThroughOptions();
    },
    ps: () => {
      verb('ps', 'list the processes of a container')
        .argument('<container-id>')
        .argument('[ps-args...]')
        .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'));
    },
    pause: () => {
      verb('pause', 'freeze every process of a container').argument('<container-id>');
    },
    resume: () => {
      verb('resume', 'thaw a paused container').argument('<container-id>');
    },
    events: () => {
      verb('events', 'print container events').argument('<container-id>').option('--stats', 'print stats once and exit', false).option('--interval <duration>', 'stats interval', '5s');
    },
    update: () => {
      verb('update', 'update container resource limits').argument('<container-id>').option('-r, --resources <file>', 'resources JSON file ("-" for stdin)');
    },
    features: () => {
      verb('features', 'print the features document of this runtime (runtime-spec features.md)');
    },
    spec: () => {
      verb('spec', 'write a default config.json into the bundle')
        .option('-b, --bundle <dir>', 'bundle directory', '.')
        .option('--rootless', 'a config for rootless containers', false);
    },
    validate: () => {
      verb('validate', 'check a bundle against the runtime-spec and report every problem')
        .argument('[bundle]', 'bundle directory', '.')
        .option('--json', 'print the report as JSON', false);
    },
  };
  for (const [name, define] of Object.entries(definitions)) if (!only || only === name || !(only in definitions)) define();
  return program;
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
  features: () => import('./commands/features.js'),
  spec: () => import('./commands/spec.js'),
  validate: () => import('./commands/validate.js'),
};

export async function run(argv: string[]): Promise<number> {
  let pending: Promise<number> | undefined;
  const scanned = scanArgv(argv);
  const program = buildProgram((verb, args, opts, globals) => {
    const logger = new Logger(globals.log, globals.logFormat, globals.debug);
    const ctx: CommandContext = { globals, logger };
    pending = (async () => {
      try {
        const mod = await COMMANDS[verb]();
        return (await mod.default(ctx, args, opts)) ?? 0;
      } catch (err) {
        return reportError(err, logger, verb);
      }
    })();
  }, scanned.verb);
  program.exitOverride();
  try {
    await program.parseAsync(scanned.argv, { from: 'user' });
  } catch (err: any) {
    // commander already printed usage errors; --help and --version exit 0.
    if (err?.code === 'commander.helpDisplayed' || err?.code === 'commander.version' || err?.code === 'commander.help') return 0;
    return typeof err?.exitCode === 'number' ? err.exitCode || 1 : 1;
  }
  return pending ? pending : 0;
}
