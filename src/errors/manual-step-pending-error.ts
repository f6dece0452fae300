import { RowbackError } from './rowback-error.ts';

/** A manual step awaits confirmation by the operator; the run can be resumed afterwards. */
export class ManualStepPendingError extends RowbackError {
  override readonly name = 'ManualStepPendingError';
}
