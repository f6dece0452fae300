import { RowbackError } from './rowback-error.ts';

/**
 * A delete would reach rows outside the scope through a foreign key (ON DELETE CASCADE / SET NULL),
 * or would be refused by one (RESTRICT / NO ACTION).
 */
export class ForeignKeyError extends RowbackError {
  override readonly name = 'ForeignKeyError';
}
