import { type Kysely, sql } from 'kysely';
import { quoteId, type TableRef } from '../db/index.ts';
import { UsageError } from '../errors/index.ts';
import { allSame, columnList, joinOn, sameValue } from './sql-fragments.ts';
import { readTableMetadata, requireColumn, type TableMetadata } from './table-metadata.ts';
import type { Scope } from './types.ts';
import { displayValue, sameDriverValue, textDiff, wantsTextDiff } from './value-diff.ts';

export interface DiffTablesOptions {
  /** Columns that identify a row on both sides (default: the left table's primary key). */
  readonly key?: string | readonly string[];
  /** Columns to compare (default: every non-generated left column that the right table has, key excluded). */
  readonly columns?: readonly string[];
  /** Compare only rows in this scope (a row counts when it is scoped on either side). */
  readonly scope?: Scope;
  /** Columns matched by position to the scope's key (default: the key's own names), e.g. `['user_id']`. */
  readonly scopeOn?: string | readonly string[];
  /** Left column → right column where the names differ. */
  readonly map?: Readonly<Record<string, string>>;
  /** How many differing keys and row diffs to return per kind (default 20). */
  readonly sampleSize?: number;
}

/** One differing field of a sample row. `textDiff` (long text only) reads left → right: `[-left-]{+right+}`, i.e. what restoring right onto left changes. */
export interface FieldDiff {
  readonly column: string;
  readonly left: string | null;
  readonly right: string | null;
  readonly textDiff?: string;
}

export interface RowDiff {
  readonly key: Readonly<Record<string, string | null>>;
  readonly fields: readonly FieldDiff[];
}

/** The outcome of `diffTables`, frozen and JSON-safe. */
export interface DiffResult {
  readonly left: string;
  readonly right: string;
  readonly key: readonly string[];
  readonly columns: readonly string[];
  /** Rows only on the left (e.g. live rows the backup lacks). */
  readonly onlyLeft: number;
  readonly onlyRight: number;
  /** Rows on both sides with at least one differing column. */
  readonly changed: number;
  /** onlyLeft + onlyRight + changed: what `'no-diff'` checks to be 0. */
  readonly total: number;
  /** Per compared column, in how many rows present on both sides it differs. */
  readonly columnCounts: Readonly<Record<string, number>>;
  readonly sample: {
    readonly onlyLeft: readonly Readonly<Record<string, string | null>>[];
    readonly onlyRight: readonly Readonly<Record<string, string | null>>[];
    readonly changed: readonly RowDiff[];
  };
}

/**
 * Compares two tables on the server (NULL-safe, byte-wise for text): anti-joins count rows missing on
 * either side, one pass over the joined rows counts differing rows and differing values per column.
 * Only a bounded sample of keys and rows crosses the wire; long text values get a word diff.
 *
 * @example
 * const d = await diffTables(db, live('wp_usermeta'), backup.table('wp_usermeta'),
 *   { scope: users, scopeOn: 'user_id' });
 * d.total === 0 // scoped usermeta equals the backup
 */
interface PreparedDiff {
  readonly key: readonly string[];
  readonly rightKey: readonly string[];
  readonly columns: readonly string[];
  readonly rightName: (column: string) => string;
  readonly same: (column: string) => string;
  readonly sampleSize: number;
  /** `FROM … WHERE …` of the left rows with no right row, the right rows with no left row, and changed rows. */
  readonly onlyLeftFrom: string;
  readonly onlyRightFrom: string;
  readonly changedFrom: string;
  /** `FROM … WHERE …` of the left rows that are missing on the right or changed: one pass. */
  readonly leftDifferingFrom: string;
}

/** Reads both tables' metadata and builds the SQL pieces every diff query is made of. */
async function prepareDiff(
  db: Kysely<any>,
  left: TableRef,
  right: TableRef,
  options: DiffTablesOptions,
): Promise<PreparedDiff> {
  const [l, r] = await Promise.all([readTableMetadata(db, left), readTableMetadata(db, right)]);
  const map = options.map ?? {};
  const rightName = (c: string) => map[c] ?? c;
  const key = options.key === undefined ? [...l.primaryKey] : [options.key].flat();
  if (key.length === 0)
    throw new UsageError(`diff of ${left}: no key given and the table has no primary key`);
  for (const k of key) {
    requireColumn(l, k);
    requireColumn(r, rightName(k));
  }
  const columns = options.columns
    ? [...options.columns]
    : l.columns
        .filter((c) => !c.generated && !key.includes(c.name) && hasColumn(r, rightName(c.name)))
        .map((c) => c.name);
  for (const c of columns) {
    requireColumn(l, c);
    requireColumn(r, rightName(c));
  }
  const info = (c: string) => l.columns.find((x) => x.name === c);
  const same = (c: string) => sameValue('l', c, 'r', rightName(c), info(c));
  const rightKey = key.map(rightName);
  const keyJoin = joinOn('l', key, 'r', rightKey);
  const sampleSize = options.sampleSize ?? 20;
  const L = `${left.qualified} AS ${quoteId('l')}`;
  const R = `${right.qualified} AS ${quoteId('r')}`;

  const scope = options.scope;
  const scopeOn = scope ? (options.scopeOn === undefined ? [...scope.key] : [options.scopeOn].flat()) : [];
  if (scope && scopeOn.length !== scope.key.length) {
    throw new UsageError(
      `diff of ${left}: scopeOn ${scopeOn.join(', ')} does not match scope key ${scope.key.join(', ')}`,
    );
  }
  const scopeJoin = (
    alias: string,
    cols: readonly string[],
    scopeAlias: string,
    kind: 'JOIN' | 'LEFT JOIN',
  ) =>
    scope
      ? `${kind} ${scope.table.qualified} AS ${quoteId(scopeAlias)} ON ${joinOn(alias, cols, scopeAlias, scope.key)}`
      : '';
  const scopeIsKey = scope !== undefined && scopeOn.every((c) => key.includes(c));
  // Both-sides rows count when scoped on either side; when the scope columns are key columns they are
  // equal on both sides, so one inner join suffices (and keeps the scope's index in use).
  const bothScoped = !scope
    ? { join: '', where: 'TRUE' }
    : scopeIsKey
      ? { join: scopeJoin('l', scopeOn, 's', 'JOIN'), where: 'TRUE' }
      : {
          join: `${scopeJoin('l', scopeOn, 's', 'LEFT JOIN')} ${scopeJoin('r', scopeOn.map(rightName), 's2', 'LEFT JOIN')}`,
          where: `(${quoteId('s')}.${quoteId(scope.key[0]!)} IS NOT NULL OR ${quoteId('s2')}.${quoteId(scope.key[0]!)} IS NOT NULL)`,
        };

  const onlyLeftFrom = `FROM ${L} ${scopeJoin('l', scopeOn, 's', 'JOIN')} LEFT JOIN ${R} ON ${keyJoin} WHERE ${quoteId('r')}.${quoteId(rightKey[0]!)} IS NULL`;
  const onlyRightFrom = `FROM ${R} ${scopeJoin('r', scopeOn.map(rightName), 's', 'JOIN')} LEFT JOIN ${L} ON ${keyJoin} WHERE ${quoteId('l')}.${quoteId(key[0]!)} IS NULL`;
  const changedFrom = `FROM ${L} JOIN ${R} ON ${keyJoin} ${bothScoped.join} WHERE ${bothScoped.where} AND NOT ${allSame(columns.map(same))}`;

  const leftDifferingFrom = `FROM ${L} LEFT JOIN ${R} ON ${keyJoin} ${bothScoped.join} WHERE ${bothScoped.where} AND (${quoteId('r')}.${quoteId(rightKey[0]!)} IS NULL OR NOT ${allSame(columns.map(same))})`;
  return {
    key,
    rightKey,
    columns,
    rightName,
    same,
    sampleSize,
    onlyLeftFrom,
    onlyRightFrom,
    changedFrom,
    leftDifferingFrom,
  };
}

export async function diffTables(
  db: Kysely<any>,
  left: TableRef,
  right: TableRef,
  options: DiffTablesOptions = {},
): Promise<DiffResult> {
  const { key, rightKey, columns, rightName, same, sampleSize, onlyLeftFrom, onlyRightFrom, changedFrom } =
    await prepareDiff(db, left, right, options);
  const countOf = async (from: string) => {
    const result = await sql.raw<{ n: string | number }>(`SELECT COUNT(*) AS n ${from}`).execute(db);
    return Number(result.rows[0]?.n ?? 0);
  };
  const perColumn = columns.map(
    (c, i) => `SUM(CASE WHEN ${same(c)} THEN 0 ELSE 1 END) AS ${quoteId(`d${i}`)}`,
  );
  const changedRow =
    (
      await sql
        .raw<Record<string, string | number | null>>(
          `SELECT COUNT(*) AS n${perColumn.length ? `, ${perColumn.join(', ')}` : ''} ${changedFrom}`,
        )
        .execute(db)
    ).rows[0] ?? {};
  const [onlyLeft, onlyRight] = await Promise.all([countOf(onlyLeftFrom), countOf(onlyRightFrom)]);
  const changed = Number(changedRow.n ?? 0);
  const columnCounts = Object.fromEntries(columns.map((c, i) => [c, Number(changedRow[`d${i}`] ?? 0)]));

  const keysOf = async (alias: string, cols: readonly string[], from: string) => {
    if (sampleSize <= 0) return [];
    const result = await sql
      .raw<Record<string, unknown>>(
        `SELECT ${columnList(cols, alias)} ${from} ORDER BY ${columnList(cols, alias)} LIMIT ${Math.floor(sampleSize)}`,
      )
      .execute(db);
    return result.rows.map((row) =>
      Object.freeze(Object.fromEntries(cols.map((c, i) => [key[i]!, displayValue(row[c])]))),
    );
  };
  const sampleOnlyLeft = onlyLeft ? await keysOf('l', key, onlyLeftFrom) : [];
  const sampleOnlyRight = onlyRight ? await keysOf('r', rightKey, onlyRightFrom) : [];
  const sampleChanged = changed && sampleSize > 0 ? await changedSample() : [];

  async function changedSample(): Promise<RowDiff[]> {
    const selects = [
      ...key.map((k, i) => `${quoteId('l')}.${quoteId(k)} AS ${quoteId(`k${i}`)}`),
      ...columns.flatMap((c, i) => [
        `${quoteId('l')}.${quoteId(c)} AS ${quoteId(`l${i}`)}`,
        `${quoteId('r')}.${quoteId(rightName(c))} AS ${quoteId(`r${i}`)}`,
      ]),
    ];
    const result = await sql
      .raw<Record<string, unknown>>(
        `SELECT ${selects.join(', ')} ${changedFrom} ORDER BY ${columnList(key, 'l')} LIMIT ${Math.floor(sampleSize)}`,
      )
      .execute(db);
    return result.rows.map((row) => {
      const fields: FieldDiff[] = [];
      columns.forEach((c, i) => {
        const a = row[`l${i}`];
        const b = row[`r${i}`];
        if (sameDriverValue(a, b)) return;
        fields.push(
          Object.freeze({
            column: c,
            left: displayValue(a),
            right: displayValue(b),
            ...(wantsTextDiff(a, b) ? { textDiff: textDiff(String(a), String(b)) } : {}),
          }),
        );
      });
      return Object.freeze({
        key: Object.freeze(Object.fromEntries(key.map((k, i) => [k, displayValue(row[`k${i}`])]))),
        fields: Object.freeze(fields),
      });
    });
  }

  return Object.freeze({
    left: left.toString(),
    right: right.toString(),
    key: Object.freeze(key),
    columns: Object.freeze(columns),
    onlyLeft,
    onlyRight,
    changed,
    total: onlyLeft + onlyRight + changed,
    columnCounts: Object.freeze(columnCounts),
    sample: Object.freeze({
      onlyLeft: Object.freeze(sampleOnlyLeft),
      onlyRight: Object.freeze(sampleOnlyRight),
      changed: Object.freeze(sampleChanged),
    }),
  });
}

function hasColumn(meta: TableMetadata, name: string): boolean {
  return meta.columns.some((c) => c.name === name);
}

/** One differing row of `diffKeys`: its key, and whether it is changed or on one side only. */
export interface DifferingKey {
  readonly key: Readonly<Record<string, string | null>>;
  readonly status: 'changed' | 'only-left' | 'only-right';
}

/**
 * Every differing key of two tables — changed, only left, only right — from one server-side query (two
 * passes, like a hand-written row-hash join), with the same NULL-safe, byte-exact comparison as
 * `diffTables`. Only keys cross the wire, so memory stays small even when many rows differ; use
 * `diffTables` for counts per column and field-level samples.
 *
 * @example
 * const keys = await diffKeys(db, live('wp_usermeta'), backup.table('wp_usermeta'));
 * keys.filter((k) => k.status === 'changed').length
 */
export async function diffKeys(
  db: Kysely<any>,
  left: TableRef,
  right: TableRef,
  options: Omit<DiffTablesOptions, 'sampleSize'> = {},
): Promise<readonly DifferingKey[]> {
  const { key, rightKey, leftDifferingFrom, onlyRightFrom } = await prepareDiff(db, left, right, options);
  const k = (i: number) => quoteId(`k${i}`);
  const leftKeys = key.map((c, i) => `${quoteId('l')}.${quoteId(c)} AS ${k(i)}`).join(', ');
  const rightKeys = rightKey.map((c, i) => `${quoteId('r')}.${quoteId(c)} AS ${k(i)}`).join(', ');
  const leftStatus = `CASE WHEN ${quoteId('r')}.${quoteId(rightKey[0]!)} IS NULL THEN 'only-left' ELSE 'changed' END`;
  const result = await sql
    .raw<Record<string, unknown>>(
      `SELECT ${leftKeys}, ${leftStatus} AS ${quoteId('status')} ${leftDifferingFrom}
       UNION ALL SELECT ${rightKeys}, 'only-right' AS ${quoteId('status')} ${onlyRightFrom}`,
    )
    .execute(db);
  return Object.freeze(
    result.rows.map((row) =>
      Object.freeze({
        key: Object.freeze(Object.fromEntries(key.map((c, i) => [c, displayValue(row[`k${i}`])]))),
        status: row.status as DifferingKey['status'],
      }),
    ),
  );
}
