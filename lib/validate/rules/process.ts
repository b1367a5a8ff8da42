// process: args, cwd, env, oomScoreAdj, ioPriority.
import { posix } from 'node:path';
import type { RuleContext } from '../types.js';
import { arrayAt, numberAt, objectAt, ptr, q, stringAt } from '../json.js';

export default function processRules(ctx: RuleContext): void {
  const p = objectAt(ctx.config.process);
  if (ctx.config.process === undefined) {
    ctx.warn('/process', 'process-missing', 'no "process": the container can be created but not started');
    return;
  }
  if (!p) return;
  if (Array.isArray(p.args) && p.args.length === 0) {
    ctx.error('/process/args', 'process-args-required', 'process.args is empty: it needs at least the program to run');
  } else if (p.args === undefined && p.commandLine === undefined) {
    ctx.error('/process/args', 'process-args-required', 'process.args is missing: it needs at least the program to run');
  }
  const cwd = stringAt(p.cwd);
  if (cwd !== undefined && !posix.isAbsolute(cwd)) {
    ctx.error('/process/cwd', 'process-cwd-absolute', `working directory ${q(cwd)} must be an absolute path (such as "/")`);
  }
  arrayAt(p.env).forEach((entry, i) => {
    if (typeof entry === 'string' && !entry.includes('=')) {
      ctx.warn(ptr('/process/env', i), 'process-env-format', `environment entry ${q(entry)} has no "=": it should read NAME=value`);
    }
  });
  const oom = numberAt(p.oomScoreAdj);
  if (oom !== undefined && (oom < -1000 || oom > 1000)) {
    ctx.error('/process/oomScoreAdj', 'oom-score-adj-range', `oomScoreAdj ${oom} is out of range: the kernel accepts -1000 to 1000`);
  }
  const prio = numberAt(objectAt(p.ioPriority)?.priority);
  if (prio !== undefined && (prio < 0 || prio > 7)) {
    ctx.error('/process/ioPriority/priority', 'io-priority-range', `I/O priority ${prio} is out of range: it goes from 0 (highest) to 7 (lowest)`);
  }
}
