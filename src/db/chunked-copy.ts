import { type Kysely, type RawBuilder, sql } from 'kysely';
import { quoteId } from './quote.ts';
import type { TableRef } from './table-ref.ts';
import type { WriteLimits } from './write-limits.ts';

export interface CopySpec {
  /** The table rows go into; it has the source's primary key (`CREATE TABLE … LIKE`). */
  readonly into: TableRef;
  /** Column list of `into`, already quoted. */
  readonly columns: RawBuilder<unknown>;
  /** The SELECT list over the source aliased `alias`. */
  readonly select: RawBuilder<unknown>;
  /** `FROM …` body: the source aliased `alias`, and any join. */
  readonly from: RawBuilder<unknown>;
  readonly where: RawBuilder<unknown> | null;
  /** The source's primary key columns (the same names in `into`). */
  readonly key: readonly string[];
  /** What qualifies the key columns in `from`: its alias, or the source table when it has none. */
  readonly qualifier: TableRef | string;
}

/**
 * Rows per statement so one statement's writeset stays within the cluster's limits: half of
 * `wsrep_max_ws_rows`, and a quarter of the byte limit over the average row length (InnoDB's estimate,
 * hence the margin). Null when nothing limits a transaction.
 */
export function rowsPerWriteset(limits: WriteLimits, averageRowBytes: number): number | null {
  if (limits.maxBytes === null && limits.maxRows === null) return null;
  const byRows = limits.maxRows === null ? Infinity : Math.floor(limits.maxRows / 2);
  const byBytes =
    limits.maxBytes === null ? Infinity : Math.floor(limits.maxBytes / 4 / Math.max(averageRowBytes, 1));
  return Math.max(1, Math.min(byRows, byBytes));
}

/** InnoDB's estimate of a table's average row length in bytes (0 when it has no statistics yet). */
export async function averageRowBytes(db: Kysely<any>, table: TableRef): Promise<number> {
  const result = await sql<{ n: number | string | null }>`
    SELECT AVG_ROW_LENGTH AS n FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = ${table.schema} AND TABLE_NAME = ${table.name}`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}

/**
 * `INSERT … SELECT` in one statement, or — with `rowsPerStatement` — in statements of at most that many
 * rows walking the source's primary key (keyset pagination: each next statement starts after the
 * largest key already in `into`), so no single autocommitted statement exceeds a cluster's writeset
 * limits. Returns the rows inserted.
 *
 * @example
 * const rows = await copyRows(db, spec, rowsPerWriteset(writeLimits(target.topology), avg));
 */
export async function copyRows(
  db: Kysely<any>,
  spec: CopySpec,
  rowsPerStatement: number | null,
): Promise<number> {
  const head = sql`INSERT INTO ${spec.into} (${spec.columns}) SELECT ${spec.select} FROM ${spec.from}`;
  if (rowsPerStatement === null || spec.key.length === 0) {
    const result = await sql`${head}${spec.where ? sql` WHERE ${spec.where}` : sql``}`.execute(db);
    return Number(result.numAffectedRows ?? 0n);
  }
  const qualifier = typeof spec.qualifier === 'string' ? quoteId(spec.qualifier) : spec.qualifier.qualified;
  const sourceKey = sql.raw(spec.key.map((k) => `${qualifier}.${quoteId(k)}`).join(', '));
  const intoKey = sql.raw(spec.key.map(quoteId).join(', '));
  const lastFirst = sql.raw(spec.key.map((k) => `${quoteId(k)} DESC`).join(', '));
  let total = 0;
  let after: readonly unknown[] | null = null;
  for (;;) {
    const conditions = [
      ...(spec.where ? [sql`(${spec.where})`] : []),
      ...(after ? [sql`(${sourceKey}) > (${sql.join(after.map((v) => sql`${v}`))})`] : []),
    ];
    const where = conditions.length ? sql` WHERE ${sql.join(conditions, sql` AND `)}` : sql``;
    const result =
      await sql`${head}${where} ORDER BY ${sourceKey} LIMIT ${sql.lit(rowsPerStatement)}`.execute(db);
    const inserted = Number(result.numAffectedRows ?? 0n);
    total += inserted;
    if (inserted < rowsPerStatement) return total;
    const last = await sql<Record<string, unknown>>`
      SELECT ${intoKey} FROM ${spec.into} ORDER BY ${lastFirst} LIMIT 1`.execute(db);
    after = spec.key.map((k) => last.rows[0]?.[k]);
  }
}
