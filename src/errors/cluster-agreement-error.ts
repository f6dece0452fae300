import { RowbackError } from './rowback-error.ts';

/** After a write, a cluster member or replica holds other scoped rows than the server written to. */
export class ClusterAgreementError extends RowbackError {
  override readonly name = 'ClusterAgreementError';
}
