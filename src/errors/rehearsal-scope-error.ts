import { RowbackError } from './rowback-error.ts';

/**
 * `rehearse` cannot tell, reading the target only, which rows the module can touch: no plan's scopes
 * to read, scope tables gone, or a write not bounded by a scope or snapshot.
 */
export class RehearsalScopeError extends RowbackError {
  override readonly name = 'RehearsalScopeError';
}
