/**
 * One error model: every error the library's verbs reject with is an OciError with a stable
 * `code`. Callers (and the CLI's report-error) switch on `code`, never on message text. Messages
 * that orchestrators match on keep runc's wording. Where a system call failed, `syscall` names it
 * and `errnoCode` gives the errno's name (ENOENT); `path` the file, when there was one.
 */
export type OciErrorCode =
  | 'ERR_CONTAINER_EXISTS'
  | 'ERR_CONTAINER_NOT_EXIST'
  | 'ERR_INVALID_ID'
  | 'ERR_CONTAINER_RUNNING'
  | 'ERR_CONTAINER_NOT_RUNNING'
  | 'ERR_CONTAINER_NOT_STOPPED'
  | 'ERR_CONTAINER_PAUSED'
  | 'ERR_INVALID_CONFIG'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_NOT_SUPPORTED'
  | 'ERR_SYSCALL'
  | 'ERR_CONTAINER_INIT'
  | 'ERR_EXEC'
  /** The operation's AbortSignal fired; `cause` is the signal's reason. */
  | 'ERR_ABORTED'
  /** The operation's `timeout` passed. */
  | 'ERR_TIMEOUT'
  /** A cgroup could not be made, written or removed. */
  | 'ERR_CGROUP';

// A brand that survives realms (vm contexts, worker copies) and two copies of the package, where
// instanceof does not.
const BRAND = Symbol.for('ocirun.OciError');

export class OciError extends Error {
  readonly code: OciErrorCode;
  /** The system call that failed, when one did. */
  declare syscall?: string;
  /** The errno's name (ENOENT, EACCES, ...), when a system call failed. */
  declare errnoCode?: string;
  /** The file the failed call was about, when there was one. */
  declare path?: string;
  constructor(code: OciErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OciError';
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** The shape of Node's SystemError, so callers can treat ours and Node's alike. */
export class SystemCallError extends OciError {
  readonly errno: number;
  declare readonly syscall: string;
  declare readonly errnoCode: string;
  constructor(syscall: string, errno: number, errnoCode: string, detail: string, path?: string) {
    super('ERR_SYSCALL', `${syscall}${path ? ` ${path}` : ''}: ${detail}`);
    this.errno = errno;
    this.syscall = syscall;
    this.path = path;
    this.errnoCode = errnoCode;
  }
}

/** True for an OciError from any realm or copy of ocirun. */
export function isOciError(value: unknown): value is OciError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * The error a public verb rejects with: OciErrors as they are; Node's system errors (a failed
 * fs call: ENOENT, EACCES, ...) wrapped as ERR_SYSCALL with their syscall, errno name and path, the
 * original as `cause`. Anything else (a bug) passes unchanged.
 */
export function toOciError(err: unknown): unknown {
  if (isOciError(err)) return err;
  const e = err as NodeJS.ErrnoException | undefined;
  if (e instanceof Error && typeof e.code === 'string' && typeof e.syscall === 'string') {
    const wrapped = new OciError('ERR_SYSCALL', e.message, { cause: err });
    wrapped.syscall = e.syscall;
    wrapped.errnoCode = e.code;
    if (e.path !== undefined) wrapped.path = e.path;
    return wrapped;
  }
  return err;
}
