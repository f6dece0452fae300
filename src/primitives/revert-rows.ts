import { CompiledQuery, type Kysely, sql } from 'kysely';
import { quoteId, type TableRef } from '../db/index.ts';
import { RevertConflictError, UsageError } from '../errors/index.ts';
import { replaceRowsSpec } from './replace-rows.ts';
import { applyWrites, type WriteOptions, type WriteResult } from './scoped-write.ts';
import { allSame, columnList, joinOn, sameValue } from './sql-fragments.ts';
import { readKeyedTable, resolveTable, type TableMetadata, writableColumns } from './table-metadata.ts';
import type { Scope, WriteContext } from './types.ts';
import { createWorkTable } from './work-table.ts';

/** What to do with a scoped row changed again after the window. */
export type RevertConflictPolicy = 'fail' | 'skip' | 'overwrite';

export interface RevertRowsWriteOptions extends WriteOptions {
  /** A binlog extract's before-images of the table (`log.table('wp_users')`). */
  readonly before: TableRef;
  /** Its changes table (`log.changes('wp_users')`): the window's last after-image per key. */
  readonly changes: TableRef;
  /** Keys to revert, named as the table's primary key columns. */
  readonly scope: Scope;
  readonly onConflict?: RevertConflictPolicy;
}

/** One conflicting row: where live differs from what the window last wrote. */
export interface RevertConflict {
  readonly key: Readonly<Record<string, unknown>>;
  /** `live-missing`: the window left the row, it is gone now; `live-present`: the window deleted it, it is back. */
  readonly status: 'changed' | 'live-missing' | 'live-present';
  readonly fields: readonly { readonly column: string; readonly live: unknown; readonly window: unknown }[];
}

export interface RevertResult extends WriteResult {
  readonly conflicts: number;
  readonly conflictSample: readonly RevertConflict[];
  readonly onConflict: RevertConflictPolicy;
}

const SAMPLE = 5;

/**
 * Three-way restore from the binary log. For each scoped key the window changed: where live still
 * holds the window's last after-image (or, for a row the window deleted, still has no row), the row
 * goes back to its before-image — updated rows are set back, rows the window inserted are deleted,
 * rows it deleted are inserted again. A row changed after the window is a conflict: `fail` (the
 * default) stops before any write and names the rows, `skip` leaves them and reverts the rest,
 * `overwrite` puts the before-image back anyway. The write itself is a `replaceRows` from the
 * before-images over the keys to revert, so before-images, drift check, gate and undo are the same.
 *
 * @example
 * await revertRows(ctx, 'wp_users', { before: log.table('wp_users'), changes: log.changes('wp_users'),
 *   scope: users, onConflict: 'skip' });
 */
export async function revertRows(
  ctx: WriteContext,
  table: string | TableRef,
  options: RevertRowsWriteOptions,
): Promise<RevertResult> {
  const live = resolveTable(ctx.liveSchema, table);
  const onConflict = options.onConflict ?? 'fail';
  const meta = await readKeyedTable(ctx.tx, live);
  const pk = meta.primaryKey;
  if (options.scope.key.length !== pk.length || options.scope.key.some((k, i) => k !== pk[i])) {
    throw new UsageError(
      `revert of ${live}: the scope '${options.scope.name}' is keyed by (${options.scope.key.join(', ')}), the table by (${pk.join(', ')})`,
      { hint: 'scope the revert by the primary key of the table it reverts' },
    );
  }
  const conflict = conflictCondition(meta);
  const base =
    `FROM ${options.changes.qualified} AS c JOIN ${options.scope.table.qualified} AS s ON ${joinOn('s', pk, 'c', pk)} ` +
    `LEFT JOIN ${live.qualified} AS l ON ${joinOn('l', pk, 'c', pk)}`;
  // A locking read, as every read of the write transaction (see scoped-write.ts).
  const counted = await ctx.tx.executeQuery<{ n: number | string }>(
    CompiledQuery.raw(`SELECT COUNT(*) AS n ${base} WHERE ${conflict} FOR UPDATE`),
  );
  const conflicts = Number(counted.rows[0]?.n ?? 0);
  const conflictSample = conflicts > 0 ? await sampleConflicts(ctx.tx, meta, base, conflict) : [];
  if (conflicts > 0 && onConflict === 'fail') {
    throw new RevertConflictError(
      `revert of ${live}: ${conflicts} scoped row(s) changed again after the binlog window (live no longer holds what the window wrote), e.g. ${describeSample(conflictSample)}`,
      {
        hint: "review them; pass onConflict: 'skip' to revert the others and keep these, or 'overwrite' to put their before-images back anyway",
        facts: { table: live.toString(), conflicts, sample: conflictSample },
      },
    );
  }
  const keys = await createWorkTable(ctx.ddl, ctx.tx, ctx.workspace, {
    prefix: ctx.stepName,
    name: `${live.name}_revert`,
    columns: pk.map((k) => meta.columns.find((c) => c.name === k)!),
    primaryKey: pk,
  });
  await ctx.recorder.record(ctx.stepName, { kind: 'scope', table: keys, rows: null, checksum: null });
  const inserted = await ctx.tx.executeQuery(
    CompiledQuery.raw(
      `INSERT INTO ${keys.qualified} (${columnList(pk)}) SELECT ${columnList(pk, 'c')} ${base}` +
        (onConflict === 'skip' ? ` WHERE NOT ${conflict}` : ''),
    ),
  );
  const rows = Number(inserted.numAffectedRows ?? 0n);
  const scope: Scope = Object.freeze({ name: `${options.scope.name} (revert)`, table: keys, key: pk, rows });
  const { before, changes: _changes, onConflict: _policy, ...writeOptions } = options;
  const [result] = await applyWrites(ctx, [
    replaceRowsSpec(ctx, live, { ...writeOptions, from: before, scope }),
  ]);
  const warnings =
    conflicts > 0
      ? [
          `${conflicts} row(s) changed after the window were ${onConflict === 'skip' ? 'kept (skipped)' : 'overwritten with their before-images'}: ${describeSample(conflictSample)}`,
        ]
      : [];
  return Object.freeze({
    ...result!,
    warnings: Object.freeze([...result!.warnings, ...warnings]),
    conflicts,
    conflictSample: Object.freeze(conflictSample),
    onConflict,
  });
}

/**
 * True where live is not what the window left: the window deleted the row and it is back, or the
 * window left a row and live lacks it or differs in any written column (byte-wise, NULL-safe).
 */
function conflictCondition(meta: TableMetadata): string {
  const pk = meta.primaryKey;
  const present = `l.${quoteId(pk[0]!)} IS NOT NULL`;
  const same = allSame(
    writableColumns(meta)
      .filter((c) => !pk.includes(c))
      .map((c) =>
        sameValue(
          'l',
          c,
          'c',
          c,
          meta.columns.find((m) => m.name === c),
        ),
      ),
  );
  return `(CASE WHEN c.rb_last_kind = 'delete' THEN ${present} ELSE NOT (${present} AND ${same}) END)`;
}

async function sampleConflicts(
  db: Kysely<any>,
  meta: TableMetadata,
  base: string,
  conflict: string,
): Promise<RevertConflict[]> {
  const pk = meta.primaryKey;
  const columns = writableColumns(meta).filter((c) => !pk.includes(c));
  const select = [
    ...pk.map((k) => `c.${quoteId(k)} AS ${quoteId(`k_${k}`)}`),
    `c.rb_last_kind AS rb_last_kind`,
    `l.${quoteId(pk[0]!)} IS NOT NULL AS rb_live`,
    ...columns.flatMap((c) => [
      `l.${quoteId(c)} AS ${quoteId(`l_${c}`)}`,
      `c.${quoteId(c)} AS ${quoteId(`w_${c}`)}`,
    ]),
  ];
  const found = await sql
    .raw<Record<string, unknown>>(
      `SELECT ${select.join(', ')} ${base} WHERE ${conflict} ORDER BY ${columnList(pk, 'c')} LIMIT ${SAMPLE}`,
    )
    .execute(db);
  return found.rows.map((row) => {
    const key = Object.fromEntries(pk.map((k) => [k, row[`k_${k}`]]));
    if (row.rb_last_kind === 'delete') return { key, status: 'live-present' as const, fields: [] };
    if (Number(row.rb_live) !== 1) return { key, status: 'live-missing' as const, fields: [] };
    const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v === null ? null : String(v));
    const fields = columns
      .filter((c) => text(row[`l_${c}`]) !== text(row[`w_${c}`]))
      .map((c) => ({ column: c, live: text(row[`l_${c}`]), window: text(row[`w_${c}`]) }));
    return { key, status: 'changed' as const, fields };
  });
}

function describeSample(sample: readonly RevertConflict[]): string {
  return sample
    .map((c) => {
      const key = Object.entries(c.key)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',');
      if (c.status !== 'changed') return `${key} (${c.status})`;
      const fields = c.fields
        .map(
          (f) =>
            `${f.column}: window wrote ${JSON.stringify(f.window)?.slice(0, 40)}, live has ${JSON.stringify(f.live)?.slice(0, 40)}`,
        )
        .join('; ');
      return `${key} (${fields})`;
    })
    .join(' | ');
}
