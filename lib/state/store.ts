// The state store: one directory per container under the runtime root (default /run/ocirun),
// holding state.json (written atomically) and, until `start`, the exec fifo. A directory that
// exists without state.json belongs to a container being created.
import { close, closeSync, constants as fsc, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flock, LOCK_EX, LOCK_NB, LOCK_UN } from '../../bindings/libc.js';
import { OciError } from '../errors.js';
import type { Hooks, LinuxNamespaceType, Process } from '../spec/index.js';
import type { StoredSeccomp } from '../seccomp/compile.js';
import type { CgroupRecord } from '../cgroups/record.js';

/** What ocirun records about a container; the status is derived from facts, never stored. */
export interface ContainerRecord {
  ociVersion: string;
  id: string;
  pid: number;
  /** Start time of `pid` (clock ticks since boot): with the pid, identifies the process. */
  startTime: number;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  /** Namespaces the container has of its own (new or joined), for `exec` to join. */
  namespaces: LinuxNamespaceType[];
  /** The process of config.json: `exec` starts from it (env, user, capabilities). */
  process: Process;
  /** The compiled linux.seccomp filter: `exec`'d processes run under it too. */
  seccomp?: StoredSeccomp;
  /** The hooks start and delete run (startContainer, poststart, poststop). */
  hooks?: Hooks;
  /** The container's cgroups (absent: the host has none mounted). */
  cgroup?: CgroupRecord;
}

/** How a record's JSON begins (containerRecord puts these keys first). */
function recordHead(r: ContainerRecord): string {
  return `{"ociVersion":${JSON.stringify(r.ociVersion)},"id":${JSON.stringify(r.id)},"pid":${r.pid},"startTime":${r.startTime},`;
}

/** What create journals before it makes what outlives it (lib/lifecycle/recover.ts). */
export interface CreateJournal {
  cgroup?: CgroupRecord;
}

const JOURNAL = 'creating.json';

/** The runtime root's mode (runc's); a container's directory is 0711 so its user reaches the exec fifo. */
export const ROOT_MODE = 0o700;

const ID_PATTERN = /^[A-Za-z0-9_+.-]+$/;

export function validateId(id: string): void {
  if (!id) throw new OciError('ERR_INVALID_ID', 'container id cannot be empty');
  if (!ID_PATTERN.test(id) || id === '.' || id === '..' || id.length > 1024) {
    throw new OciError('ERR_INVALID_ID', `invalid container id "${id}": use letters, digits and _ + - . only`);
  }
}

export class StateStore {
  /**
   * `deferClose`: close a lock's fd in the thread pool. Closing the last fd of a directory just
   * removed (delete) frees its inode, ~0.5 ms on ext4, which an event-driven caller need not wait
   * for; a one-shot CLI closes at once rather than start the thread pool.
   */
  constructor(
    readonly root: string,
    private readonly options: { deferClose?: boolean } = {},
  ) {}

  dir(id: string): string {
    validateId(id);
    return join(this.root, id);
  }

  fifoPath(id: string): string {
    return join(this.dir(id), 'exec.fifo');
  }

  /** Reserve the id: fails if a container with it exists. */
  createDir(id: string): string {
    const dir = this.dir(id);
    try {
      mkdirSync(dir, { mode: 0o711 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new OciError('ERR_CONTAINER_EXISTS', `container with given ID already exists: ${id}`);
      if (code !== 'ENOENT') throw err;
      // The first container under this root.
      // 0700 as runc's: nobody else lists the containers.
      mkdirSync(this.root, { recursive: true, mode: ROOT_MODE });
      return this.createDir(id);
    }
    return dir;
  }

  /**
   * Write the record beside state.json; the returned commit renames it into place (atomically:
   * readers see no state.json, then the whole record). Until then the container is "creating".
   */
  stage(record: ContainerRecord): () => void {
    const dir = this.dir(record.id);
    const tmp = join(dir, `.state.json.${process.pid}`);
    // 0600: the record holds the process's environment (secrets, often).
    writeFileSync(tmp, JSON.stringify(record), { mode: 0o600 });
    return () => renameSync(tmp, join(dir, 'state.json'));
  }

  /**
   * What a create in progress has made that outlives it (its cgroups), written before it makes
   * them: a create killed midway leaves this for delete --force. Removed once the record is in place.
   */
  journal(id: string, journal: CreateJournal): void {
    writeFileSync(join(this.dir(id), JOURNAL), JSON.stringify(journal), { mode: 0o600 });
  }

  /** Once state.json is in place: the record says it all. */
  dropJournal(id: string): void {
    unlinkSync(join(this.dir(id), JOURNAL));
  }

  /** What a create that never committed left: its journal and its staged record, if any. */
  unfinished(id: string): { journal?: CreateJournal; staged?: ContainerRecord } {
    const dir = this.dir(id);
    const parse = <T>(name: string): T | undefined => {
      try {
        return JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;
      } catch {
        return undefined; // not written, or cut short by the kill
      }
    };
    const stagedName = readdirSync(dir).find((n) => n.startsWith('.state.json.'));
    return { journal: parse<CreateJournal>(JOURNAL), staged: stagedName ? parse<ContainerRecord>(stagedName) : undefined };
  }

  /** The record, or undefined while the container is being created. */
  read(id: string): ContainerRecord | undefined {
    const dir = this.dir(id);
    // Asked, not caught: a process's first failed fs call costs ~0.2 ms (Node builds its error
    // machinery), and `state` of a missing container is a common question. Only ENOENT is "does
    // not exist" (containerd and podman take that text for done): EACCES, ENOTDIR are errors.
    if (!this.exists(id)) throw notExist(id);
    let text: string;
    try {
      text = readFileSync(join(dir, 'state.json'), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // Deleted since, or still being created.
      if (!this.exists(id)) throw notExist(id);
      return undefined;
    }
    return JSON.parse(text) as ContainerRecord;
  }

  /**
   * Is state.json still `record`? A record is written once, at create, and begins with its id, pid
   * and start time: a handle that holds its record compares those bytes instead of reading and
   * parsing the whole file (17 KB with a seccomp filter). False also when it cannot be read.
   */
  holds(record: ContainerRecord): boolean {
    const head = recordHead(record);
    let fd: number;
    try {
      fd = openSync(join(this.dir(record.id), 'state.json'), 'r');
    } catch {
      return false;
    }
    try {
      const buf = Buffer.allocUnsafe(head.length);
      return readSync(fd, buf, 0, head.length, 0) === head.length && buf.toString('latin1') === head;
    } catch {
      return false;
    } finally {
      closeSync(fd);
    }
  }

  exists(id: string): boolean {
    return statSync(this.dir(id), { throwIfNoEntry: false })?.isDirectory() ?? false;
  }

  remove(id: string): void {
    const dir = this.dir(id);
    // The usual directory holds state.json alone: two syscalls, not a recursive walk.
    try {
      unlinkSync(join(dir, 'state.json'));
    } catch {
      // not written (a failed create) or already gone
    }
    try {
      rmdirSync(dir);
    } catch {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  ids(): string[] {
    try {
      return readdirSync(this.root, { withFileTypes: true })
        .filter((d) => d.isDirectory() && ID_PATTERN.test(d.name))
        .map((d) => d.name)
        .sort();
    } catch {
      return [];
    }
  }

  /**
   * Serialize operations on one container across processes (flock on its directory). Blocks until
   * the lock is free; `tryLock` is the same without waiting.
   */
  lock(id: string): () => void {
    return this.takeLock(id, true)!;
  }

  /** The lock if it is free now, else undefined (flock LOCK_NB). */
  tryLock(id: string): (() => void) | undefined {
    return this.takeLock(id, false);
  }

  private takeLock(id: string, wait: boolean): (() => void) | undefined {
    const dir = this.dir(id);
    let fd: number;
    try {
      fd = openSync(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
    } catch (err) {
      // Only a missing directory is a missing container; EACCES or ENOTDIR (an unusable --root)
      // is reported as it is, naming open(2) and the path.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notExist(id);
      throw err;
    }
    try {
      flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB);
    } catch (err) {
      closeSync(fd);
      if (!wait && (err as { errnoCode?: string }).errnoCode === 'EWOULDBLOCK') return undefined;
      if (!wait && (err as { errnoCode?: string }).errnoCode === 'EAGAIN') return undefined;
      throw err;
    }
    return () => {
      try {
        flock(fd, LOCK_UN);
      } finally {
        if (this.options.deferClose) close(fd, () => {});
        else closeSync(fd);
      }
    };
  }
}

/** "container does not exist": the words runc uses, which containerd and podman take for gone. */
function notExist(id: string): OciError {
  return new OciError('ERR_CONTAINER_NOT_EXIST', `container does not exist: ${id}`);
}
