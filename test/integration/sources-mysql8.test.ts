import { readFile } from 'node:fs/promises';
import { fromMysqldump } from 'rowback';
import { describe, expect, inject, it } from 'vitest';
import { checksum, clientLoad, count, REAL, tablesOf, workspace } from './sources-helpers.ts';

/**
 * Oracle MySQL 8.0.17 mysqldump files into the MariaDB workspace. The server's own client cannot load
 * the 1.0.1 snapshot as it is (MariaDB has no utf8mb4_0900_ai_ci), so the reference load gets the
 * same collation stand-in rowback uses, and the dump's database renamed to the reference schema; views
 * (DEFINER, SQL SECURITY) are skipped with --force-like statement-by-statement loading, tables compared.
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

describe('fromMysqldump on Oracle MySQL 8.0.17 dumps into MariaDB', () => {
  for (const [file, rows] of Object.entries(FILES)) {
    it(`${file}: tables land with the client's checksums; every DDL change is listed`, async () => {
      const ref = await workspace(inject('mysqlUrl'));
      const ws = await workspace(inject('mysqlUrl'));
      try {
        const text = (await readFile(`${REAL}${file}`, 'latin1'))
          .replaceAll('`mysql_innodb_cluster_metadata`', `\`${ref.schema}\``)
          .replaceAll('utf8mb4_0900_ai_ci', 'utf8mb4_unicode_520_nopad_ci');
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
        if (file.includes('1.0.1')) {
          expect(result.ddlChanges).toContain(
            'clusters: collation utf8mb4_0900_ai_ci → utf8mb4_unicode_520_nopad_ci',
          );
        }
        expect((await tablesOf(ws.target, ws.schema)).length).toBe(tables.length);
      } finally {
        await Promise.all([ref.drop(), ws.drop()]);
      }
    });
  }
});
