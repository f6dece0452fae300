import type { RawBuilder } from 'kysely';
import type { TableRef } from '../db/index.ts';
import { UsageError } from '../errors/index.ts';
import { upsertColumnsContract } from '../validation/api-contracts.ts';
import { checkCall } from '../validation/check-call.ts';
import { applyWrites, type WriteOptions, type WriteResult, type WriteSpec } from './scoped-write.ts';
import { resolveTable } from './table-metadata.ts';
import type { Scope, WriteContext } from './types.ts';

export interface UpsertColumnsWriteOptions extends WriteOptions {
  readonly from: TableRef;
  readonly scope: Scope;
  /** The allow-list: only these columns are set from the backup; every other column keeps its live value. */
  readonly columns: readonly string[];
  /** Also insert scoped backup rows that have no live row (whole rows, every column from the backup). */
  readonly insertMissing?: boolean;
  /** Columns of the table matched by position to the scope's key (default: the key's own names). */
  readonly on?: string | readonly string[];
  /**
   * Only scoped rows that also match this condition, written on the live row as `t.col` (e.g. the
   * usermeta keys an allow-list restores: sql`t.meta_key IN ('first_name', 'last_name')`). With
   * `insertMissing` it is evaluated on the backup row too, which is then the one called `t`.
   */
  readonly where?: RawBuilder<unknown>;
}

const UPSERT_COLUMNS = upsertColumnsContract('upsertColumns');

/** The `WriteSpec` of an allow-list upsert, for `applyWrites`. */
export function upsertColumnsSpec(
  ctx: WriteContext,
  table: string | TableRef,
  options: UpsertColumnsWriteOptions,
): WriteSpec {
  checkCall(UPSERT_COLUMNS, { table, options });
  const on = options.on === undefined ? undefined : [options.on].flat();
  if (options.where && options.insertMissing && Object.keys(options.map ?? {}).length > 0) {
    // The condition names live columns; on the backup row those names may mean other columns.
    throw new UsageError(
      `upsertColumns on ${table}: a where condition with insertMissing cannot be combined with renamed columns (map)`,
      { hint: 'drop insertMissing and insert the missing rows in a write of their own, or leave out map' },
    );
  }
  return {
    kind: 'upsert-columns',
    table: resolveTable(ctx.liveSchema, table),
    from: options.from,
    scope: options.scope,
    ...(on ? { on } : {}),
    columns: options.columns,
    ...(options.where ? { where: options.where } : {}),
    insertMissing: options.insertMissing ?? false,
    options,
  };
}

/**
 * Allow-list restore: for scoped live rows (matching `where`, if given) that have a backup row with the
 * same primary key, sets only the named columns from the backup, and only on rows where one of them
 * differs. Live rows the backup lacks are kept. Before-images hold the whole prior rows.
 *
 * @example
 * await upsertColumns(ctx, 'wp_users', { from: backup.table('wp_users'), scope: users,
 *   columns: ['user_email', 'display_name'] });
 */
export async function upsertColumns(
  ctx: WriteContext,
  table: string | TableRef,
  options: UpsertColumnsWriteOptions,
): Promise<WriteResult> {
  const [result] = await applyWrites(ctx, [upsertColumnsSpec(ctx, table, options)]);
  return result!;
}
