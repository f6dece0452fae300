import { readFileSync } from 'node:fs';
import type { SslOptions } from 'mysql2';
import { TlsError, UsageError } from '../errors/index.ts';

/**
 * How a connection uses TLS, with the MySQL client's `--ssl-mode` names:
 * - `disabled`: never;
 * - `preferred` (the default): TLS when the server offers it, without verifying its certificate, and a
 *   plain connection when it offers none (mysql2 alone would fail there, so `connect()` retries);
 * - `required`: TLS or no connection, certificate not verified;
 * - `verify-ca`: TLS with a certificate signed by `sslCa`;
 * - `verify-identity`: as `verify-ca`, and the certificate must name the host connected to.
 */
export type SslMode = 'disabled' | 'preferred' | 'required' | 'verify-ca' | 'verify-identity';

export const SSL_MODES: readonly SslMode[] = Object.freeze([
  'disabled',
  'preferred',
  'required',
  'verify-ca',
  'verify-identity',
]);

/** The TLS part of the connection settings; file paths of PEM files, as the MySQL client takes them. */
export interface TlsSettings {
  /** Absent means `preferred`. */
  readonly sslMode?: SslMode;
  /** CA certificate(s) to verify the server with (`verify-ca`, `verify-identity`). */
  readonly sslCa?: string;
  /** Client certificate and key, for servers that require X.509 (`REQUIRE X509`) users. */
  readonly sslCert?: string;
  readonly sslKey?: string;
}

/** Reads `ssl-mode`, `ssl-ca`, `ssl-cert`, `ssl-key` from URL search parameters (`sslmode` also). */
export function tlsFromSearchParams(params: URLSearchParams): TlsSettings {
  const mode = (params.get('ssl-mode') ?? params.get('sslmode'))?.toLowerCase().replaceAll('_', '-');
  if (mode !== undefined && !SSL_MODES.includes(mode as SslMode)) {
    throw new UsageError(`unknown ssl-mode ${JSON.stringify(mode)} in the connection URL`, {
      hint: `use one of ${SSL_MODES.join(', ')}`,
    });
  }
  const ca = params.get('ssl-ca');
  const cert = params.get('ssl-cert');
  const key = params.get('ssl-key');
  const settings: TlsSettings = {
    ...(mode !== undefined ? { sslMode: mode as SslMode } : {}),
    ...(ca ? { sslCa: ca } : {}),
    ...(cert ? { sslCert: cert } : {}),
    ...(key ? { sslKey: key } : {}),
  };
  checkTlsSettings(settings);
  return settings;
}

/** The settings as URL search parameters, for `formatConnectionUrl`. */
export function tlsSearchParams(settings: TlsSettings): [string, string][] {
  const out: [string, string][] = [];
  if (settings.sslMode !== undefined) out.push(['ssl-mode', settings.sslMode]);
  if (settings.sslCa !== undefined) out.push(['ssl-ca', settings.sslCa]);
  if (settings.sslCert !== undefined) out.push(['ssl-cert', settings.sslCert]);
  if (settings.sslKey !== undefined) out.push(['ssl-key', settings.sslKey]);
  return out;
}

/** Refuses settings that cannot mean what they say: verification without a CA, half a client pair. */
export function checkTlsSettings(settings: TlsSettings): void {
  const mode = settings.sslMode ?? 'preferred';
  if ((mode === 'verify-ca' || mode === 'verify-identity') && !settings.sslCa) {
    throw new UsageError(`ssl-mode=${mode} needs ssl-ca, the CA certificate to verify the server with`, {
      hint: 'add ssl-ca=/path/to/ca.pem, or use ssl-mode=required to encrypt without verifying',
    });
  }
  if (Boolean(settings.sslCert) !== Boolean(settings.sslKey)) {
    throw new UsageError('ssl-cert and ssl-key go together: one was given without the other', {
      hint: 'pass both the client certificate and its private key, or neither',
    });
  }
}

/**
 * mysql2's `ssl` option for the settings, or undefined for a plain connection. The PEM files are read
 * here, when a connection is made, so a renewed certificate is picked up by the next connection.
 */
export function mysql2Ssl(settings: TlsSettings): SslOptions | undefined {
  const mode = settings.sslMode ?? 'preferred';
  if (mode === 'disabled') return undefined;
  const read = (path: string, what: string, option: string) => {
    try {
      return readFileSync(path);
    } catch (cause) {
      throw new UsageError(`cannot read the ${what} file ${path}`, {
        cause,
        hint: `check the ${option} path, and that this process may read it`,
      });
    }
  };
  const verify = mode === 'verify-ca' || mode === 'verify-identity';
  return {
    ...(settings.sslCa ? { ca: read(settings.sslCa, 'CA', 'ssl-ca') } : {}),
    ...(settings.sslCert ? { cert: read(settings.sslCert, 'client certificate', 'ssl-cert') } : {}),
    ...(settings.sslKey ? { key: read(settings.sslKey, 'client key', 'ssl-key') } : {}),
    rejectUnauthorized: verify,
    // mysql2 checks the host name only when asked; verify-ca checks the chain alone.
    verifyIdentity: mode === 'verify-identity',
  };
}

/** mysql2's error when `ssl` is set and the server's handshake offers no TLS. */
export function isNoTlsOnServer(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'HANDSHAKE_NO_SSL_SUPPORT';
}

/**
 * mysql2 reports every failure of the TLS handshake as HANDSHAKE_SSL_ERROR, keeping Node's message
 * ("self-signed certificate in certificate chain", "Hostname/IP does not match certificate's altnames").
 */
function isCertificateFailure(error: { code?: string } | null): boolean {
  return error?.code === 'HANDSHAKE_SSL_ERROR';
}

/** MySQL's ER_SECURE_TRANSPORT_REQUIRED (3159). MariaDB answers 1045 (access denied) instead. */
const SECURE_TRANSPORT_REQUIRED = new Set([3159]);

/**
 * The TlsError for a server that refused a clear-text connection and took the same credentials over
 * TLS (see `connect()`): MariaDB says only "Access denied" when require_secure_transport=ON.
 */
export function secureTransportRequired(error: unknown, settings: TlsSettings, where: string): TlsError {
  const found = error instanceof Error ? error.message : String(error);
  return new TlsError(
    `${where} requires TLS (require_secure_transport=ON): it refused the connection with ssl-mode=${settings.sslMode ?? 'preferred'} (${found}) and accepts the same user over TLS`,
    {
      cause: error,
      hint: 'remove ssl-mode=disabled (the default, preferred, uses TLS when the server offers it) or set ssl-mode=required',
      facts: { sslMode: settings.sslMode ?? 'preferred' },
    },
  );
}

/**
 * The connect error as a `TlsError` when TLS is why it failed, with what was expected, what was
 * found and the fix; null for any other failure.
 */
export function tlsErrorOf(error: unknown, settings: TlsSettings, where: string): TlsError | null {
  const mode = settings.sslMode ?? 'preferred';
  const e = error as { code?: string; errno?: number; message?: string } | null;
  const found = e?.message ?? String(error);
  if (isCertificateFailure(e)) {
    const identity = /altnames|does not match|hostname/i.test(found);
    const expected = identity
      ? 'a server certificate naming the host connected to'
      : `a server certificate signed by the CA in ${settings.sslCa ?? '(no ssl-ca given)'}`;
    return new TlsError(`TLS to ${where} (ssl-mode=${mode}): expected ${expected}, found: ${found}`, {
      cause: error,
      hint: identity
        ? 'connect by the name the certificate holds, or use ssl-mode=verify-ca to check the CA only'
        : "set ssl-ca to the CA that signed the server's certificate (the server's ssl_ca), or ssl-mode=required to encrypt without verifying",
      facts: { sslMode: mode, ...(settings.sslCa ? { sslCa: settings.sslCa } : {}) },
    });
  }
  if (isNoTlsOnServer(error)) {
    return new TlsError(
      `TLS to ${where} (ssl-mode=${mode}): expected a server that offers TLS, found one that offers none`,
      {
        cause: error,
        hint: 'configure ssl_cert/ssl_key on the server, or use ssl-mode=preferred or disabled to connect in clear text',
        facts: { sslMode: mode },
      },
    );
  }
  if (e?.errno !== undefined && SECURE_TRANSPORT_REQUIRED.has(e.errno)) {
    return secureTransportRequired(error, settings, where);
  }
  return null;
}
