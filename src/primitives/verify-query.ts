import { type Kysely, type RawBuilder, sql } from 'kysely';
import { UsageError } from '../errors/index.ts';
import { checkGate, type Expectation } from './expectation.ts';

export interface VerifyQueryOptions {
  readonly expect?: Expectation;
  /** Name of the check, for the gate message. */
  readonly name?: string;
  readonly hint?: string;
  /**
   * `rows`: the number of rows the query returns. `value`: the query returns one row with one numeric
   * column, and that is the number. Default `auto`: `value` when the query returns exactly one row whose
   * only column is named `n` or starts with `count` (as in `SELECT COUNT(*) …` or `… AS count`), else `rows`.
   */
  readonly mode?: 'auto' | 'rows' | 'value';
}

/**
 * Runs a check query and returns its number: by default the count of rows it returns (counted on the
 * server, nothing transferred), or the value of a `SELECT COUNT(*) …`. Then checks the gate, if any.
 *
 * @example
 * await verifyQuery(db, sql`SELECT p.ID FROM wp_ep e JOIN wp_users u ON … WHERE …`, { expect: { rows: 0 } });
 * await verifyQuery(db, sql`SELECT COUNT(*) FROM wp_usermeta WHERE user_id = ${id}`, { expect: { min: 1 } });
 */
export async function verifyQuery(
  db: Kysely<any>,
  query: RawBuilder<unknown>,
  options: VerifyQueryOptions = {},
): Promise<number> {
  const mode = options.mode ?? 'auto';
  let found: number;
  if (mode === 'value') {
    found = singleValue((await query.execute(db)).rows as Record<string, unknown>[]);
  } else {
    const counted = await sql<{ n: string | number }>`SELECT COUNT(*) AS n FROM (${query}) AS q`.execute(db);
    found = Number(counted.rows[0]?.n ?? 0);
    if (mode === 'auto' && found === 1) {
      const rows = (await query.execute(db)).rows as Record<string, unknown>[];
      const names = Object.keys(rows[0] ?? {});
      if (names.length === 1 && /^(n|count.*)$/i.test(names[0]!)) found = singleValue(rows);
    }
  }
  checkGate(options.name ?? 'verify', options.expect, found, options.hint);
  return found;
}

function singleValue(rows: readonly Record<string, unknown>[]): number {
  const values = rows.length === 1 ? Object.values(rows[0]!) : [];
  const value = values.length === 1 ? Number(values[0]) : Number.NaN;
  if (!Number.isFinite(value)) {
    throw new UsageError(
      `a value check must return one row with one numeric column, got ${rows.length} row(s)`,
      {
        hint: "write it as SELECT COUNT(*) … or use mode: 'rows' to count the rows it returns",
      },
    );
  }
  return value;
}
