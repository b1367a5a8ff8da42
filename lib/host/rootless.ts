// Rootless mode (runc's --rootless auto|true|false): the runtime runs without root in the initial
// user namespace. What changes: the default state directory, who writes the container's id maps
// (the kernel lets an unprivileged process map only its own ids; newuidmap/newgidmap from the
// `uidmap` package map the subordinate ids /etc/subuid grants), and what the executor may do
// before it enters the container's user namespace (nothing that needs a capability).
import { OciError } from '../errors.js';

export type RootlessMode = boolean | 'auto';

const euid = () => process.geteuid?.() ?? 0;

/** Rootless unless told otherwise: `auto` means "not running as root". */
export function isRootless(mode: RootlessMode | string | undefined): boolean {
  if (mode === true || mode === 'true') return true;
  if (mode === false || mode === 'false') return false;
  if (mode === undefined || mode === 'auto') return euid() !== 0;
  throw new OciError('ERR_INVALID_ARGUMENT', `--rootless: "${String(mode)}" is not auto, true or false`);
}

/** /run/ocirun as root; $XDG_RUNTIME_DIR/ocirun otherwise (as runc uses $XDG_RUNTIME_DIR/runc). */
export function defaultStateRoot(): string {
  if (euid() === 0) return '/run/ocirun';
  const xdg = process.env.XDG_RUNTIME_DIR;
  if (!xdg) {
    throw new OciError('ERR_INVALID_ARGUMENT', `the state directory: not root (uid ${euid()}) and XDG_RUNTIME_DIR is not set; set it or pass --root (runtime option root)`);
  }
  return `${xdg}/ocirun`;
}
