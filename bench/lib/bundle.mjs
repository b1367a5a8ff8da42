// The busybox bundle every runtime runs: runc-compatible default config (lib/spec/default-config),
// no terminal, /bin/true. A second config runs `sleep` for the exec benchmark; both share one rootfs.
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const APPLETS = ['sh', 'true', 'sleep', 'cat', 'ls'];

export async function makeWorkspace(dist) {
  const { defaultSpec } = await import(join(dist, 'lib', 'spec', 'default-config.js'));
  const dir = mkdtempSync(join(tmpdir(), 'ocirun-bench-'));
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  // Relative links: `busybox --install -s` would point them at the host's /bin/busybox.
  for (const a of APPLETS) symlinkSync('busybox', join(rootfs, 'bin', a));
  for (const d of ['proc', 'dev', 'sys', 'tmp']) mkdirSync(join(rootfs, d));

  // In every container's environment, so the leak check can find them from outside.
  const token = `OCIRUN_BENCH=${dir}`;
  const bundle = (name, args) => {
    const spec = defaultSpec();
    spec.process.terminal = false;
    // The version every contender accepts (crun 1.8 refuses 1.3.0); nothing in it needs newer.
    spec.ociVersion = '1.0.2';
    spec.process.args = args;
    spec.process.env.push(token);
    spec.root = { path: rootfs, readonly: true };
    const b = join(dir, name);
    mkdirSync(b);
    writeFileSync(join(b, 'config.json'), JSON.stringify(spec, null, 2));
    return { dir: b, spec };
  };
  // One state directory per runtime, so the leak check can tell whose state was left behind.
  const root = (name) => {
    const r = join(dir, `root-${name}`);
    mkdirSync(r, { recursive: true });
    return r;
  };
  return { dir, token, rootfs, trueBundle: bundle('bundle-true', ['/bin/true']), sleepBundle: bundle('bundle-sleep', ['/bin/sleep', '3600']), root };
}
