// The user namespaces idmapped mounts take their mapping from (lib/plan/idmap.ts). A namespace
// lives as long as a process or an fd holds it: a holder (the executor, spawned into a new user
// namespace, blocked reading a socket) lives until its maps are written and the executor of the
// container has its namespace file open; then it is killed and reaped.
import { closeSync, writeFileSync } from 'node:fs';
import { CLONE } from '../../bindings/constants.js';
import { socketPair, spawnProgram } from '../../bindings/libc.js';
import { ProgramBuilder } from '../../bindings/program.js';
import { OciError } from '../errors.js';
import { mapText, type IdMapping } from '../plan/idmap.js';
import { reapQuietly } from './exit-watcher.js';

const HOLDER_FD = 3;
let holderProgram: Buffer | undefined;

/** read(3, …, 1): blocks until killed (its peer never writes nor closes before). */
function program(): Buffer {
  if (!holderProgram) {
    const b = new ProgramBuilder();
    b.syscall('read', [HOLDER_FD, b.zeroed(8), 1], 'hold the user namespace');
    holderProgram = b.encode(HOLDER_FD).bytes;
  }
  return holderProgram;
}

export interface MappingNamespaces {
  /** /proc/<holder>/ns/user per mapping: open them before `release`. */
  paths: string[];
  release(): void;
}

export function makeMappingNamespaces(mappings: readonly IdMapping[]): MappingNamespaces {
  const holders: number[] = [];
  const sockets: number[] = [];
  const release = () => {
    for (const pid of holders.splice(0)) reapQuietly(pid);
    for (const fd of sockets.splice(0)) closeSync(fd);
  };
  try {
    const paths = mappings.map((m, i) => {
      const [ours, theirs] = socketPair();
      sockets.push(ours);
      let pid: number;
      try {
        pid = spawnProgram(program(), { programFd: HOLDER_FD + 1, moves: [[theirs, HOLDER_FD]] }, CLONE.NEWUSER);
      } finally {
        closeSync(theirs);
      }
      holders.push(pid);
      const write = (file: string, text: string) => {
        try {
          writeFileSync(`/proc/${pid}/${file}`, text);
        } catch (err) {
          const pointers = m.mounts.map((n) => `/mounts/${n}`).join(', ');
          throw new OciError('ERR_INVALID_CONFIG', `config.json: ${pointers}: the idmapped mount's mapping: write ${file} (${text.trim().replace(/\n/g, '; ')}): ${(err as Error).message}`);
        }
      };
      write('uid_map', mapText(m.uid));
      write('gid_map', mapText(m.gid));
      return `/proc/${pid}/ns/user`;
    });
    return { paths, release };
  } catch (err) {
    release();
    throw err;
  }
}
