import { RowbackError } from './rowback-error.ts';

/**
 * The server rowback would write to is not a writable member: read-only, a Group Replication
 * SECONDARY, a Galera node that is not Synced in the Primary component, or a topology it could not read.
 */
export class MemberNotWritableError extends RowbackError {
  override readonly name = 'MemberNotWritableError';
}
