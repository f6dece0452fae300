import { UsageError } from '../errors/index.ts';
import { type TlsSettings, tlsFromSearchParams, tlsSearchParams } from './tls.ts';

/**
 * Where and how to connect; what `connect()` accepts besides a URL. Every connection rowback opens
 * (the pool, load sessions, background statements, the `fromServer` reader) is made from one of these
 * through `poolOptions()`, so the TLS settings hold for all of them.
 */
export interface ConnectionOptions extends TlsSettings {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  /** Default schema; the live data a restore module works on. */
  readonly database?: string;
  /** Unix socket path; takes precedence over host/port. */
  readonly socketPath?: string;
}

/**
 * Parses `mysql://user:password@host:port/schema?socket=/path` (also `mariadb://`), with TLS as
 * `?ssl-mode=verify-identity&ssl-ca=/path/ca.pem&ssl-cert=…&ssl-key=…`. Percent-encoded user and
 * password are decoded. Bad input throws a `UsageError` that never contains the password.
 */
export function parseConnectionUrl(url: string): ConnectionOptions {
  // An unset environment variable arrives here as undefined: name it, not `url.replace`.
  if (typeof url !== 'string' || url === '') {
    throw new UsageError(`no connection URL given (found ${url === '' ? 'an empty string' : String(url)})`, {
      hint: 'pass mysql://user@host:3306/schema (e.g. set ROWBACK_DATABASE_URL), with :password after the user if it has one',
    });
  }
  assertEncodedCredentials(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new UsageError(`not a connection URL: ${redactUrl(url)}`, {
      cause,
      hint: 'use mysql://user@host:3306/schema, with :password after the user if it has one',
    });
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') {
    throw new UsageError(`unsupported URL scheme ${JSON.stringify(parsed.protocol)} in ${redactUrl(url)}`, {
      hint: 'use mysql://user@host:3306/schema, with :password after the user if it has one',
    });
  }
  const database = decode(parsed.pathname.replace(/^\//, ''), url);
  const socketPath = parsed.searchParams.get('socket');
  const password = decode(parsed.password, url);
  return Object.freeze({
    host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decode(parsed.username, url) || 'root',
    ...(password ? { password } : {}),
    ...(database ? { database } : {}),
    ...(socketPath ? { socketPath } : {}),
    ...tlsFromSearchParams(parsed.searchParams),
  });
}

const PERCENT_HINT =
  'percent-encode special characters in the user and password: @ → %40, # → %23, ? → %3F, / → %2F, % → %25, : → %3A';

/**
 * A raw `@`, `#`, `?` or `/` in a password makes the URL parser split the URL in the wrong place, and
 * then part of the password would show up as the host in messages. Refuse those URLs up front.
 */
function assertEncodedCredentials(url: string): void {
  const rest = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const at = rest.lastIndexOf('@');
  if (at === -1) return;
  const credentials = rest.slice(0, at);
  if (/[@#?/]/.test(credentials)) {
    // The URL itself is not shown: with a raw '@' in the password, no redaction can tell where it ends.
    throw new UsageError(
      `the user or password in the connection URL to ${rest.slice(at + 1)} has a character that must be percent-encoded`,
      { hint: PERCENT_HINT },
    );
  }
}

function decode(text: string, url: string): string {
  try {
    return decodeURIComponent(text);
  } catch (cause) {
    throw new UsageError(`the connection URL has a broken %-escape: ${redactUrl(url)}`, {
      cause,
      hint: PERCENT_HINT,
    });
  }
}

/** Builds a URL from options, password included: for handing a server to another process only. */
export function formatConnectionUrl(options: ConnectionOptions): string {
  const auth =
    encodeURIComponent(options.user) + (options.password ? `:${encodeURIComponent(options.password)}` : '');
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const path = options.database ? `/${encodeURIComponent(options.database)}` : '';
  const params = new URLSearchParams([
    ...(options.socketPath ? [['socket', options.socketPath] as [string, string]] : []),
    ...tlsSearchParams(options),
  ]);
  const query = params.size > 0 ? `?${params.toString()}` : '';
  return `mysql://${auth}@${host}:${options.port}${path}${query}`;
}

/**
 * Replaces the password of a connection URL with `***`, also in strings that merely contain a URL
 * (error messages, argv). Used for everything printed, logged or stored.
 */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)([^@\s]*)@/gi, '$1***@');
}

/** Same as the URL with the password removed from `options`, for fingerprints and reports. */
export function describeConnection(options: ConnectionOptions): string {
  return redactUrl(formatConnectionUrl(options));
}
