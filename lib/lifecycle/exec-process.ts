// The process `exec` runs: runc's rules. From a process.json as given, or from the container's
// own config.json process with the command line's overrides (args, env, cwd, user, caps, nnp).
import { readFileSync } from 'node:fs';
import { OciError } from '../errors.js';
import type { Process } from '../spec/index.js';

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

export function readProcessFile(path: string): Process {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new OciError('ERR_INVALID_ARGUMENT', `--process ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as Process;
  } catch (err) {
    throw new OciError('ERR_INVALID_ARGUMENT', `--process ${path}: not valid JSON: ${(err as Error).message}`);
  }
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
    p.user = { ...p.user, uid: Number(m[1]), gid: m[2] !== undefined ? Number(m[2]) : 0 };
  }
  if (o.additionalGids?.length) {
    const gids = o.additionalGids.map((g) => {
      if (!/^\d+$/.test(g)) throw new OciError('ERR_INVALID_ARGUMENT', `--additional-gids "${g}": expected a number`);
      return Number(g);
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

/** Later entries replace earlier ones with the same name. */
function mergeEnv(base: string[], extra: string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...extra]) out.set(e.split('=', 1)[0], e);
  return [...out.values()];
}
