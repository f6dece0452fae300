import { RowbackError } from './rowback-error.ts';

/** Galera kept refusing a transaction at certification (a conflicting write on another node). */
export class CertificationConflictError extends RowbackError {
  override readonly name = 'CertificationConflictError';
}
