import { readFile } from 'node:fs/promises';
import { fromMysqldump, sql, type Target } from 'rowback';
import { describe, expect, inject, it } from 'vitest';
import { standInCollation } from '../../src/sources/collation-map.ts';
import { checksum, clientLoad, count, REAL, tablesOf, workspace } from './sources-helpers.ts';

/**
 * Oracle MySQL 8.0.17 mysqldump files into the workspace of the server under test. A MariaDB client
 * cannot load the 1.0.1 snapshot as it is (MariaDB has no utf8mb4_0900_ai_ci), so the reference load
 * gets the same collation stand-in rowback uses on that server (none on MySQL), and the dump's database
 * renamed to the reference schema; views (DEFINER, SQL SECURITY) are left out, tables compared.
 */
const FILES: Record<string, Record<string, number>> = {
  'mysqldump-mysql8.0.17-innodb-cluster-metadata-1.0.1-snapshot.sql': {
    clusters: 1,
    hosts: 2,
    instances: 1,
    replicasets: 1,
    routers: 1,
  },
  'mysqldump-mysql8.0.17-innodb-cluster-metadata-cluster_1member.sql': { clusters: 1, instances: 1 },
  'mysqldump-mysql8.0.17-innodb-cluster-metadata-replicaset_1member.sql': {
    async_cluster_members: 1,
    async_cluster_views: 2,
    clusters: 1,
    instances: 1,
  },
};

/** The collation the server under test uses for utf8mb4_0900_ai_ci: itself on MySQL, a stand-in on MariaDB. */
async function serverCollationFor(target: Target, collation: string): Promise<string> {
  const r = await sql<{
    name: string;
  }>`SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS`.execute(target.db);
  const standIn = standInCollation(collation, new Set(r.rows.map((row) => row.name.toLowerCase())));
  if (standIn === null) throw new Error(`the server under test has no stand-in for ${collation}`);
  return standIn;
}

describe('fromMysqldump on Oracle MySQL 8.0.17 dumps', () => {
  for (const [file, rows] of Object.entries(FILES)) {
    it(`${file}: tables land with the client's checksums; every DDL change is listed`, async () => {
      const ref = await workspace(inject('mysqlUrl'));
      const ws = await workspace(inject('mysqlUrl'));
      try {
        const collation = await serverCollationFor(ref.target, 'utf8mb4_0900_ai_ci');
        const text = (await readFile(`${REAL}${file}`, 'latin1'))
          .replaceAll('`mysql_innodb_cluster_metadata`', `\`${ref.schema}\``)
          .replaceAll('utf8mb4_0900_ai_ci', collation);
        // The client stops at the first error: views need privileges and syntax MariaDB lacks, so they go.
        const withoutViews = text
          .replace(/\/\*!50001 CREATE ALGORITHM[\s\S]*?\*\/;/g, '')
          .replace(/\/\*!50001 VIEW[\s\S]*?\*\/;/g, '');
        await clientLoad(inject('mysqlUrl'), ref.schema, { text: Buffer.from(withoutViews, 'latin1') });
        const tables = Object.keys(rows);
        const result = await fromMysqldump(`${REAL}${file}`, {
          tables,
          database: 'mysql_innodb_cluster_metadata',
        }).extract(ws.context);
        for (const t of result.tables) {
          expect([t.sourceTable, t.rows]).toEqual([t.sourceTable, rows[t.sourceTable]]);
          expect([t.sourceTable, t.checksum]).toEqual([
            t.sourceTable,
            await checksum(ref.target, ref.schema, t.sourceTable),
          ]);
          expect(await count(ref.target, ref.schema, t.sourceTable)).toBe(t.rows);
        }
        expect(result.provenance).toMatchObject({ serverVersion: '8.0.17-commercial' });
        expect(result.ddlChanges.some((c) => /dropped foreign key/.test(c))).toBe(true);
        const change = `clusters: collation utf8mb4_0900_ai_ci → ${collation}`;
        if (file.includes('1.0.1') && collation !== 'utf8mb4_0900_ai_ci')
          expect(result.ddlChanges).toContain(change);
        if (collation === 'utf8mb4_0900_ai_ci') expect(result.ddlChanges).not.toContain(change);
        expect((await tablesOf(ws.target, ws.schema)).length).toBe(tables.length);
      } finally {
        await Promise.all([ref.drop(), ws.drop()]);
      }
    });
  }
});

/**
 * A mysqldump 8.0.40 file (MySQL Shell's test data, fixtures/real/README.md): `clusters` and
 * `async_cluster_views` hold real rows; `instances` and `async_cluster_members` hold template
 * placeholders (`INSERT … VALUES __instances__;`), which are not SQL.
 */
describe('fromMysqldump on an Oracle MySQL 8.0.40 dump', () => {
  const file = `${REAL}mysqldump-mysql8.0.40-innodb-cluster-metadata-TEMPLATE-has-placeholders.sql`;

  it('lands the tables with rows equal to the client’s load of the same file', async () => {
    const ref = await workspace(inject('mysqlUrl'));
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const collation = await serverCollationFor(ref.target, 'utf8mb4_0900_ai_ci');
      const text = (await readFile(file, 'latin1'))
        .replaceAll('`mysql_innodb_cluster_metadata`', `\`${ref.schema}\``)
        .replaceAll('utf8mb4_0900_ai_ci', collation)
        // The client stops at the first error: the placeholder INSERTs and the views go, and so does
        // GTID_PURGED (MariaDB has no such variable; on MySQL it would change the test server's GTIDs).
        .replace(/^INSERT INTO `\w+` VALUES __\w+__;$/gm, '')
        .replace(/^SET @@GLOBAL\.GTID_PURGED=.*$/m, '')
        .replace(/\/\*!50001 CREATE ALGORITHM[\s\S]*?\*\/;/g, '')
        .replace(/\/\*!50001 VIEW[\s\S]*?\*\/;/g, '');
      await clientLoad(inject('mysqlUrl'), ref.schema, { text: Buffer.from(text, 'latin1') });
      const tables = ['async_cluster_views', 'clusters'];
      const result = await fromMysqldump(file, { tables, database: 'mysql_innodb_cluster_metadata' }).extract(
        ws.context,
      );
      expect(result.tables.map((t) => [t.sourceTable, t.rows])).toEqual([
        ['async_cluster_views', 2],
        ['clusters', 1],
      ]);
      for (const t of result.tables) {
        expect([t.sourceTable, t.checksum]).toEqual([
          t.sourceTable,
          await checksum(ref.target, ref.schema, t.sourceTable),
        ]);
      }
      expect(result.provenance).toMatchObject({
        serverVersion: '8.0.40-debug',
        gtidPurged: 'b062f2fa-b71c-11ef-bc53-d08e7912e4ee:1-61',
      });
    } finally {
      await Promise.all([ref.drop(), ws.drop()]);
    }
  });

  it('refuses a table whose INSERT is a template placeholder, naming the table, and leaves nothing', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const extract = fromMysqldump(file, {
        tables: ['instances'],
        database: 'mysql_innodb_cluster_metadata',
      }).extract(ws.context);
      await expect(extract).rejects.toThrow(
        /at byte \d+: the rows of instances are not in INSERT … VALUES form/,
      );
      await expect(extract).rejects.toMatchObject({ name: 'SourceError' });
      expect(await tablesOf(ws.target, ws.schema)).toEqual([]);
    } finally {
      await ws.drop();
    }
  });
});
