// root: required on Linux; with a bundle, its path must be a directory.
import { statFact } from '../../host/facts.js';
import { isAbsolute, resolve } from 'node:path';
import type { RuleContext } from '../types.js';
import { objectAt, stringAt } from '../json.js';

export default function root(ctx: RuleContext): void {
  const r = objectAt(ctx.config.root);
  if (ctx.config.root === undefined) {
    // Only Linux configs need it; a config for another platform says so with its own section.
    if (!ctx.config.windows && !ctx.config.vm) ctx.error('/root', 'root-required', 'the container needs a root filesystem: add "root": {"path": "rootfs"}');
    return;
  }
  const path = stringAt(r?.path);
  if (path === undefined || ctx.bundleDir === undefined) return;
  const full = isAbsolute(path) ? path : resolve(ctx.bundleDir, path);
  let st;
  try {
    st = statFact(full);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    ctx.error('/root/path', 'root-path-exists', code === 'ENOENT' ? `root filesystem ${full} does not exist` : `cannot use root filesystem ${full}: ${(err as Error).message}`);
    return;
  }
  if (!st.isDirectory()) ctx.error('/root/path', 'root-path-exists', `root filesystem ${full} is not a directory`);
}
