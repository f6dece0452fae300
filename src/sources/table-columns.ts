import { type Kysely, sql } from 'kysely';
import { GENERATED_COLUMN_CONDITION } from '../db/index.ts';
import { SourceError } from '../errors/index.ts';

export interface TableColumns {
  /** Columns a copy writes, in table order: generated columns left out, invisible ones included. */
  readonly writable: readonly string[];
  readonly hasPrimaryKey: boolean;
  /** The primary key's columns in key order (empty without one). */
  readonly primaryKey: readonly string[];
}

/**
 * The writable columns of a live table. `SELECT *` would miss invisible columns and name generated
 * ones, which cannot be written, so every copy lists its columns from here.
 */
export async function tableColumns(db: Kysely<any>, schema: string, table: string): Promise<TableColumns> {
  const columns = await sql<{ name: string; generated: number | string; key: string }>`
    SELECT c.COLUMN_NAME AS name, ${sql.raw(GENERATED_COLUMN_CONDITION)} AS ${sql.id('generated')}, c.COLUMN_KEY AS ${sql.id('key')}
      FROM information_schema.COLUMNS c
     WHERE c.TABLE_SCHEMA = ${schema} AND c.TABLE_NAME = ${table}
     ORDER BY c.ORDINAL_POSITION`.execute(db);
  if (columns.rows.length === 0) {
    const others = await sql<{ name: string }>`
      SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${schema} ORDER BY TABLE_NAME LIMIT 30`.execute(
      db,
    );
    throw new SourceError(
      `table ${schema}.${table} does not exist; ${schema} has ${others.rows.map((r) => r.name).join(', ') || 'no tables (or does not exist)'}`,
      { facts: { schema, table, expected: table, found: others.rows.map((r) => r.name) } },
    );
  }
  const kind = await sql<{ type: string }>`
    SELECT TABLE_TYPE AS ${sql.id('type')} FROM information_schema.TABLES
     WHERE TABLE_SCHEMA = ${schema} AND TABLE_NAME = ${table}`.execute(db);
  if (kind.rows[0]?.type === 'VIEW') {
    throw new SourceError(
      `${schema}.${table} is a view, not a table: a source copies the rows of base tables`,
      {
        hint: 'extract the base tables the view reads (SHOW CREATE VIEW names them), and query the view over those',
        facts: { schema, table, expected: 'BASE TABLE', found: 'VIEW' },
      },
    );
  }
  const key = await sql<{ name: string }>`
    SELECT COLUMN_NAME AS name FROM information_schema.KEY_COLUMN_USAGE
     WHERE TABLE_SCHEMA = ${schema} AND TABLE_NAME = ${table} AND CONSTRAINT_NAME = 'PRIMARY'
     ORDER BY ORDINAL_POSITION`.execute(db);
  return Object.freeze({
    writable: Object.freeze(columns.rows.filter((c) => Number(c.generated) === 0).map((c) => c.name)),
    hasPrimaryKey: key.rows.length > 0,
    primaryKey: Object.freeze(key.rows.map((r) => r.name)),
  });
}
