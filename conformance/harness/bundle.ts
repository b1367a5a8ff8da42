// Bundles: the default config of `runc spec` (stored fixture), made non-interactive, plus a patch
// per test; each bundle gets its own rootfs cloned from the run's busybox template, because
// runtimes create mount points (and tests create files) inside the rootfs.
import { copyFileSync, constants, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { CONFORMANCE_DIR } from './env.js';

// Config documents are JSON edited by each test; a structural type would only restate the schema.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Config = Record<string, any>;

const BASE: Config = JSON.parse(readFileSync(join(CONFORMANCE_DIR, 'fixtures/runc-spec-config.json'), 'utf8'));

/** The base config: `runc spec` output with terminal off, so stdio can be captured. */
export function baseConfig(args: string[] = ['true']): Config {
  const c = structuredClone(BASE);
  c.process.terminal = false;
  c.process.args = args;
  return c;
}

export interface Bundle {
  /** container id this bundle was made for */
  id: string;
  dir: string;
  rootfs: string;
  config: Config;
  /** rewrite config.json after changing `config` */
  save(): void;
}

export function cloneTree(src: string, dst: string): void {
  mkdirSync(dst, { recursive: true });
  for (const e of readdirSync(src)) {
    const s = join(src, e);
    const d = join(dst, e);
    const st = lstatSync(s);
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(s), d);
    else if (st.isDirectory()) cloneTree(s, d);
    else {
      copyFileSync(s, d, constants.COPYFILE_FICLONE);
      chmodSync(d, st.mode & 0o7777);
    }
  }
}

export function writeBundle(dir: string, id: string, template: string, config: Config): Bundle {
  const rootfs = join(dir, 'rootfs');
  cloneTree(template, rootfs);
  const b: Bundle = {
    id,
    dir,
    rootfs,
    config,
    save() {
      writeFileSync(join(dir, 'config.json'), JSON.stringify(b.config, null, 2));
    },
  };
  b.save();
  return b;
}
