import { RowbackError } from './rowback-error.ts';

/** The rehearsal server differs from the target in a way it cannot mimic, and `strict` was asked. */
export class RehearsalMismatchError extends RowbackError {
  override readonly name = 'RehearsalMismatchError';
}
