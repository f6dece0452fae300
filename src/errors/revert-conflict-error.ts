import { RowbackError } from './rowback-error.ts';

/**
 * A revert found scoped rows changed again after the binlog window (live no longer holds what the
 * window last wrote) under `onConflict: 'fail'`: rowback never silently overwrites a later change.
 */
export class RevertConflictError extends RowbackError {
  override readonly name = 'RevertConflictError';
}
