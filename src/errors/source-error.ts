import { RowbackError } from './rowback-error.ts';

/** A backup source could not be read: bad, truncated or unexpected input, or a missing table. */
export class SourceError extends RowbackError {
  override readonly name = 'SourceError';
}
