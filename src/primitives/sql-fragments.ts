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
