import { connect, quoteId, sql } from 'rowback';
import { describe, expect, inject, it } from 'vitest';
import { rewriteCreateTable, type WorkspaceServer } from '../../src/sources/workspace-ddl.ts';
import { unique } from './sources-helpers.ts';

// SHOW CREATE TABLE forms as mariadb-dump 10.11 and mysqldump 8.0 write them.
const FROM_MARIADB = `CREATE TABLE \`events\` (
  \`id\` int(11) NOT NULL,
  \`uuid\` char(36) NOT NULL DEFAULT uuid(),
  \`note\` text DEFAULT 'none',
  \`total\` int(11) GENERATED ALWAYS AS (\`id\` * 2) PERSISTENT,
  PRIMARY KEY (\`id\`),
  KEY \`total\` (\`total\`),
  CONSTRAINT \`positive\` CHECK (\`id\` > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci PAGE_CHECKSUM=1 ROW_FORMAT=PAGE`;

const FROM_MYSQL = `CREATE TABLE \`events\` (
  \`id\` int NOT NULL,
  \`made\` datetime NOT NULL,
  \`secret\` int DEFAULT NULL /*!80023 INVISIBLE */,
  PRIMARY KEY (\`id\`),
  KEY \`made\` (\`made\`) /*!80000 INVISIBLE */,
  CONSTRAINT \`events_chk_1\` CHECK ((\`id\` > 0))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8_general_ci`;

describe('DDL of either flavour, adapted for the server under test', () => {
  it('creates two copies of each table in one workspace schema (CHECK names, defaults, indexes)', async () => {
    const target = await connect(inject('mysqlUrl'));
    const schema = unique('rbt_xddl');
    await sql.raw(`CREATE DATABASE ${quoteId(schema)}`).execute(target.db);
    try {
      const collations = await sql<{ name: string }>`
        SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS`.execute(target.db);
      const server: WorkspaceServer = {
        flavour: target.server.flavour,
        version: target.server.version,
        requirePrimaryKey: target.server.requirePrimaryKey,
        generateInvisiblePrimaryKey: target.server.generateInvisiblePrimaryKey,
        collations: new Set(collations.rows.map((r) => r.name.toLowerCase())),
      };
      for (const [label, ddl] of [
        ['mariadb', FROM_MARIADB],
        ['mysql', FROM_MYSQL],
      ] as const) {
        for (const copy of ['a', 'b']) {
          const rewritten = rewriteCreateTable(ddl, schema, `${label}_${copy}`, server);
          await sql.raw(rewritten.sql).execute(target.db);
        }
      }
      await sql.raw(`INSERT INTO ${quoteId(schema)}.mariadb_a (id) VALUES (3)`).execute(target.db);
      const row = await sql<{ note: string; total: number; uuid: string }>`
        SELECT note, total, uuid FROM ${sql.table(`${schema}.mariadb_a`)}`.execute(target.db);
      expect(row.rows.map((r) => [r.note, Number(r.total), r.uuid.length])).toEqual([['none', 6, 36]]);
      // The CHECK constraint still holds in each copy.
      await expect(
        sql.raw(`INSERT INTO ${quoteId(schema)}.mysql_b (id, made) VALUES (0, NOW())`).execute(target.db),
      ).rejects.toThrow(/CONSTRAINT|check/i);
    } finally {
      await sql.raw(`DROP DATABASE IF EXISTS ${quoteId(schema)}`).execute(target.db);
      await target.close();
    }
  });
});
