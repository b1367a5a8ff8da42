/**
 * Typed errors with stable codes. Callers (and the CLI's report-error) switch on `code`, never on
 * message text. Messages that orchestrators match on keep runc's wording.
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
  | 'ERR_EXEC';

export class OciError extends Error {
  readonly code: OciErrorCode;
  constructor(code: OciErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OciError';
    this.code = code;
  }
}

/** The shape of Node's SystemError, so callers can treat ours and Node's alike. */
export class SystemCallError extends OciError {
  readonly errno: number;
  readonly syscall: string;
  readonly path?: string;
  readonly errnoCode: string;
  constructor(syscall: string, errno: number, errnoCode: string, detail: string, path?: string) {
    super('ERR_SYSCALL', `${syscall}${path ? ` ${path}` : ''}: ${detail}`);
    this.errno = errno;
    this.syscall = syscall;
    this.path = path;
    this.errnoCode = errnoCode;
  }
}
