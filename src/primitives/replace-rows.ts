import type { TableRef } from '../db/index.ts';
import { replaceRowsContract } from '../validation/api-contracts.ts';
import { checkCall } from '../validation/check-call.ts';
import { applyWrites, type WriteOptions, type WriteResult, type WriteSpec } from './scoped-write.ts';
import { resolveTable } from './table-metadata.ts';
import type { Scope, WriteContext } from './types.ts';

export interface ReplaceRowsWriteOptions extends WriteOptions {
  /** The backup table (in the workspace). */
  readonly from: TableRef;
  readonly scope: Scope;
  /** Columns of the table matched by position to the scope's key (default: the key's own names). */
  readonly on?: string | readonly string[];
}

const REPLACE_ROWS = replaceRowsContract('replaceRows');

/** The `WriteSpec` of a blanket replace, for `applyWrites` with other writes in foreign-key order. */
export function replaceRowsSpec(
  ctx: WriteContext,
  table: string | TableRef,
  options: ReplaceRowsWriteOptions,
): WriteSpec {
  checkCall(REPLACE_ROWS, { table, options });
  const on = options.on === undefined ? undefined : [options.on].flat();
  const live = resolveTable(ctx.liveSchema, table);
  return {
    kind: 'replace-rows',
    table: live,
    from: options.from,
    scope: options.scope,
    ...(on ? { on } : {}),
    options,
  };
}

/**
 * Blanket replace: the scoped live rows become exactly the scoped backup rows. Live rows the backup
 * lacks are deleted, rows only in the backup are inserted (with their backup primary keys), rows in
 * both are updated in place where any column differs (byte-wise, NULL-safe); identical rows are not
 * touched. Every changed or deleted row is first copied to a before-image table and every touched
 * key recorded, inside the same transaction. Generated columns are never written.
 *
 * @example
 * const result = await replaceRows(ctx, 'wp_users', { from: backup.table('wp_users'), scope: users, expect: { max: 5000 } });
 * result.updated; result.undo // → ledger
 */
export async function replaceRows(
  ctx: WriteContext,
  table: string | TableRef,
  options: ReplaceRowsWriteOptions,
): Promise<WriteResult> {
  const [result] = await applyWrites(ctx, [replaceRowsSpec(ctx, table, options)]);
  return result!;
}
