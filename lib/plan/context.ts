// Shared state of one planning pass, and the path helpers every concern uses: resolving a path
// inside the rootfs with openat2(RESOLVE_IN_ROOT), so a symlink planted in the rootfs can never
// send a mount or a device node outside it.
import { posix } from 'node:path';
import { ProgramBuilder, type Reg, type Ref } from '../../bindings/program.js';
import { AT, ERRNO, O, RESOLVE, S } from '../../bindings/constants.js';
import { openHow } from '../../bindings/structs.js';
import type { Spec } from '../spec/index.js';

export interface HostFacts {
  /** Highest capability number the kernel knows (/proc/sys/kernel/cap_last_cap). */
  capLastCap: number;
}

export class PlanContext {
  readonly b = new ProgramBuilder();
  /** Scratch registers, reused by every concern: each use ends before the next begins. */
  readonly regs: { root: Reg; target: Reg; parent: Reg; tree: Reg; fs: Reg; tmp: Reg; fifo: Reg; terminal: Reg };
  /** The fd the process's cwd is kept at until it is entered (lib/plan/cwd.ts). */
  cwdFd?: number;
  /**
   * The root is a detached mount tree (no mount namespace, lib/plan/rootfs.ts): the kernel
   * changes attributes only of a detached tree's root, so a mount's are set before it is attached.
   */
  detachedRoot = false;
  /**
   * Mounts made writable for now and read-only once the rootfs is set up (runc's finalizeRootfs):
   * /dev must take the device nodes and the mounts below it, a tmpfs the mounts below it.
   */
  readonly readOnlyLater: { mnt: Reg; what: string }[] = [];
  private readonly howCache = new Map<string, Ref>();
  private readonly stringCache = new Map<string, Ref>();

  constructor(
    readonly spec: Spec,
    readonly host: HostFacts,
  ) {
    const r = () => this.b.register();
    this.regs = { root: r(), target: r(), parent: r(), tree: r(), fs: r(), tmp: r(), fifo: r(), terminal: r() };
  }

  /** Interned NUL-terminated string in the program's data. */
  str(s: string): Ref {
    let ref = this.stringCache.get(s);
    if (!ref) {
      ref = this.b.string(s);
      this.stringCache.set(s, ref);
    }
    return ref;
  }

  how(flags: number, resolve: number): Ref {
    const key = `${flags}:${resolve}`;
    let ref = this.howCache.get(key);
    if (!ref) {
      ref = this.b.bytes(openHow(flags, 0, resolve));
      this.howCache.set(key, ref);
    }
    return ref;
  }

  /**
   * Open `path` (absolute, as seen in the container) inside the directory fd `root` as an O_PATH fd
   * into `into`, creating the missing components first when `create` says what the last one is.
   * The fast path tries the open first: most targets already exist.
   */
  resolveInRoot(root: Reg, path: string, into: Reg, create: 'dir' | 'file' | undefined, what: string): void {
    const b = this.b;
    const rel = relativeInRoot(path);
    const flags = O.PATH | O.CLOEXEC;
    const resolve = RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS;
    if (!create) {
      b.syscall('openat2', [root, this.str(rel), this.how(flags, resolve), 24], `${what}: open ${path} in the rootfs`, { save: into });
      return;
    }
    const done = b.label(`resolved ${path}`);
    b.syscall('openat2', [root, this.str(rel), this.how(flags, resolve), 24], `${what}: open ${path} in the rootfs`, {
      save: into,
      tolerate: [ERRNO.ENOENT],
      onSuccess: done,
    });
    const parts = rel === '.' ? [] : rel.split('/');
    for (let i = 0; i < parts.length; i++) {
      const parentPath = i === 0 ? '.' : parts.slice(0, i).join('/');
      const last = i === parts.length - 1;
      const dirFd = this.regs.parent;
      b.syscall('openat2', [root, this.str(parentPath), this.how(O.PATH | O.DIRECTORY | O.CLOEXEC, resolve), 24], `${what}: open /${parentPath === '.' ? '' : parentPath} in the rootfs`, { save: dirFd });
      if (last && create === 'file') {
        b.syscall('mknodat', [dirFd, this.str(parts[i]), S.IFREG | 0o644, 0], `${what}: create file ${path}`, { tolerate: [ERRNO.EEXIST] });
      } else {
        b.syscall('mkdirat', [dirFd, this.str(parts[i]), 0o755], `${what}: create directory /${parts.slice(0, i + 1).join('/')}`, { tolerate: [ERRNO.EEXIST] });
      }
    }
    b.syscall('openat2', [root, this.str(rel), this.how(flags, resolve), 24], `${what}: open ${path} in the rootfs`, { save: into });
    b.place(done);
  }
}

/** "/a/b/" → "a/b"; "/" → "." (openat2 needs a non-empty path). */
export function relativeInRoot(path: string): string {
  // Lexically clamp ".." at the root, as RESOLVE_IN_ROOT does, so the mkdir chain matches.
  const abs = posix.resolve('/', path);
  return abs === '/' ? '.' : abs.slice(1);
}

