// The host's full procfs and sysfs mounts, for --no-pivot (lib/plan/rootfs.ts): MS_MOVE + chroot
// leaves the host's mount tree in the container's mount namespace, and the kernel lets a process
// mount a new procfs or sysfs (from a user namespace of its own) while a full one is visible
// there. They are detached before the move, as runc's msMoveRoot does.
import { readFileSync } from 'node:fs';

/**
 * Mount points of whole (root "/") proc and sysfs mounts outside `rootfs` (all of them without
 * one: the plan cache's key), deepest first.
 */
export function hostPseudoMounts(rootfs?: string, mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): string[] {
  const found: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const fields = left.split(' ');
    const root = unescape(fields[3] ?? '');
    const point = unescape(fields[4] ?? '');
    const type = right.split(' ')[0];
    if (root !== '/' || (type !== 'proc' && type !== 'sysfs')) continue;
    if (rootfs !== undefined && (point === rootfs || point.startsWith(`${rootfs}/`))) continue;
    if (!found.includes(point)) found.push(point);
  }
  // A mount below another goes first: detaching the outer one first makes the inner path vanish.
  return found.sort((a, b) => b.split('/').length - a.split('/').length);
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
