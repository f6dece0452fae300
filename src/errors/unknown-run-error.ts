import { RowbackError } from './rowback-error.ts';

/** A run id that the ledger does not hold (mistyped, from another ledger, or a ledger not there). */
export class UnknownRunError extends RowbackError {
  override readonly name = 'UnknownRunError';
}
