import { RowbackError } from './rowback-error.ts';

/** Another session holds the named lock this operation needs. */
export class LockError extends RowbackError {
  override readonly name = 'LockError';
}
