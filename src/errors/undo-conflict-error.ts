import { RowbackError } from './rowback-error.ts';

/** Rows changed after the run being undone; undo refuses to overwrite them unless forced. */
export class UndoConflictError extends RowbackError {
  override readonly name = 'UndoConflictError';
}
