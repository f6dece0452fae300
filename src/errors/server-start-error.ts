import { RowbackError } from './rowback-error.ts';

/** No test server could be started or found. */
export class ServerStartError extends RowbackError {
  override readonly name = 'ServerStartError';
}
