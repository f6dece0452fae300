import { RowbackError } from './rowback-error.ts';

/** Bad input from the caller: an invalid parameter, URL, identifier or option. */
export class UsageError extends RowbackError {
  override readonly name = 'UsageError';
}
