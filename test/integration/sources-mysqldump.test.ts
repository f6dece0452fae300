import { execFileSync } from 'node:child_process';
import { zstdCompressSync } from 'node:zlib';
import { fromMysqldump, isErrorNamed, parseConnectionUrl, sql } from 'rowback';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checksum, clientLoad, REAL, tablesOf, workspace } from './sources-helpers.ts';

const WP_TABLES = [
  'wp_commentmeta',
  'wp_comments',
  'wp_links',
  'wp_login_audit',
  'wp_options',
  'wp_postmeta',
  'wp_posts',
  'wp_term_relationships',
  'wp_term_taxonomy',
  'wp_termmeta',
  'wp_terms',
  'wp_usermeta',
  'wp_users',
].sort();

describe('fromMysqldump on the real MariaDB 10.11 dumps', () => {
  let ref: Awaited<ReturnType<typeof workspace>>;
  const expected = new Map<string, string>();

  beforeAll(async () => {
    // Reference: the default dump loaded by the server's own client.
    ref = await workspace(inject('mysqlUrl'));
    await clientLoad(inject('mysqlUrl'), ref.schema, { file: `${REAL}mysqldump-mariadb-10.11-default.sql` });
    expect(await tablesOf(ref.target, ref.schema)).toEqual(WP_TABLES);
    for (const t of WP_TABLES) expected.set(t, await checksum(ref.target, ref.schema, t));
  });
  afterAll(async () => {
    await ref?.drop();
  });

  const variants = [
    'default.sql',
    'default.sql.gz',
    'skip-extended-insert.sql',
    'complete-insert.sql',
    'hex-blob.sql',
    'single-transaction-routines-triggers.sql',
    'databases.sql',
  ];
  for (const variant of variants) {
    for (const method of ['load-data', 'insert'] as const) {
      it(`${variant} via ${method}: every table's checksum equals the client load`, async () => {
        const ws = await workspace(inject('mysqlUrl'));
        try {
          const result = await fromMysqldump(`${REAL}mysqldump-mariadb-10.11-${variant}`, {
            tables: WP_TABLES,
            method,
          }).extract(ws.context);
          expect(result.tables.map((t) => t.sourceTable)).toEqual(WP_TABLES);
          for (const t of result.tables) {
            expect({ table: t.sourceTable, checksum: t.checksum }).toEqual({
              table: t.sourceTable,
              checksum: expected.get(t.sourceTable),
            });
          }
          expect(result.tables.find((t) => t.sourceTable === 'wp_usermeta')?.rows).toBe(790);
          // The AUTO_INCREMENT a LOAD DATA extract drops (two streams) changes no row: not a ddlChange.
          expect(result.ddlChanges).toEqual([]);
        } finally {
          await ws.drop();
        }
      });
    }
  }

  it('all-databases: picks the database asked for, and refuses to guess', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const file = `${REAL}mysqldump-mariadb-10.11-all-databases.sql`;
      const result = await fromMysqldump(file, { tables: WP_TABLES, database: 'wordpress' }).extract(
        ws.context,
      );
      for (const t of result.tables) expect(t.checksum).toBe(expected.get(t.sourceTable));
      const ambiguous = fromMysqldump(file, { tables: ['wp_users'] }).extract(ws.context);
      await expect(ambiguous).rejects.toThrow(/more than one database/);
      expect(await tablesOf(ws.target, ws.schema)).toEqual(WP_TABLES.map((t) => `b__${t}`));
    } finally {
      await ws.drop();
    }
  });

  it('adds the secondary indexes after the load, as the dump defines them', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      await fromMysqldump(`${REAL}mysqldump-mariadb-10.11-default.sql`, { tables: ['wp_usermeta'] }).extract(
        ws.context,
      );
      const indexes = await sql<{ Key_name: string; Column_name: string; Sub_part: string | null }>`
        SHOW INDEX FROM ${sql.id(ws.schema, 'b__wp_usermeta')}`.execute(ws.target.db);
      expect(indexes.rows.map((r) => [r.Key_name, r.Column_name, r.Sub_part])).toEqual([
        ['PRIMARY', 'umeta_id', null],
        ['user_id', 'user_id', null],
        ['meta_key', 'meta_key', '191'],
      ]);
    } finally {
      await ws.drop();
    }
  });

  it('a row filter keeps exactly the rows whose key is in the set', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const result = await fromMysqldump(`${REAL}mysqldump-mariadb-10.11-default.sql`, {
        tables: ['wp_users', 'wp_usermeta'],
        rows: {
          wp_users: { column: 'ID', keys: [1, 15, 17, 41, 999] },
          wp_usermeta: { column: 'user_id', keys: ['15'] },
        },
      }).extract(ws.context);
      const users = result.tables.find((t) => t.sourceTable === 'wp_users')!;
      expect(users.rows).toBe(3);
      const meta = result.tables.find((t) => t.sourceTable === 'wp_usermeta')!;
      expect(meta.rows).toBeGreaterThan(0);
      expect(meta.rows).toBeLessThan(100);
    } finally {
      await ws.drop();
    }
  });

  it('--no-create-info: takes the table definitions from a --no-data dump', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const o = parseConnectionUrl(inject('mysqlUrl'));
      const schemaOnly = execFileSync('mariadb-dump', [
        '--no-defaults',
        `--host=${o.host}`,
        `--port=${o.port}`,
        `--user=${o.user}`,
        ...(o.password ? [`--password=${o.password}`] : []),
        '--no-data',
        ref.schema,
      ]);
      const result = await fromMysqldump(`${REAL}mysqldump-mariadb-10.11-no-create-info.sql`, {
        tables: WP_TABLES,
        ddl: schemaOnly,
      }).extract(ws.context);
      for (const t of result.tables)
        expect([t.sourceTable, t.checksum]).toEqual([t.sourceTable, expected.get(t.sourceTable)]);
    } finally {
      await ws.drop();
    }
  });

  it('refuses a missing table, a wrong database and a --no-create-info dump with SourceError, leaving nothing', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const file = `${REAL}mysqldump-mariadb-10.11-default.sql`;
      const missing = fromMysqldump(file, { tables: ['wp_users', 'wp_nope'] }).extract(ws.context);
      await expect(missing).rejects.toThrow(/wp_nope not in the dump/);
      await missing.catch((e) => expect(isErrorNamed(e, 'SourceError')).toBe(true));
      const wrongDb = fromMysqldump(file, { tables: ['wp_users'], database: 'shop' }).extract(ws.context);
      await expect(wrongDb).rejects.toThrow(/dump of database wordpress, not of shop/);
      const noDdl = fromMysqldump(`${REAL}mysqldump-mariadb-10.11-no-create-info.sql`, {
        tables: ['wp_users'],
      }).extract(ws.context);
      await expect(noDdl).rejects.toThrow(/no CREATE TABLE before them/);
      expect(await tablesOf(ws.target, ws.schema)).toEqual([]);
    } finally {
      await ws.drop();
    }
  });
});

describe('fromMysqldump on bigger inputs', () => {
  it('splits a long table into several LOADs under a Group Replication transaction limit, and reads zstd', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const rows = Array.from({ length: 30_000 }, (_, i) => `(${i},'${'x'.repeat(100)}\\'${i}')`);
      const dump = Buffer.from(
        `CREATE TABLE \`big\` (\`id\` int PRIMARY KEY, \`v\` varchar(200));\nINSERT INTO \`big\` VALUES ${rows.join(',')};\n`,
      );
      const { topology } = ws.context.target;
      const group = { role: 'PRIMARY', state: 'ONLINE', singlePrimary: true, groupName: 'g', members: [] };
      const limited = {
        ...ws.context.target,
        topology: { ...topology, groupReplication: { ...group, transactionSizeLimit: 4 << 20 } },
      };
      const result = await fromMysqldump(zstdCompressSync(dump), { tables: ['big'] }).extract({
        ...ws.context,
        target: limited,
      });
      expect(result.tables[0]!.rows).toBe(30_000);
      expect(result.provenance).toMatchObject({ compression: 'zstd' });
      const last = await sql<{
        v: string;
      }>`SELECT v FROM ${sql.id(ws.schema, 'b__big')} WHERE id = 29999`.execute(ws.target.db);
      expect(last.rows[0]!.v).toBe(`${'x'.repeat(100)}'29999`);
    } finally {
      await ws.drop();
    }
  });
});
