import { quoteId } from '../db/index.ts';
import type { ColumnInfo } from './table-metadata.ts';
import { needsBinaryComparison } from './table-metadata.ts';

/** `` `a`.`x`, `a`.`y` `` (or unqualified when `alias` is omitted). */
export function columnList(columns: readonly string[], alias?: string): string {
  const prefix = alias === undefined ? '' : `${quoteId(alias)}.`;
  return columns.map((c) => `${prefix}${quoteId(c)}`).join(', ');
}

/** `a.x = b.y AND …` pairing columns by position. */
export function joinOn(
  leftAlias: string,
  leftColumns: readonly string[],
  rightAlias: string,
  rightColumns: readonly string[],
): string {
  return leftColumns
    .map(
      (c, i) => `${quoteId(leftAlias)}.${quoteId(c)} = ${quoteId(rightAlias)}.${quoteId(rightColumns[i]!)}`,
    )
    .join(' AND ');
}

/**
 * Byte-exact, NULL-safe equality of one column on two sides. Text compares as binary, because a
 * collation calls `'A'` and `'a'` (and `'a'` and `'a '`) equal, and a restore must not skip those.
 */
export function sameValue(
  leftAlias: string,
  leftColumn: string,
  rightAlias: string,
  rightColumn: string,
  info: ColumnInfo | undefined,
): string {
  const l = `${quoteId(leftAlias)}.${quoteId(leftColumn)}`;
  const r = `${quoteId(rightAlias)}.${quoteId(rightColumn)}`;
  return needsBinaryComparison(info) ? `CAST(${l} AS BINARY) <=> CAST(${r} AS BINARY)` : `${l} <=> ${r}`;
}

/** `(same1 AND same2 …)`, `TRUE` for no columns. */
export function allSame(parts: readonly string[]): string {
  return parts.length === 0 ? 'TRUE' : `(${parts.join(' AND ')})`;
}

/**
 * `DELETE <table> FROM <table> JOIN <keys> AS k ON …` with the deleted table unaliased and fully
 * qualified: MariaDB answers "No database selected" (1046) to `DELETE t FROM db.x AS t …` on a
 * connection without a default schema.
 */
export function deleteJoinedSql(
  table: { readonly qualified: string },
  columns: readonly string[],
  keys: { readonly qualified: string },
  keyAlias: string,
  keyColumns: readonly string[],
  where = '',
): string {
  const on = columns
    .map((c, i) => `${table.qualified}.${quoteId(c)} = ${quoteId(keyAlias)}.${quoteId(keyColumns[i]!)}`)
    .join(' AND ');
  return `DELETE ${table.qualified} FROM ${table.qualified} JOIN ${keys.qualified} AS ${quoteId(keyAlias)} ON ${on}${where ? ` WHERE ${where}` : ''}`;
}
