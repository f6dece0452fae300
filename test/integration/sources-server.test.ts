import { fromSchema, fromServer, sql } from 'rowback';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checksum, clientLoad, loadMethods, REAL, tablesOf, workspace } from './sources-helpers.ts';

const TABLES = ['wp_users', 'wp_usermeta', 'wp_login_audit', 'wp_posts', 'wp_options', 'gen_inv'];

describe('fromServer and fromSchema', () => {
  let live: Awaited<ReturnType<typeof workspace>>;
  const expected = new Map<string, string>();

  beforeAll(async () => {
    live = await workspace(inject('mysqlUrl'));
    await clientLoad(inject('mysqlUrl'), live.schema, { file: `${REAL}mysqldump-mariadb-10.11-default.sql` });
    // Generated and invisible columns: a copy must list columns (SELECT * hides one, cannot write the other).
    await clientLoad(inject('mysqlUrl'), live.schema, {
      text: `CREATE TABLE gen_inv (id int PRIMARY KEY, a varchar(20), secret varchar(20) INVISIBLE DEFAULT 'x',
               doubled int AS (id * 2) VIRTUAL, stored_upper varchar(20) AS (UPPER(a)) PERSISTENT);
             INSERT INTO gen_inv (id, a, secret) VALUES (1, 'one', 's1'), (2, 'two', 's2'), (3, NULL, NULL);`,
    });
    for (const t of TABLES) expected.set(t, await checksum(live.target, live.schema, t));
  });
  afterAll(async () => {
    await live?.drop();
  });

  for (const method of loadMethods()) {
    it(`fromServer (${method}) lands byte-identical tables, with the snapshot's position`, async () => {
      const ws = await workspace(inject('mysqlUrl'));
      try {
        const result = await fromServer(inject('mysqlUrl'), {
          schema: live.schema,
          tables: TABLES,
          method,
        }).extract(ws.context);
        for (const t of result.tables)
          expect([t.sourceTable, t.checksum]).toEqual([t.sourceTable, expected.get(t.sourceTable)]);
        expect(result.tables.find((t) => t.sourceTable === 'wp_login_audit')?.rows).toBe(22);
        // The snapshot's position is the source server's GTID position (nothing else writes binlog
        // events on the test server meanwhile); a server without a binary log has none to give, and
        // says so with null rather than an empty position.
        const variable =
          ws.target.server.flavour === 'mariadb' ? '@@gtid_current_pos' : '@@GLOBAL.gtid_executed';
        const position = await sql<{ p: string; logBin: number | string }>`
          SELECT ${sql.raw(variable)} AS p, @@log_bin AS logBin`.execute(live.target.db);
        expect(typeof position.rows[0]?.p).toBe('string');
        const binaryLog = Number(position.rows[0]?.logBin) === 1;
        expect(result.provenance).toMatchObject({
          source: 'server',
          schema: live.schema,
          gtid: binaryLog ? position.rows[0]!.p : null,
        });
        expect(JSON.stringify(result.provenance)).not.toMatch(/password/i);
        const secret = await sql<{
          secret: string;
        }>`SELECT secret FROM ${sql.id(ws.schema, 'b__gen_inv')} ORDER BY id`.execute(ws.target.db);
        expect(secret.rows.map((r) => r.secret)).toEqual(['s1', 's2', null]);
      } finally {
        await ws.drop();
      }
    });
  }

  it('describes itself without the password', () => {
    const source = fromServer('mysql://restore:s3cret-pw@10.0.0.9:3306/x', {
      schema: 'wordpress',
      tables: ['wp_users'],
    });
    expect(source.description).toBe('server mysql://restore:***@10.0.0.9:3306/x schema wordpress');
  });

  it('fromServer applies a per-table where with parameters', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const ids = [1, 15, 17];
      const result = await fromServer(inject('mysqlUrl'), {
        schema: live.schema,
        tables: ['wp_users', 'wp_usermeta'],
        where: { wp_users: sql`ID IN (${sql.join(ids)})`, wp_usermeta: sql`user_id = ${15}` },
      }).extract(ws.context);
      expect(result.tables[0]!.rows).toBe(3);
      expect(result.tables[1]!.rows).toBeGreaterThan(0);
    } finally {
      await ws.drop();
    }
  });

  it('fromSchema copies with CREATE TABLE … LIKE and INSERT … SELECT, filter included', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const result = await fromSchema(live.schema, { tables: TABLES }).extract(ws.context);
      for (const t of result.tables)
        expect([t.sourceTable, t.checksum]).toEqual([t.sourceTable, expected.get(t.sourceTable)]);
      const filtered = await fromSchema(live.schema, {
        tables: ['wp_users'],
        where: { wp_users: sql`ID <= ${10}` },
        into: { wp_users: 'few_users' },
      }).extract(ws.context);
      expect(filtered.tables[0]!.rows).toBe(9);
      await expect(fromSchema(live.schema, { tables: ['wp_nope'] }).extract(ws.context)).rejects.toThrow(
        /wp_nope does not exist/,
      );
      expect(await tablesOf(ws.target, ws.schema)).toEqual(
        [...TABLES.map((t) => `b__${t}`), 'few_users'].sort(),
      );
    } finally {
      await ws.drop();
    }
  });
});
