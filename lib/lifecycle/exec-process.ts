// The process `exec` runs: runc's rules. From a process.json as given, or from the container's
// own config.json process with the command line's overrides (args, env, cwd, user, caps, nnp).
import { readFileSync } from 'node:fs';
import { OciError } from '../errors.js';
import type { Process } from '../spec/index.js';
import { describeErrors, validateProcess } from '../validate/index.js';
import { idRangeProblem } from '../validate/rules/ids.js';

export interface ExecOverrides {
  args?: string[];
  env?: string[];
  cwd?: string;
  /** "uid" or "uid:gid" */
  user?: string;
  additionalGids?: string[];
  caps?: string[];
  noNewPrivileges?: boolean;
  tty?: boolean;
  apparmorProfile?: string;
  selinuxLabel?: string;
}

/** `exec --process FILE`: the file's process, validated as config.json's is (schema and rules). */
export function readProcessFile(path: string): Process {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new OciError('ERR_INVALID_ARGUMENT', `--process ${path}: ${(err as Error).message}`);
  }
  let proc: unknown;
  try {
    proc = JSON.parse(text);
  } catch (err) {
    throw new OciError('ERR_INVALID_ARGUMENT', `--process ${path}: not valid JSON: ${(err as Error).message}`);
  }
  const report = validateProcess(proc, { file: path, text });
  if (!report.valid) throw new OciError('ERR_INVALID_ARGUMENT', describeErrors(`--process ${path}`, report));
  return proc as Process;
}

/** A process given to exec (the library's, or --process's): refused with every error's pointer. */
export function checkExecProcess(proc: unknown): Process {
  const report = validateProcess(proc);
  if (!report.valid) throw new OciError('ERR_INVALID_ARGUMENT', describeErrors('exec: invalid process', report));
  return proc as Process;
}

export function buildExecProcess(base: Process, o: ExecOverrides): Process {
  if (!o.args?.length) throw new OciError('ERR_INVALID_ARGUMENT', 'exec: give a command to run, or --process FILE');
  const p: Process = structuredClone(base);
  p.args = o.args;
  delete p.commandLine;
  if (o.env?.length) p.env = mergeEnv(p.env ?? [], o.env);
  if (o.cwd) p.cwd = o.cwd;
  if (o.tty !== undefined) p.terminal = o.tty;
  if (o.user) {
    const m = /^(\d+)(?::(\d+))?$/.exec(o.user);
    if (!m) throw new OciError('ERR_INVALID_ARGUMENT', `--user "${o.user}": expected uid[:gid] (numbers)`);
    p.user = { ...p.user, uid: flagId(`--user "${o.user}"`, m[1], 'uid'), gid: m[2] !== undefined ? flagId(`--user "${o.user}"`, m[2], 'gid') : 0 };
  }
  if (o.additionalGids?.length) {
    const gids = o.additionalGids.map((g) => {
      if (!/^\d+$/.test(g)) throw new OciError('ERR_INVALID_ARGUMENT', `--additional-gids "${g}": expected a number`);
      return flagId(`--additional-gids "${g}"`, g, 'additional gid');
    });
    p.user = { uid: 0, gid: 0, ...p.user, additionalGids: gids };
  }
  if (o.caps?.length) {
    const caps = p.capabilities ?? {};
    for (const set of ['bounding', 'effective', 'permitted', 'ambient'] as const) {
      caps[set] = [...new Set([...(caps[set] ?? []), ...o.caps])];
    }
    p.capabilities = caps;
  }
  if (o.noNewPrivileges) p.noNewPrivileges = true;
  if (o.apparmorProfile) p.apparmorProfile = o.apparmorProfile;
  if (o.selinuxLabel) p.selinuxLabel = o.selinuxLabel;
  return p;
}

/** An id from a flag, refused outside 0..2^31-1 (never wrapped or truncated). */
function flagId(flag: string, digits: string, what: string): number {
  const n = Number(digits);
  const problem = idRangeProblem(n, what);
  if (problem) throw new OciError('ERR_INVALID_ARGUMENT', `${flag}: ${problem}`);
  return n;
}

/** Later entries replace earlier ones with the same name. */
function mergeEnv(base: string[], extra: string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...extra]) out.set(e.split('=', 1)[0], e);
  return [...out.values()];
}
