import { RowbackError } from './rowback-error.ts';

/** The scoped live rows changed between the confirmed plan and the apply. */
export class DriftSincePlanError extends RowbackError {
  override readonly name = 'DriftSincePlanError';
}
