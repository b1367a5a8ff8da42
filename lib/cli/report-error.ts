// The one place that turns an error into a stderr/log line and an exit code (runc exits 1).
import { OciError } from '../errors.js';
import type { Logger } from './log.js';

export function reportError(err: unknown, logger: Logger, verb: string): number {
  if (err instanceof OciError) {
    logger.error(err.message);
    if (err.cause instanceof Error) logger.debug(`${verb}: caused by ${err.cause.stack ?? err.cause.message}`);
    return 1;
  }
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.code === 'string' && typeof e.message === 'string') {
    logger.error(e.message);
    logger.debug(e.stack ?? '');
    return 1;
  }
  logger.error(`${verb}: internal error: ${(err as Error)?.stack ?? String(err)}`);
  return 1;
}
