import { randomBytes } from 'node:crypto';
import { connect, type ExtractContext, quoteId, quoteQualified, sql, type Target } from 'rowback';
import { inject } from 'vitest';
import { runClientTool } from '../support/mariadb-client.ts';

export const REAL = new URL('../../fixtures/real/', import.meta.url).pathname;

/**
 * The load methods the server under test takes: LOAD DATA LOCAL only where `local_infile` is on
 * (stock MySQL 8 has it off; the local MariaDB has it on), INSERT everywhere.
 */
export function loadMethods(): readonly ('load-data' | 'insert')[] {
  return inject('mysqlLocalInfile') ? ['load-data', 'insert'] : ['insert'];
}

export const unique = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex')}`;

/** A workspace schema plus an ExtractContext naming landed tables `b__<table>`. */
export async function workspace(url: string): Promise<{
  target: Target;
  schema: string;
  context: ExtractContext;
  drop(): Promise<void>;
}> {
  const target = await connect(url);
  const schema = unique('rbt_src');
  await sql.raw(`CREATE DATABASE ${quoteId(schema)} DEFAULT CHARACTER SET utf8mb4`).execute(target.db);
  return {
    target,
    schema,
    context: { target, workspace: schema, tableName: (table) => `b__${table}`.slice(0, 64) },
    async drop() {
      await sql.raw(`DROP DATABASE IF EXISTS ${quoteId(schema)}`).execute(target.db);
      await target.close();
    },
  };
}

/** Runs the server's own client (`mariadb`) with `file` (or text) on stdin against `schema`. */
export async function clientLoad(
  url: string,
  schema: string,
  input: { file: string } | { text: string | Buffer },
): Promise<void> {
  await runClientTool('mariadb', url, ['--default-character-set=utf8mb4', '--local-infile=1', schema], input);
}

export async function checksum(target: Target, schema: string, table: string): Promise<string> {
  const r = await sql
    .raw<{ Checksum: string | number | null }>(`CHECKSUM TABLE ${quoteQualified(schema, table)} EXTENDED`)
    .execute(target.db);
  return String(r.rows[0]?.Checksum);
}

export async function count(target: Target, schema: string, table: string): Promise<number> {
  const r = await sql
    .raw<{ n: number }>(`SELECT COUNT(*) AS n FROM ${quoteQualified(schema, table)}`)
    .execute(target.db);
  return Number(r.rows[0]?.n);
}

export async function tablesOf(target: Target, schema: string): Promise<string[]> {
  const r = await sql<{ name: string }>`
    SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${schema} AND TABLE_TYPE = 'BASE TABLE'
    ORDER BY TABLE_NAME`.execute(target.db);
  return r.rows.map((row) => row.name).sort();
}

/**
 * A digest of a table's writable (non-generated) columns, byte-exact. MariaDB's CHECKSUM TABLE is not
 * stable for tables with virtual columns (two identical copies made by INSERT … SELECT differ), so
 * tests compare those tables with this instead.
 */
export async function rowsDigest(target: Target, schema: string, table: string): Promise<string> {
  const columns = await sql<{ name: string }>`
    SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS
     WHERE TABLE_SCHEMA = ${schema} AND TABLE_NAME = ${table} AND EXTRA NOT LIKE '%GENERATED%'
     ORDER BY ORDINAL_POSITION`.execute(target.db);
  const parts = columns.rows.map((c) => `IFNULL(HEX(${quoteId(c.name)}), 'N')`).join(', ');
  const r = await sql
    .raw<{ n: number; digest: string }>(
      `SELECT COUNT(*) AS n, CAST(SUM(CRC32(CONCAT_WS(',', ${parts}))) AS CHAR) AS digest FROM ${quoteQualified(schema, table)}`,
    )
    .execute(target.db);
  return `${r.rows[0]?.n}:${r.rows[0]?.digest}`;
}
