// config.json mount options → what the new mount API needs: mount attributes (non-recursive and
// recursive), propagation, bind flags and the filesystem parameters for fsconfig(2).
import { MOUNT_ATTR, MS } from '../../bindings/constants.js';
import { OciError } from '../errors.js';

export interface ParsedMountOptions {
  bind: boolean;
  recursive: boolean;
  /** mount_setattr attributes for the top mount. */
  attrSet: number;
  attrClr: number;
  /** mount_setattr attributes for the whole tree (`rro`, `rnosuid`, …). */
  recAttrSet: number;
  recAttrClr: number;
  propagation: number;
  recursivePropagation: boolean;
  /** fsconfig parameters: [key] is a flag, [key, value] a string. */
  params: [string, string?][];
  /** Options that mean nothing for this mount (superblock flags on a bind): reported, not fatal. */
  ignored: string[];
  /** `tmpcopyup`: the new tmpfs starts with a copy of what the rootfs has at the destination. */
  copyUp: boolean;
}

type AttrChange = { set: number; clr: number };
const ATTRS: Record<string, AttrChange> = {
  ro: { set: MOUNT_ATTR.RDONLY, clr: 0 },
  rw: { set: 0, clr: MOUNT_ATTR.RDONLY },
  nosuid: { set: MOUNT_ATTR.NOSUID, clr: 0 },
  suid: { set: 0, clr: MOUNT_ATTR.NOSUID },
  nodev: { set: MOUNT_ATTR.NODEV, clr: 0 },
  dev: { set: 0, clr: MOUNT_ATTR.NODEV },
  noexec: { set: MOUNT_ATTR.NOEXEC, clr: 0 },
  exec: { set: 0, clr: MOUNT_ATTR.NOEXEC },
  // Setting any atime mode means clearing the whole atime field first (mount_setattr(2)).
  noatime: { set: MOUNT_ATTR.NOATIME, clr: MOUNT_ATTR.ATIME_MASK },
  atime: { set: MOUNT_ATTR.RELATIME, clr: MOUNT_ATTR.ATIME_MASK },
  relatime: { set: MOUNT_ATTR.RELATIME, clr: MOUNT_ATTR.ATIME_MASK },
  norelatime: { set: MOUNT_ATTR.STRICTATIME, clr: MOUNT_ATTR.ATIME_MASK },
  strictatime: { set: MOUNT_ATTR.STRICTATIME, clr: MOUNT_ATTR.ATIME_MASK },
  nostrictatime: { set: MOUNT_ATTR.RELATIME, clr: MOUNT_ATTR.ATIME_MASK },
  nodiratime: { set: MOUNT_ATTR.NODIRATIME, clr: 0 },
  diratime: { set: 0, clr: MOUNT_ATTR.NODIRATIME },
  nosymfollow: { set: MOUNT_ATTR.NOSYMFOLLOW, clr: 0 },
  symfollow: { set: 0, clr: MOUNT_ATTR.NOSYMFOLLOW },
};

const PROPAGATION: Record<string, { flag: number; recursive: boolean }> = {
  private: { flag: MS.PRIVATE, recursive: false },
  rprivate: { flag: MS.PRIVATE, recursive: true },
  shared: { flag: MS.SHARED, recursive: false },
  rshared: { flag: MS.SHARED, recursive: true },
  slave: { flag: MS.SLAVE, recursive: false },
  rslave: { flag: MS.SLAVE, recursive: true },
  unbindable: { flag: MS.UNBINDABLE, recursive: false },
  runbindable: { flag: MS.UNBINDABLE, recursive: true },
};

/** Superblock flags: fsconfig takes them as flags; a bind mount cannot change them. */
const SUPERBLOCK_FLAGS = new Set(['sync', 'async', 'dirsync', 'mand', 'nomand', 'lazytime', 'nolazytime']);
/** Accepted and meaningless here, as in runc. */
const NO_OPS = new Set(['defaults', 'remount', 'silent', 'loud']);
/** Not mount flags: they ask for an idmapped mount (lib/plan/idmap.ts). */
const IDMAP_OPTIONS = new Set(['idmap', 'ridmap']);

export function parseMountOptions(type: string | undefined, options: readonly string[] = [], where: string): ParsedMountOptions {
  const p: ParsedMountOptions = {
    bind: type === 'bind',
    recursive: false,
    attrSet: 0,
    attrClr: 0,
    recAttrSet: 0,
    recAttrClr: 0,
    propagation: 0,
    recursivePropagation: false,
    params: [],
    ignored: [],
    copyUp: false,
  };
  for (const o of options) {
    if (o === 'bind') p.bind = true;
    else if (o === 'rbind') {
      p.bind = true;
      p.recursive = true;
    }
  }
  for (const opt of options) {
    if (opt === 'bind' || opt === 'rbind' || NO_OPS.has(opt) || IDMAP_OPTIONS.has(opt)) continue;
    if (opt === 'tmpcopyup') {
      // crun's extension (runc's too): only a tmpfs can start as a copy.
      if (type !== 'tmpfs' || p.bind) throw new OciError('ERR_INVALID_CONFIG', `${where}: mount option "tmpcopyup" needs a tmpfs mount, not ${p.bind ? 'a bind mount' : `type "${type ?? ''}"`}`);
      p.copyUp = true;
      continue;
    }
    const attr = ATTRS[opt];
    if (attr) {
      p.attrSet = (p.attrSet & ~attr.clr) | attr.set;
      p.attrClr = (p.attrClr | attr.clr) & ~attr.set;
      continue;
    }
    if (opt.startsWith('r') && ATTRS[opt.slice(1)]) {
      const a = ATTRS[opt.slice(1)];
      p.recAttrSet = (p.recAttrSet & ~a.clr) | a.set;
      p.recAttrClr = (p.recAttrClr | a.clr) & ~a.set;
      continue;
    }
    const prop = PROPAGATION[opt];
    if (prop) {
      p.propagation = prop.flag;
      p.recursivePropagation = prop.recursive;
      continue;
    }
    if (SUPERBLOCK_FLAGS.has(opt)) {
      if (p.bind) p.ignored.push(opt);
      else p.params.push([opt]);
      continue;
    }
    if (p.bind) {
      p.ignored.push(opt);
      continue;
    }
    const eq = opt.indexOf('=');
    p.params.push(eq < 0 ? [opt] : [opt.slice(0, eq), opt.slice(eq + 1)]);
  }
  // The atime field must be cleared whenever a mode is set; the kernel rejects a partial mask.
  if (p.attrSet & MOUNT_ATTR.ATIME_MASK || p.attrClr & MOUNT_ATTR.ATIME_MASK) p.attrClr |= MOUNT_ATTR.ATIME_MASK;
  if (p.recAttrSet & MOUNT_ATTR.ATIME_MASK || p.recAttrClr & MOUNT_ATTR.ATIME_MASK) p.recAttrClr |= MOUNT_ATTR.ATIME_MASK;
  return p;
}
