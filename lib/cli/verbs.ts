// Every verb's arguments and flags (runc's surface plus `validate`), and the global flags. Help is
// made from the same tables.
import { UsageError, type Argument, type Flag, type Verb } from './flags.js';

const nonNegativeInt = (flag: string, max = Number.MAX_SAFE_INTEGER) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new UsageError(`invalid value "${value}" for flag --${flag}: expected a non-negative integer`);
  const n = Number(value);
  if (n > max) throw new UsageError(`invalid value "${value}" for flag --${flag}: at most ${max}`);
  return n;
};
/** --preserve-fds: bindings/libc.ts MAX_EXTRA_FDS (not imported: the table loads with no binding). */
const MAX_PRESERVE_FDS = 1000;

/** --help, of the command line and of every verb. */
export const HELP: Flag = { type: 'boolean', short: 'h', help: 'print this help' };

export const GLOBAL_FLAGS: Record<string, Flag> = {
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

export const VERBS: Record<string, Verb> = {
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

/** A verb's flags, --help included. */
export function verbFlags(def: Verb): Record<string, Flag> {
  return { ...def.flags, help: HELP };
}

export const verbNamed = (name: string): Verb | undefined => (Object.hasOwn(VERBS, name) ? VERBS[name] : undefined);
