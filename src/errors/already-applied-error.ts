import { RowbackError } from './rowback-error.ts';

/** The restore module was already applied to this target; pass force to run it again. */
export class AlreadyAppliedError extends RowbackError {
  override readonly name = 'AlreadyAppliedError';
}
