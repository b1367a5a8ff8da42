// The busybox bundle every runtime runs: runc-compatible default config (lib/spec/default-config),
// no terminal, /bin/true. A second config runs `sleep` for the exec benchmark; both share one rootfs.
// Like for like: every contender applies the same seccomp profile (the one podman sends with each
// `podman run`, test/fixtures/client-configs/) and the same cgroup limits (memory, pids, cpu shares,
// and the default config's device rules), so none is timed doing less than another.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const APPLETS = ['sh', 'true', 'sleep', 'cat', 'ls'];
const PODMAN_CONFIG = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'client-configs', 'podman-config-run-d-sleep.json');

/** podman's default seccomp profile, as podman 4.3 sends it in config.json. */
export function podmanSeccomp() {
  return JSON.parse(readFileSync(PODMAN_CONFIG, 'utf8')).linux.seccomp;
}

/** The limits every contender writes into the container's cgroups. */
export const RESOURCES = {
  memory: { limit: 256 * 2 ** 20 },
  pids: { limit: 1024 },
  cpu: { shares: 512 },
};

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
  const seccomp = podmanSeccomp();
  const bundle = (name, args, { withSeccomp = true } = {}) => {
    const spec = defaultSpec();
    spec.process.terminal = false;
    // The version every contender accepts (crun 1.8 refuses 1.3.0); nothing in it needs newer.
    spec.ociVersion = '1.0.2';
    spec.process.args = args;
    spec.process.env.push(token);
    spec.root = { path: rootfs, readonly: true };
    spec.linux.resources = { ...spec.linux.resources, ...RESOURCES };
    if (withSeccomp) spec.linux.seccomp = seccomp;
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
  const trueBundle = bundle('bundle-true', ['/bin/true']);
  const description = {
    seccomp: `podman's default profile (${seccomp.syscalls.length} rules, ${seccomp.syscalls.reduce((n, r) => n + r.names.length, 0)} syscall names, default ${seccomp.defaultAction})`,
    resources: trueBundle.spec.linux.resources,
  };
  // The same bundle without linux.seccomp: what the profile adds to a create (bench/lib/seccomp.mjs).
  const noSeccompBundle = bundle('bundle-true-no-seccomp', ['/bin/true'], { withSeccomp: false });
  return { dir, token, rootfs, trueBundle, noSeccompBundle, sleepBundle: bundle('bundle-sleep', ['/bin/sleep', '3600']), root, description };
}
