import type { RawBuilder } from 'kysely';
import type { TableRef } from '../db/index.ts';
import { purgeContract } from '../validation/api-contracts.ts';
import { checkCall } from '../validation/check-call.ts';
import type { CountExpectation } from './expectation.ts';
import { applyWrites, type WriteOptions, type WriteResult, type WriteSpec } from './scoped-write.ts';
import { resolveTable } from './table-metadata.ts';
import type { Scope, WriteContext } from './types.ts';

interface PurgeCommon extends Omit<WriteOptions, 'expect' | 'map' | 'ignore'> {
  /** Gate on the number of rows deleted; required, because a purge with no expectation is a guess. */
  readonly expect: CountExpectation;
}

/** Delete the rows matching a condition on the table (its columns unqualified, or as `t.col`). */
export interface PurgeWhereWriteOptions extends PurgeCommon {
  readonly where: RawBuilder<unknown>;
  readonly scope?: undefined;
}

/** Delete the rows whose `on` columns (default: the key's names) are in the scope. */
export interface PurgeScopeWriteOptions extends PurgeCommon {
  readonly scope: Scope;
  readonly on?: string | readonly string[];
  readonly where?: undefined;
}

export type PurgeWriteOptions = PurgeWhereWriteOptions | PurgeScopeWriteOptions;

const PURGE = purgeContract('purge');

/** The `WriteSpec` of a purge, for `applyWrites`. */
export function purgeSpec(
  ctx: WriteContext,
  table: string | TableRef,
  options: PurgeWriteOptions,
): WriteSpec {
  checkCall(PURGE, { table, options });
  const live = resolveTable(ctx.liveSchema, table);
  if (options.scope) {
    const on = options.on === undefined ? undefined : [options.on].flat();
    return { kind: 'purge', table: live, scope: options.scope, ...(on ? { on } : {}), options };
  }
  return { kind: 'purge', table: live, where: options.where, options };
}

/**
 * Deletes dependent rows (e.g. the EP rows a bad import created), after copying them to a
 * before-image. The gate is checked on the number of matching rows before anything is deleted.
 *
 * @example
 * await purge(ctx, 'wp_ep_results', { where: sql`import_batch = ${batch}`, expect: { rows: 1234 } });
 */
export async function purge(
  ctx: WriteContext,
  table: string | TableRef,
  options: PurgeWriteOptions,
): Promise<WriteResult> {
  const [result] = await applyWrites(ctx, [purgeSpec(ctx, table, options)]);
  return result!;
}
