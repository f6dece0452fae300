import { RowbackError } from './rowback-error.ts';

/** A transaction would exceed the configured or Group Replication size limit. */
export class SizeLimitError extends RowbackError {
  override readonly name = 'SizeLimitError';
}
