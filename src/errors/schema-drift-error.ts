import { RowbackError } from './rowback-error.ts';

/** Live and backup tables differ in columns or types; detected before any write. */
export class SchemaDriftError extends RowbackError {
  override readonly name = 'SchemaDriftError';
}
