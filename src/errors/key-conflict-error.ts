import { RowbackError } from './rowback-error.ts';

/**
 * Backup rows to be put back carry primary keys that live rows of other (unscoped) parents now use;
 * rowback never overwrites those rows, it stops and names them.
 */
export class KeyConflictError extends RowbackError {
  override readonly name = 'KeyConflictError';
}
