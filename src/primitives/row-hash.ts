import { type Kysely, type RawBuilder, sql } from 'kysely';
import { quoteId, type TableRef } from '../db/index.ts';
import { joinOn } from './sql-fragments.ts';
import { readTableMetadata } from './table-metadata.ts';

/** Restricts a hash to the rows whose key columns appear in a key table (e.g. a scope or a write's keys). */
export interface HashKeys {
  readonly table: TableRef;
  /** Key columns of the key table, matched by position to `on` (default: the same names) in the hashed table. */
  readonly columns: readonly string[];
  readonly on?: readonly string[];
}

export interface HashRowsOptions {
  /**
   * Read with `LOCK IN SHARE MODE`: inside a transaction that reads tables created after it began
   * (InnoDB refuses a snapshot read of those), and to hold the rows hashed.
   */
  readonly locking?: boolean;
  /** Only the rows matching this condition, on the row as `t` (a purge's `where`). */
  readonly where?: RawBuilder<unknown>;
}

/**
 * The SQL of one row's fingerprint: MD5 over every column's bytes in hex, NULL written as `N` (not a
 * hex digit, so NULL and '' differ). `CONCAT(col)` turns numbers, dates and JSON into their text form
 * and keeps binary as bytes, so the same stored value always gives the same text.
 */
export function rowFingerprintSql(alias: string, columns: readonly string[]): string {
  const parts = columns.map((c) => `COALESCE(HEX(CONCAT(${quoteId(alias)}.${quoteId(c)})), 'N')`);
  return `MD5(CONCAT_WS(',', ${parts.join(', ')}))`;
}

/**
 * An order-independent hash of a table's rows (all columns, invisible and generated included), or of
 * the rows matching a key table: `<row count>:<16 hex digits>`. Computed on the server (BIT_XOR of
 * 64 bits of each row's fingerprint), so it costs one scan and no transfer. The runner uses it to detect
 * drift between plan and apply; undo uses it to see whether rows changed since a write.
 *
 * @example
 * const before = await hashRows(target.db, new TableRef('wp', 'wp_users'), { table: scope.table, columns: scope.key });
 */
export async function hashRows(
  db: Kysely<any>,
  table: TableRef,
  keys?: HashKeys,
  options: HashRowsOptions = {},
): Promise<string> {
  const meta = await readTableMetadata(db, table);
  const columns = meta.columns.map((c) => c.name);
  const join = keys
    ? ` JOIN ${keys.table.qualified} AS ${quoteId('k')} ON ${joinOn('t', keys.on ?? keys.columns, 'k', keys.columns)}`
    : '';
  // One query block (no derived table), so the locking clause is plain SQL on MySQL and MariaDB alike;
  // 64 bits of each row's MD5, XOR-ed, plus the row count.
  const text = `SELECT COUNT(*) AS n,
      COALESCE(BIT_XOR(CAST(CONV(SUBSTRING(${rowFingerprintSql('t', columns)}, 1, 16), 16, 10) AS UNSIGNED)), 0) AS h
    FROM ${table.qualified} AS ${quoteId('t')}${join}`;
  const where = options.where ? sql` WHERE (${options.where})` : sql``;
  const locking = sql.raw(options.locking ? ' LOCK IN SHARE MODE' : '');
  const result = await sql<{
    n: string | number;
    h: string | number;
  }>`${sql.raw(text)}${where}${locking}`.execute(db);
  const row = result.rows[0]!;
  return `${row.n}:${BigInt(row.h).toString(16).padStart(16, '0')}`;
}
