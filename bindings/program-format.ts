// What the runtime needs of the program format (bindings/program.ts) to run a program it already
// has: the version the executor must speak, the sync socket's message tags, and patches over a
// shared program. A module of its own, so a container created from a cached plan does not set up
// the builder and its syscall tables.
export const PROGRAM_MAGIC = 0x5849434f;
/** executor.c's PROGRAM_VERSION: the program layout and the addon's interface together. */
export const PROGRAM_VERSION = 4;

/**
 * Set in a reported errno when the executor retried an op's EAGAIN (openat2 under concurrent
 * renames) and gave up: the error then says the lookup was retried.
 */
export const ERR_RETRIES_EXHAUSTED = 0x10000;
/** How many times the executor retries such an op (EAGAIN_RETRIES in executor.c). */
export const EAGAIN_RETRIES = 128;

/** Tag of the 8-byte message a forking op sends with the new child's pid. */
export const MSG_PID = 0xfffffffe;
/** Tags at or above this are sync markers the program writes on purpose. */
export const MSG_SYNC_BASE = 0xffffff00;

/** A named area of the data the runtime fills in per container (see ProgramBuilder.slot). */
export interface Slot {
  /** Byte offset in `bytes`. */
  offset: number;
  size: number;
}

/** Bytes written over a program at `offset` (in the memfd the executor reads it from). */
export interface ProgramPatch {
  offset: number;
  bytes: Buffer;
}

/**
 * A NUL-terminated string for a slot of an encoded program, as a patch: the program itself stays
 * shared by every container of its bundle, and its slots stay zeroed.
 */
export function slotPatch(slot: Slot, value: string): ProgramPatch {
  const bytes = Buffer.from(`${value}\0`);
  if (bytes.length > slot.size || bytes.indexOf(0) !== bytes.length - 1) throw new Error(`value does not fit the program slot of ${slot.size} bytes: ${JSON.stringify(value)}`);
  return { offset: slot.offset, bytes };
}
