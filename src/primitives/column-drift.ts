import type { Kysely } from 'kysely';
import type { TableRef } from '../db/index.ts';
import { type DiffResult, diffTables } from './diff-tables.ts';
import type { Scope } from './types.ts';

export interface ColumnDriftOptions {
  /** Row identity (default: the live table's primary key). */
  readonly key?: string | readonly string[];
  readonly scope: Scope;
  /** Columns matched to the scope's key (default: the key's names), e.g. `'user_id'` for usermeta. */
  readonly scopeOn?: string | readonly string[];
  /** The allow-list a field-level restore would write. */
  readonly allowList?: readonly string[];
  readonly map?: Readonly<Record<string, string>>;
  readonly sampleSize?: number;
}

export interface ColumnDrift {
  readonly column: string;
  /** Scoped rows (present on both sides) where live and backup differ in this column. */
  readonly differing: number;
  /** Whether the allow-list names it (true for every column when there is no allow-list). */
  readonly inAllowList: boolean;
}

/** Per column, how far live drifted from the backup in scope: the data behind "replace or allow-list". */
export interface ColumnDriftProfile {
  readonly table: string;
  readonly backup: string;
  readonly columns: readonly ColumnDrift[];
  /**
   * Differing columns the allow-list leaves out: what a blanket replace would overwrite that the
   * allow-list keeps (live changes made after the backup, or damage the allow-list misses).
   */
  readonly outsideAllowList: readonly string[];
  readonly onlyLive: number;
  readonly onlyBackup: number;
  readonly changedRows: number;
  readonly diff: DiffResult;
}

/**
 * For the plan report: for scoped rows, per column, how many differ between live and backup, and
 * which differing columns lie outside the allow-list, with a sample of row diffs.
 *
 * @example
 * const profile = await columnDriftProfile(db, live('wp_users'), backup.table('wp_users'),
 *   { scope: users, allowList: ['user_email', 'display_name'] });
 * profile.outsideAllowList // ['user_pass'] → a blanket replace would also reset passwords
 */
export async function columnDriftProfile(
  db: Kysely<any>,
  live: TableRef,
  backup: TableRef,
  options: ColumnDriftOptions,
): Promise<ColumnDriftProfile> {
  const diff = await diffTables(db, live, backup, {
    scope: options.scope,
    ...(options.key !== undefined ? { key: options.key } : {}),
    ...(options.scopeOn !== undefined ? { scopeOn: options.scopeOn } : {}),
    ...(options.map !== undefined ? { map: options.map } : {}),
    ...(options.sampleSize !== undefined ? { sampleSize: options.sampleSize } : {}),
  });
  const allow = options.allowList ? new Set(options.allowList) : null;
  const columns = diff.columns.map((column) =>
    Object.freeze({
      column,
      differing: diff.columnCounts[column] ?? 0,
      inAllowList: allow === null || allow.has(column),
    }),
  );
  return Object.freeze({
    table: live.toString(),
    backup: backup.toString(),
    columns: Object.freeze(columns),
    outsideAllowList: Object.freeze(
      allow ? columns.filter((c) => c.differing > 0 && !c.inAllowList).map((c) => c.column) : [],
    ),
    onlyLive: diff.onlyLeft,
    onlyBackup: diff.onlyRight,
    changedRows: diff.changed,
    diff,
  });
}
