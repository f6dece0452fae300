import { CompiledQuery, type Kysely, sql } from 'kysely';
import { quoteId, type TableRef } from '../db/index.ts';
import { isErrorNamed, RevertConflictError, UsageError } from '../errors/index.ts';
import { replaceRowsSpec } from './replace-rows.ts';
import { applyWrites, type WriteOptions, type WriteResult } from './scoped-write.ts';
import { allSame, columnList, joinOn, sameValue } from './sql-fragments.ts';
import {
  columnDefinition,
  readKeyedTable,
  resolveTable,
  type TableMetadata,
  writableColumns,
} from './table-metadata.ts';
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
 * Three-way restore from the binary log, cell by cell. For each scoped key the window changed:
 * - a row it updated: every column the window changed goes back to its before-image where live still
 *   holds what the window wrote there; columns the window did not change keep their live value;
 * - a row it inserted is deleted (where live is still what the window wrote);
 * - a row it deleted is inserted again (where no row has that key now).
 * A cell (or row) changed again after the window is a conflict: `fail` (the default) stops before any
 * write and names them with field diffs, `skip` keeps the later values and reverts the rest,
 * `overwrite` puts the before-images back anyway. A row it re-inserts goes back with a plain INSERT,
 * never an update: a key another session inserts meanwhile fails the revert with a
 * `RevertConflictError` naming it, and the transaction rolls back. The rows to write are staged in the workspace and
 * written by `replaceRows`, so before-images, drift check, gate, chunking and undo are the same.
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
  const sql3 = threeWaySql(meta);
  const base =
    `FROM ${options.changes.qualified} AS c JOIN ${options.scope.table.qualified} AS s ON ${joinOn('s', pk, 'c', pk)} ` +
    `LEFT JOIN ${options.before.qualified} AS b ON ${joinOn('b', pk, 'c', pk)} ` +
    `LEFT JOIN ${live.qualified} AS l ON ${joinOn('l', pk, 'c', pk)}`;
  // A locking read of every scoped row, the conflict counted in the select list, not in WHERE: under
  // READ COMMITTED (the write transaction's level) InnoDB releases the locks of rows a WHERE rejects,
  // and those are the rows this revert is about to write; another session could change them between
  // this check and the write, unseen by 'fail'. Keys absent from live take no lock (no gap locks under
  // READ COMMITTED, and the level cannot change inside the transaction): the rows it re-inserts are
  // written insert-only below, so a key put back meanwhile fails the INSERT instead of being updated.
  const counted = await ctx.tx.executeQuery<{ n: number | string | null }>(
    CompiledQuery.raw(`SELECT COALESCE(SUM(${sql3.conflict}), 0) AS n ${base} FOR UPDATE`),
  );
  const conflicts = Number(counted.rows[0]?.n ?? 0);
  const conflictSample = conflicts > 0 ? await sampleConflicts(ctx.tx, meta, base, sql3.conflict) : [];
  if (conflicts > 0 && onConflict === 'fail') {
    throw new RevertConflictError(
      `revert of ${live}: ${conflicts} scoped row(s) changed again after the binlog window (live no longer holds what the window wrote), e.g. ${describeSample(conflictSample)}`,
      {
        hint: "review them; pass onConflict: 'skip' to revert everything else and keep the later values, or 'overwrite' to put the before-images back anyway",
        facts: { table: live.toString(), conflicts, sample: conflictSample },
      },
    );
  }
  const overwrite = onConflict === 'overwrite';
  const columns = writableColumns(meta);
  // The rows as they should be, with the live table's nullability (the replace's drift check compares it).
  const staged = await createWorkTable(ctx.ddl, ctx.tx, ctx.workspace, {
    prefix: ctx.stepName,
    name: `${live.name}_revert`,
    columns: pk.map((k) => meta.columns.find((c) => c.name === k)!),
    primaryKey: pk,
    extra: meta.columns
      .filter((c) => !c.generated && !pk.includes(c.name))
      .map((c) => `${quoteId(c.name)} ${columnDefinition(c, !c.nullable)}`),
  });
  const keys = await createWorkTable(ctx.ddl, ctx.tx, ctx.workspace, {
    prefix: ctx.stepName,
    name: `${live.name}_revert_keys`,
    columns: pk.map((k) => meta.columns.find((c) => c.name === k)!),
    primaryKey: pk,
  });
  // Keys whose before-image goes back with a plain INSERT (see `WriteSpec.insertOnly`).
  const inserts = await createWorkTable(ctx.ddl, ctx.tx, ctx.workspace, {
    prefix: ctx.stepName,
    name: `${live.name}_revert_inserts`,
    columns: pk.map((k) => meta.columns.find((c) => c.name === k)!),
    primaryKey: pk,
  });
  for (const t of [staged, keys, inserts]) {
    await ctx.recorder.record(ctx.stepName, { kind: 'scope', table: t, rows: null, checksum: null });
  }
  const run = (text: string) => ctx.tx.executeQuery(CompiledQuery.raw(text));
  const into = `INSERT INTO ${staged.qualified} (${columnList(columns)})`;
  const present = (alias: string) => `${quoteId(alias)}.${quoteId(pk[0]!)} IS NOT NULL`;
  // Updated rows still there: the live row with the window's cells put back (where not changed since).
  await run(
    `${into} SELECT ${columns.map((c) => (pk.includes(c) ? `l.${quoteId(c)}` : sql3.revertedCell(c, overwrite))).join(', ')} ` +
      `${base} WHERE ${present('b')} AND c.rb_last_kind <> 'delete' AND ${present('l')}`,
  );
  // Rows the window deleted (or, under overwrite, updated rows deleted since): their before-images.
  // Under 'fail' the check found every deleted key still absent, so all of them go back, insert-only,
  // whatever live holds now (a key put back since the check is a conflict, not a row to skip);
  // 'skip' leaves out keys live holds again; 'overwrite' updates those in place, as it says.
  await run(
    `${into} SELECT ${columnList(columns, 'b')} ${base} WHERE ${present('b')} AND ` +
      (overwrite
        ? `(c.rb_last_kind = 'delete' OR NOT ${present('l')})`
        : `c.rb_last_kind = 'delete'${onConflict === 'skip' ? ` AND NOT ${present('l')}` : ''}`),
  );
  await run(
    `INSERT INTO ${inserts.qualified} (${columnList(pk)}) SELECT ${columnList(pk, 'c')} ${base} ` +
      `WHERE ${present('b')} AND c.rb_last_kind = 'delete'` +
      (overwrite
        ? ` AND NOT ${present('l')}`
        : ` AND EXISTS (SELECT 1 FROM ${staged.qualified} AS t WHERE ${joinOn('t', pk, 'c', pk)})`),
  );
  await run(
    `INSERT INTO ${keys.qualified} (${columnList(pk)}) SELECT ${columnList(pk)} FROM ${staged.qualified}`,
  );
  // Rows the window inserted: their keys without a staged row, so the replace deletes them.
  await run(
    `INSERT INTO ${keys.qualified} (${columnList(pk)}) SELECT ${columnList(pk, 'c')} ${base} ` +
      `WHERE NOT ${present('b')} AND c.rb_last_kind <> 'delete' AND ${present('l')}${overwrite ? '' : ` AND NOT ${sql3.conflict}`}`,
  );
  const keyCount = await ctx.tx.executeQuery<{ n: number | string }>(
    CompiledQuery.raw(`SELECT COUNT(*) AS n FROM ${keys.qualified} FOR UPDATE`),
  );
  const rows = Number(keyCount.rows[0]?.n ?? 0);
  const scope: Scope = Object.freeze({ name: `${options.scope.name} (revert)`, table: keys, key: pk, rows });
  const { before: _before, changes: _changes, onConflict: _policy, ...writeOptions } = options;
  const spec = {
    ...replaceRowsSpec(ctx, live, { ...writeOptions, from: staged, scope }),
    insertOnly: inserts,
  };
  const [result] = await applyWrites(ctx, [spec]).catch(async (error: unknown) => {
    throw await reinsertConflict(ctx.tx, live, pk, inserts, error);
  });
  const warnings =
    conflicts > 0
      ? [
          `${conflicts} row(s) changed after the window: ${onConflict === 'skip' ? 'their later values were kept' : 'overwritten with their before-images'}: ${describeSample(conflictSample)}`,
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
 * A re-insert refused as a duplicate: the keys another session put back after the check, as a
 * `RevertConflictError`; any other error (a secondary unique key, say) is returned as is.
 */
async function reinsertConflict(
  db: Kysely<any>,
  live: TableRef,
  pk: readonly string[],
  inserts: TableRef,
  error: unknown,
): Promise<unknown> {
  if (!isErrorNamed(error, 'KeyConflictError')) return error;
  const found = await sql
    .raw<Record<string, unknown>>(
      `SELECT ${columnList(pk, 'l')} FROM ${inserts.qualified} AS i JOIN ${live.qualified} AS l ON ${joinOn('l', pk, 'i', pk)} ` +
        `ORDER BY ${columnList(pk, 'l')} LIMIT ${SAMPLE} LOCK IN SHARE MODE`,
    )
    .execute(db);
  if (found.rows.length === 0) return error;
  const sample = found.rows.map((row) => ({ key: row, status: 'live-present' as const, fields: [] }));
  return new RevertConflictError(
    `revert of ${live}: row(s) the binlog window deleted were inserted again by another session while the revert ran, e.g. ${describeSample(sample)}`,
    {
      cause: error,
      hint: 'nothing was written (the transaction rolls back) and the new rows are kept; review them, then run the revert again',
      facts: { table: live.toString(), sample },
    },
  );
}

/**
 * The three-way SQL over `c` (the window's last after-image), `b` (the before-image) and `l` (live),
 * byte-wise and NULL-safe. A conflict: an updated row whose cell the window changed now holds another
 * value (or the row is gone), an inserted row changed since, a deleted row whose key is back.
 */
function threeWaySql(meta: TableMetadata): {
  readonly conflict: string;
  revertedCell(column: string, overwrite: boolean): string;
} {
  const pk = meta.primaryKey;
  const info = (c: string) => meta.columns.find((m) => m.name === c);
  const data = writableColumns(meta).filter((c) => !pk.includes(c));
  const same = (x: string, y: string, c: string) => sameValue(x, c, y, c, info(c));
  const live = `l.${quoteId(pk[0]!)} IS NOT NULL`;
  const before = `b.${quoteId(pk[0]!)} IS NOT NULL`;
  const changedSince = data.map((c) => `(NOT ${same('b', 'c', c)} AND NOT ${same('l', 'c', c)})`);
  const conflict =
    `(CASE WHEN NOT ${before} AND c.rb_last_kind = 'delete' THEN FALSE ` +
    `WHEN NOT ${before} THEN (${live} AND NOT ${allSame(data.map((c) => same('l', 'c', c)))}) ` +
    `WHEN c.rb_last_kind = 'delete' THEN ${live} ` +
    `ELSE (NOT ${live} OR ${changedSince.length ? changedSince.join(' OR ') : 'FALSE'}) END)`;
  return {
    conflict,
    revertedCell: (c, overwrite) =>
      `CASE WHEN NOT ${same('b', 'c', c)}${overwrite ? '' : ` AND ${same('l', 'c', c)}`} THEN b.${quoteId(c)} ELSE l.${quoteId(c)} END`,
  };
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
    `b.${quoteId(pk[0]!)} IS NOT NULL AS rb_before`,
    ...columns.flatMap((c) => [
      `l.${quoteId(c)} AS ${quoteId(`l_${c}`)}`,
      `c.${quoteId(c)} AS ${quoteId(`w_${c}`)}`,
      `b.${quoteId(c)} AS ${quoteId(`b_${c}`)}`,
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
    const inserted = Number(row.rb_before) !== 1;
    const fields = columns
      .filter(
        (c) =>
          text(row[`l_${c}`]) !== text(row[`w_${c}`]) &&
          (inserted || text(row[`b_${c}`]) !== text(row[`w_${c}`])),
      )
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
