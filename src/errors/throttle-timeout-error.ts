import { RowbackError } from './rowback-error.ts';

/** A throttled run waited longer than its timeout for replica lag, load or flow control to recover. */
export class ThrottleTimeoutError extends RowbackError {
  override readonly name = 'ThrottleTimeoutError';
}
