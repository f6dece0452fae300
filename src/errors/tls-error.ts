import { RowbackError } from './rowback-error.ts';

/**
 * A TLS requirement of the connection settings or the server could not be met: the server's
 * certificate failed verification (wrong CA, wrong host name), the server offers no TLS while the
 * settings require it, or the server requires TLS while the settings disabled it.
 */
export class TlsError extends RowbackError {
  override readonly name = 'TlsError';
}
