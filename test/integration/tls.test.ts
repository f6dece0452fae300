import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, fromMysqldump, fromServer, isErrorNamed, quoteId, sql, type Target } from 'rowback';
import { findServerBinary, type MysqlServer, startEphemeralServer } from 'rowback/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeTestCertificates, type TestCertificates } from '../support/test-certificates.ts';
import { unique } from './sources-helpers.ts';

const binary = await findServerBinary();

async function cipher(target: Target): Promise<string> {
  const r = await sql<{ Value: string }>`SHOW SESSION STATUS LIKE 'Ssl_cipher'`.execute(target.db);
  return r.rows[0]?.Value ?? '';
}

/**
 * A private server of the machine's own binary, started with certificates openssl made for this run
 * and require_secure_transport=ON: every connection rowback opens to it must be TLS or it is refused.
 */
describe.skipIf(!binary)('TLS against a server with require_secure_transport=ON', () => {
  let certs: TestCertificates;
  let server: MysqlServer;
  const url = (query: string) => `${server.url}/?${query}`;

  beforeAll(async () => {
    certs = await makeTestCertificates();
    server = await startEphemeralServer(binary!, {
      serverArgs: [
        `--ssl-ca=${certs.ca}`,
        `--ssl-cert=${certs.serverCert}`,
        `--ssl-key=${certs.serverKey}`,
        '--require-secure-transport=ON',
      ],
    });
  });
  afterAll(async () => {
    await server?.stop();
    await certs?.remove();
  });

  it('connects by default (preferred) and the session is encrypted', async () => {
    await using target = await connect(server.url);
    expect(await cipher(target)).not.toBe('');
    expect(target.options.sslMode).toBeUndefined();
  });

  it('verifies the CA and the host name with verify-identity', async () => {
    await using target = await connect(
      url(`ssl-mode=verify-identity&ssl-ca=${encodeURIComponent(certs.ca)}`),
    );
    expect(await cipher(target)).not.toBe('');
    expect(target.description).toContain('ssl-mode=verify-identity');
  });

  it('refuses a server certificate not signed by ssl-ca, with a TlsError that names the fix', async () => {
    const error = await connect(url(`ssl-mode=verify-ca&ssl-ca=${encodeURIComponent(certs.otherCa)}`)).catch(
      (e: unknown) => e,
    );
    expect(isErrorNamed(error, 'TlsError')).toBe(true);
    expect(String((error as Error).message)).toMatch(
      /ssl-mode=verify-ca\): expected a server certificate signed by the CA in .*rowback-other-ca\.pem, found: .*set ssl-ca to the CA that signed the server's certificate/,
    );
  });

  it('says the server requires TLS when the settings disable it', async () => {
    const error = await connect(url('ssl-mode=disabled')).catch((e: unknown) => e);
    expect(isErrorNamed(error, 'TlsError')).toBe(true);
    expect(String((error as Error).message)).toMatch(
      /requires TLS \(require_secure_transport=ON\): it refused the connection with ssl-mode=disabled .*and accepts the same user over TLS/,
    );
  });

  it('loads (LOAD DATA and background sessions) and the fromServer reader all go over TLS', async () => {
    const tls = url(`ssl-mode=verify-ca&ssl-ca=${encodeURIComponent(certs.ca)}`);
    await using target = await connect(tls);
    const live = unique('rbt_tls_live');
    const ws = unique('rbt_tls_ws');
    await sql.raw(`CREATE DATABASE ${quoteId(live)}`).execute(target.db);
    await sql.raw(`CREATE DATABASE ${quoteId(ws)}`).execute(target.db);
    try {
      await sql.raw(`CREATE TABLE ${quoteId(live)}.t (id int PRIMARY KEY, v varchar(20))`).execute(target.db);
      await sql.raw(`INSERT INTO ${quoteId(live)}.t VALUES (1, 'a'), (2, 'b')`).execute(target.db);
      const context = { target, workspace: ws, tableName: (t: string) => `srv__${t}` };
      const copied = await fromServer(tls, { schema: live, tables: ['t'] }).extract(context);
      expect(copied.tables.map((t) => [t.table.name, t.rows])).toEqual([['srv__t', 2]]);
      const dump = join(certs.dir, 'dump.sql');
      await writeFile(
        dump,
        "SET NAMES utf8;\nCREATE TABLE `d` (`id` int NOT NULL, `v` varchar(20) CHARACTER SET utf8mb3 DEFAULT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\nINSERT INTO `d` VALUES (1,'ä'),(2,'ß');\n",
      );
      const loaded = await fromMysqldump(dump, { tables: ['d'] }).extract({
        ...context,
        tableName: (t) => `dump__${t}`,
      });
      expect(loaded.tables.map((t) => [t.table.name, t.rows])).toEqual([['dump__d', 2]]);
      const rows = await sql<{ v: string }>`SELECT v FROM ${sql.table(`${ws}.dump__d`)} ORDER BY id`.execute(
        target.db,
      );
      expect(rows.rows.map((r) => r.v)).toEqual(['ä', 'ß']);
    } finally {
      await sql.raw(`DROP DATABASE IF EXISTS ${quoteId(live)}`).execute(target.db);
      await sql.raw(`DROP DATABASE IF EXISTS ${quoteId(ws)}`).execute(target.db);
    }
  });
});

describe('TLS preferred (the default) on the run’s own server', () => {
  it('uses TLS when the server offers it and falls back to clear text, saying so, when not', async () => {
    await using target = await connect(inject('mysqlUrl'));
    const encrypted = (await cipher(target)) !== '';
    // The options every further connection is made from say what the pool really does.
    expect(target.options.sslMode).toBe(encrypted ? undefined : 'disabled');
    await using again = await target.reconnect();
    expect((await cipher(again)) !== '').toBe(encrypted);
  });
});
