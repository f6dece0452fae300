import type { TableRef } from '../db/index.ts';
import { replaceChildrenContract } from '../validation/api-contracts.ts';
import { checkCall } from '../validation/check-call.ts';
import { applyWrites, type WriteOptions, type WriteResult, type WriteSpec } from './scoped-write.ts';
import { resolveTable } from './table-metadata.ts';
import type { Scope, WriteContext } from './types.ts';

export interface ReplaceChildrenWriteOptions extends WriteOptions {
  readonly from: TableRef;
  /** Column(s) of the child table holding the parent's key, matched by position to the scope's key. */
  readonly parentKey: string | readonly string[];
  /** The scoped parents. */
  readonly scope: Scope;
}

const REPLACE_CHILDREN = replaceChildrenContract('replaceChildren');

/** The `WriteSpec` of a child-row replace, for `applyWrites`. */
export function replaceChildrenSpec(
  ctx: WriteContext,
  table: string | TableRef,
  options: ReplaceChildrenWriteOptions,
): WriteSpec {
  checkCall(REPLACE_CHILDREN, { table, options });
  return {
    kind: 'replace-children',
    table: resolveTable(ctx.liveSchema, table),
    from: options.from,
    scope: options.scope,
    on: [options.parentKey].flat(),
    options,
  };
}

/**
 * The child rows of the scoped parents (e.g. `wp_usermeta` by `user_id`) become exactly the backup's
 * child rows of those parents, keeping the backup's primary keys. When a backup child's primary key is
 * now used by a live row of a parent outside the scope, nothing is written: `KeyConflictError` names
 * those rows (they are never overwritten).
 *
 * @example
 * await replaceChildren(ctx, 'wp_usermeta', { from: backup.table('wp_usermeta'), parentKey: 'user_id', scope: users });
 */
export async function replaceChildren(
  ctx: WriteContext,
  table: string | TableRef,
  options: ReplaceChildrenWriteOptions,
): Promise<WriteResult> {
  const [result] = await applyWrites(ctx, [replaceChildrenSpec(ctx, table, options)]);
  return result!;
}
