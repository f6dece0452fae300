import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatConnectionUrl, parseConnectionUrl, poolOptions, SSL_MODES } from 'rowback';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'rowback-tls-unit-'));
const ca = join(dir, 'ca.pem');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n');

describe('TLS connection settings', () => {
  it('reads ssl-mode, ssl-ca, ssl-cert and ssl-key from the URL and writes them back', () => {
    const url = `mysql://app@db:3306/wp?ssl-mode=VERIFY_IDENTITY&ssl-ca=${encodeURIComponent(ca)}&ssl-cert=%2Fc.pem&ssl-key=%2Fk.pem`;
    const options = parseConnectionUrl(url);
    expect(options).toEqual({
      host: 'db',
      port: 3306,
      user: 'app',
      database: 'wp',
      sslMode: 'verify-identity',
      sslCa: ca,
      sslCert: '/c.pem',
      sslKey: '/k.pem',
    });
    expect(parseConnectionUrl(formatConnectionUrl(options))).toEqual(options);
    expect(SSL_MODES).toEqual(['disabled', 'preferred', 'required', 'verify-ca', 'verify-identity']);
  });

  it('refuses an unknown mode, verification without a CA, and half a client key pair', () => {
    expect(() => parseConnectionUrl('mysql://db?ssl-mode=sometimes')).toThrow(
      /unknown ssl-mode "sometimes".*use one of disabled, preferred, required, verify-ca, verify-identity/,
    );
    expect(() => parseConnectionUrl('mysql://db?ssl-mode=verify-ca')).toThrow(
      /ssl-mode=verify-ca needs ssl-ca/,
    );
    expect(() => parseConnectionUrl('mysql://db?ssl-cert=%2Fc.pem')).toThrow(
      /ssl-cert and ssl-key go together/,
    );
  });

  it('maps each mode to mysql2 options: preferred (the default) asks for TLS without verifying', () => {
    const base = { host: 'db', port: 3306, user: 'u' };
    expect(poolOptions(base).ssl).toEqual({ rejectUnauthorized: false, verifyIdentity: false });
    expect(poolOptions({ ...base, sslMode: 'disabled' }).ssl).toBeUndefined();
    expect(poolOptions({ ...base, sslMode: 'required' }).ssl).toEqual({
      rejectUnauthorized: false,
      verifyIdentity: false,
    });
    const verifyCa = poolOptions({ ...base, sslMode: 'verify-ca', sslCa: ca }).ssl as Record<string, unknown>;
    expect(verifyCa).toMatchObject({ rejectUnauthorized: true, verifyIdentity: false });
    expect(String(verifyCa.ca)).toContain('not checked here');
    expect(poolOptions({ ...base, sslMode: 'verify-identity', sslCa: ca }).ssl).toMatchObject({
      rejectUnauthorized: true,
      verifyIdentity: true,
    });
    expect(() => poolOptions({ ...base, sslMode: 'verify-ca', sslCa: join(dir, 'missing.pem') })).toThrow(
      /cannot read the CA file .*missing\.pem/,
    );
  });
});
