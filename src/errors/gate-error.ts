import { RowbackError } from './rowback-error.ts';

/** A gate (an expected count or query result) did not hold; the run stops and its open transaction is rolled back. */
export class GateError extends RowbackError {
  override readonly name = 'GateError';
}
