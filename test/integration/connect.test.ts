import { connect, parseConnectionUrl, sql } from 'rowback';
import { describe, expect, inject, it } from 'vitest';

describe('connect + ServerInfo', () => {
  it('reads the server fingerprint and settings', async () => {
    await using target = await connect(inject('mysqlUrl'));
    const info = target.server;
    expect(info.flavour).toBe(inject('mysqlFlavour'));
    expect(info.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(info.serverUuid.length).toBeGreaterThan(5);
    expect(info.hostname.length).toBeGreaterThan(0);
    expect(info.defaultSchema).toBeNull();
    expect(info.currentUser).toMatch(/@/);
    expect(typeof info.sqlMode).toBe('string');
    expect([0, 1, 2]).toContain(info.lowerCaseTableNames);
    expect(info.groupReplication.active).toBe(false);
    expect(typeof info.requirePrimaryKey).toBe('boolean');
    expect(Object.isFrozen(info)).toBe(true);
  });

  it('keeps big integers, decimals, zero dates and binary byte-exact', async () => {
    await using target = await connect(inject('mysqlUrl'));
    const result = await sql<Record<string, unknown>>`
      SELECT CAST(18446744073709551615 AS UNSIGNED) AS big, CAST('12345678901234567890.123456789' AS DECIMAL(40,9)) AS decimal_value,
             CAST('0000-00-00 00:00:00' AS CHAR) AS zero, UNHEX('00FF80FE') AS bin`.execute(target.db);
    const row = result.rows[0]!;
    expect(row.big).toBe('18446744073709551615');
    expect(row.decimal_value).toBe('12345678901234567890.123456789');
    expect(row.zero).toBe('0000-00-00 00:00:00');
    expect(row.bin).toEqual(Buffer.from([0, 255, 128, 254]));
  });

  it('says which server it could not reach, without the password', async () => {
    const { port } = parseConnectionUrl(inject('mysqlUrl'));
    const attempt = connect(`mysql://nobody:very-secret-pw@127.0.0.1:${port}`);
    await expect(attempt).rejects.toThrow(/cannot connect to mysql:\/\/nobody:\*\*\*@127\.0\.0\.1/);
    await expect(attempt).rejects.not.toThrow(/very-secret-pw/);
  });
});
