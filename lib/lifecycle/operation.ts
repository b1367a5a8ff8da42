// Cancelling a verb: the caller's AbortSignal and a timeout, as one signal. A verb that is
// cancelled undoes what it did (create leaves nothing; start and wait kill and delete the
// container; exec kills its process) and rejects with ERR_ABORTED or ERR_TIMEOUT.
import { OciError } from '../errors.js';

export interface OperationOptions {
  /** Cancels the operation (see each verb for what is undone). */
  signal?: AbortSignal;
  /** Milliseconds the operation may take; then it is cancelled as by `signal`. */
  timeout?: number;
}

export interface Operation {
  /** Fires on the caller's abort or the timeout; undefined when neither was asked for. */
  readonly signal: AbortSignal | undefined;
  /** Throws the operation's error if it was cancelled. */
  check(): void;
  /** The error to reject with once `signal` fired. */
  error(): OciError;
  /** Rejects when the operation is cancelled (never settles otherwise). */
  cancelled(): Promise<never>;
  /** Stops the timer and the listener. */
  done(): void;
}

const NONE: Operation = {
  signal: undefined,
  check() {},
  error: () => new OciError('ERR_ABORTED', 'not cancelled'),
  cancelled: () => new Promise<never>(() => {}),
  done() {},
};

/** `what` words the operation in the error: `start c1`. */
export function operation(options: OperationOptions | undefined, what: string): Operation {
  const { signal, timeout } = options ?? {};
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout >= 0 && Number.isFinite(timeout))) {
    throw new OciError('ERR_INVALID_ARGUMENT', `${what}: timeout must be a number of milliseconds >= 0, not ${String(timeout)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new OciError('ERR_INVALID_ARGUMENT', `${what}: signal must be an AbortSignal`);
  }
  if (!signal && timeout === undefined) return NONE;
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort(signal?.reason);
  let timer: NodeJS.Timeout | undefined;
  if (signal?.aborted) onAbort();
  else {
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeout !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort(new OciError('ERR_TIMEOUT', `${what}: timed out after ${timeout} ms`));
      }, timeout);
    }
  }
  const error = () =>
    timedOut ? new OciError('ERR_TIMEOUT', `${what}: timed out after ${timeout} ms`) : new OciError('ERR_ABORTED', `${what}: aborted`, { cause: signal?.reason });
  let cancelled: Promise<never> | undefined;
  return {
    signal: controller.signal,
    check() {
      if (controller.signal.aborted) throw error();
    },
    error,
    cancelled() {
      return (cancelled ??= new Promise<never>((_, reject) => {
        if (controller.signal.aborted) reject(error());
        else controller.signal.addEventListener('abort', () => reject(error()), { once: true });
      }));
    },
    done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}
