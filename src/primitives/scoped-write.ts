import { type Kysely, type RawBuilder, sql } from 'kysely';
import { quoteId, type TableRef } from '../db/index.ts';
import { ForeignKeyError, KeyConflictError, UsageError } from '../errors/index.ts';
import { type CountExpectation, checkGate } from './expectation.ts';
import { childForeignKeys, type ForeignKey, parentsFirst, readForeignKeys } from './foreign-keys.ts';
import { hashRows } from './row-hash.ts';
import { setSqlMode, useRestoreSqlMode } from './session-mode.ts';
import { allSame, columnList, deleteJoinedSql, joinOn, sameValue } from './sql-fragments.ts';
import { type ColumnInfo, readTableMetadata, type TableMetadata } from './table-metadata.ts';
import { readTriggers, type TriggerInfo } from './triggers.ts';
import type { Scope, WriteContext } from './types.ts';
import type { UndoRecord, WriteKind } from './undo-record.ts';
import { createWorkTable } from './work-table.ts';
import { checkWriteIdentifiers } from './write-identifiers.ts';

/** Options every write accepts. */
export interface WriteOptions {
  /** Gate on the number of rows the write changes (deleted + updated + inserted), checked before any live row changes. */
  readonly expect?: CountExpectation;
  /** Hint appended to a failed gate's message. */
  readonly hint?: string;
  /**
   * Let a delete cascade (ON DELETE CASCADE / SET NULL) into rows outside the scope. Those rows are
   * counted and reported, but are not in any before-image: undo cannot bring them back.
   */
  readonly allowCascade?: boolean;
  /** Live column → backup column, for columns renamed since the backup (see `checkSchemaDrift`). */
  readonly map?: Readonly<Record<string, string>>;
  /** Columns left out of the schema comparison and never written (live-only columns keep their value or default). */
  readonly ignore?: readonly string[];
}

/** What a write did (or, in a plan, would do), frozen. `undo` goes to the ledger as JSON. */
export interface WriteResult {
  readonly kind: WriteKind;
  readonly table: TableRef;
  readonly deleted: number;
  readonly inserted: number;
  readonly updated: number;
  /** deleted + inserted + updated. */
  readonly rows: number;
  readonly undo: UndoRecord;
  /** Triggers on the table; they fired for the rows changed. */
  readonly triggers: readonly TriggerInfo[];
  /** Rows outside the scope reached by an acknowledged ON DELETE CASCADE / SET NULL. */
  readonly cascaded: number;
  /**
   * Undo records for those cascaded rows (their before-images were taken before the delete). Store
   * them after `undo`; `undoWrites` puts them back first (it runs records in reverse).
   */
  readonly cascadeUndo: readonly UndoRecord[];
  readonly warnings: readonly string[];
}

/** One write as the engine sees it; the public functions build these. */
export interface WriteSpec {
  readonly kind: WriteKind;
  readonly table: TableRef;
  readonly from?: TableRef;
  readonly scope?: Scope;
  /** Columns of `table` (and, mapped, of `from`) matched by position to `scope.key`. */
  readonly on?: readonly string[];
  readonly where?: RawBuilder<unknown>;
  /** upsert-columns: the allow-list. */
  readonly columns?: readonly string[];
  readonly insertMissing?: boolean;
  /**
   * Refuse backup rows whose primary key belongs to an unscoped live row. Replace writes check it
   * whenever the scope columns are not exactly the primary key (then no conflict is possible).
   */
  readonly detectConflicts?: boolean;
  readonly options: WriteOptions;
}

interface Prepared {
  readonly spec: WriteSpec;
  readonly label: string;
  readonly live: TableMetadata;
  readonly pk: readonly string[];
  /** Live columns compared and written (non-generated, not ignored). */
  readonly columns: readonly string[];
  /** All non-generated live columns: what the before-image holds. */
  readonly imageColumns: readonly string[];
  readonly backupName: (liveColumn: string) => string;
  readonly info: (liveColumn: string) => ColumnInfo | undefined;
  readonly on: readonly string[];
  readonly beforeImage: TableRef;
  readonly keys: TableRef;
  readonly triggers: readonly TriggerInfo[];
  counts: { deleted: number; inserted: number; updated: number };
  cascaded: number;
  readonly cascadeImages: CascadeImage[];
  readonly warnings: string[];
}

/** Rows of a child table an acknowledged cascade will change, copied before the parent delete. */
interface CascadeImage {
  readonly table: TableRef;
  readonly pk: readonly string[];
  readonly columns: readonly string[];
  readonly beforeImage: TableRef;
  readonly keys: TableRef;
  readonly rows: number;
}

const T = 't';
const B = 'b';
const S = 's';
const K = 'k';

/**
 * Every read inside the write transaction is a locking read. Two reasons: InnoDB refuses a consistent
 * (snapshot) read of a table created after the transaction's read view ("Table definition has
 * changed", 1412) — and the before-image and key tables are created during the transaction, on the
 * DDL connection; and a locking read sees the latest committed rows and holds them, so the
 * before-image is exactly what the following UPDATE/DELETE changes even while the application writes.
 */
const SHARED = 'LOCK IN SHARE MODE';

/**
 * Runs several writes of one transaction in foreign-key order: before-images of all first, then
 * deletes children first, updates, and inserts parents first, so no constraint sees a half-done state.
 * Each table may appear once per call. Tables are created beforehand on `ctx.ddl`; every statement on
 * live data runs on `ctx.tx`. Throws (and the caller rolls back) on a failed gate, a key conflict,
 * schema drift or an unacknowledged cascade; in every case no live row has changed yet except by
 * statements the rollback undoes.
 *
 * @example
 * const [users, meta] = await applyWrites(ctx, [
 *   replaceRowsSpec(ctx, 'wp_users', { from, scope }),
 *   replaceChildrenSpec(ctx, 'wp_usermeta', { from: metaFrom, parentKey: 'user_id', scope }),
 * ]);
 */
export async function applyWrites(
  ctx: WriteContext,
  specs: readonly WriteSpec[],
): Promise<readonly WriteResult[]> {
  const seen = new Set<string>();
  for (const spec of specs) {
    const id = spec.table.toString();
    if (seen.has(id))
      throw new UsageError(`table ${id} appears twice in one applyWrites call; call it once per write`);
    seen.add(id);
  }
  // Zero dates and AUTO_INCREMENT 0 must load as they are; the session's own mode comes back after.
  const previousMode = await useRestoreSqlMode(ctx.tx);
  try {
    const prepared: Prepared[] = [];
    for (const spec of specs) prepared.push(await prepare(ctx, spec));
    for (const p of prepared) await capture(ctx, p);

    const tables = prepared.map((p) => p.spec.table);
    const foreignKeys = await readForeignKeys(ctx.tx, tables);
    const byTable = (t: TableRef) => prepared.find((p) => p.spec.table === t)!;
    const order = parentsFirst(tables, foreignKeys);
    for (const table of [...order].reverse()) await deletePhase(ctx, byTable(table), foreignKeys);
    for (const table of order) await updatePhase(ctx, byTable(table));
    for (const table of order) await insertPhase(ctx, byTable(table));

    const results: WriteResult[] = [];
    for (const p of prepared) results.push(await finish(ctx, p));
    return Object.freeze(results);
  } finally {
    await setSqlMode(ctx.tx, previousMode).catch(() => undefined);
  }
}

async function prepare(ctx: WriteContext, spec: WriteSpec): Promise<Prepared> {
  const { live, on } = await checkWriteIdentifiers(ctx.tx, spec);
  const options = spec.options;
  const ignore = new Set(options.ignore ?? []);
  const imageColumns = live.columns.filter((c) => !c.generated).map((c) => c.name);
  const columns = imageColumns.filter((c) => !ignore.has(c));
  const pk = live.primaryKey;
  const byName = new Map(live.columns.map((c) => [c.name, c]));
  const baseName = `${ctx.stepName}__${spec.table.name}`;
  const beforeImage = await createWorkTable(ctx.ddl, ctx.tx, ctx.workspace, {
    prefix: 'bi',
    name: baseName,
    columns: imageColumns.map((c) => byName.get(c)!),
    primaryKey: pk,
  });
  const keys = await createWorkTable(ctx.ddl, ctx.tx, ctx.workspace, {
    prefix: 'keys',
    name: baseName,
    columns: pk.map((c) => byName.get(c)!),
    primaryKey: pk,
    extra: [`${quoteId('rb_action')} CHAR(1) NOT NULL`],
  });
  return {
    spec,
    label: `${ctx.stepName}: ${spec.kind} ${spec.table.name}`,
    live,
    pk,
    columns,
    imageColumns,
    backupName: (c) => options.map?.[c] ?? c,
    info: (c) => byName.get(c),
    on,
    beforeImage,
    keys,
    triggers: await readTriggers(ctx.tx, spec.table),
    counts: { deleted: 0, inserted: 0, updated: 0 },
    cascaded: 0,
    cascadeImages: [],
    warnings: [],
  };
}

async function run(db: Kysely<any>, query: RawBuilder<unknown>): Promise<number> {
  const result = await query.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

async function count(db: Kysely<any>, query: RawBuilder<unknown>): Promise<number> {
  const result = await query.execute(db);
  return Number((result.rows[0] as { n?: number | string } | undefined)?.n ?? 0);
}

/** `JOIN scope s ON t.on = s.key` for the live (or, with backup names, the backup) side. */
function scopeJoin(p: Prepared, alias: string, scopeAlias: string, backupSide: boolean): string {
  const scope = p.spec.scope!;
  const onColumns = backupSide ? p.on.map(p.backupName) : p.on;
  return `JOIN ${scope.table.qualified} AS ${quoteId(scopeAlias)} ON ${joinOn(alias, onColumns, scopeAlias, scope.key)}`;
}

function pkJoin(p: Prepared, liveAlias: string, backupAlias: string): string {
  return joinOn(liveAlias, p.pk, backupAlias, p.pk.map(p.backupName));
}

/** The live and the backup row name the same parent (their `on` columns are equal). */
function sameParent(p: Prepared, liveAlias: string, backupAlias: string): string {
  return allSame(p.on.map((c) => sameValue(liveAlias, c, backupAlias, p.backupName(c), p.info(c))));
}

function rowsSame(p: Prepared, columns: readonly string[]): string {
  return allSame(columns.map((c) => sameValue(T, c, B, p.backupName(c), p.info(c))));
}

async function capture(ctx: WriteContext, p: Prepared): Promise<void> {
  const { spec } = p;
  const tx = ctx.tx;
  const from = spec.from;
  const bi = p.beforeImage.qualified;
  const keys = p.keys.qualified;
  const live = `${spec.table.qualified} AS ${quoteId(T)}`;
  const backup = from ? `${from.qualified} AS ${quoteId(B)}` : '';
  const pkCols = columnList(p.pk);
  const firstPk = (alias: string, backupSide = false) =>
    `${quoteId(alias)}.${quoteId(backupSide ? p.backupName(p.pk[0]!) : p.pk[0]!)}`;

  const scopedByKey = p.on.length === p.pk.length && p.on.every((c) => p.pk.includes(c));
  const replacing = spec.kind === 'replace-rows' || spec.kind === 'replace-children';

  if (spec.kind === 'purge') {
    const filter = spec.scope ? sql.raw(scopeJoin(p, T, S, false)) : sql``;
    const where = spec.where ? sql`WHERE ${spec.where}` : sql``;
    await run(
      tx,
      sql`INSERT INTO ${sql.raw(bi)} (${sql.raw(columnList(p.imageColumns))})
      SELECT ${sql.raw(columnList(p.imageColumns, T))} FROM ${sql.raw(live)} ${filter} ${where} FOR UPDATE`,
    );
    p.counts.deleted = await run(
      tx,
      sql.raw(`INSERT INTO ${keys} (${pkCols}, rb_action) SELECT ${pkCols}, 'd' FROM ${bi} FOR UPDATE`),
    );
  } else if (!replacing) {
    // upsert-columns
    const allow = spec.columns ?? [];
    const where = spec.where ? sql`AND (${spec.where})` : sql``;
    await run(
      tx,
      sql`INSERT INTO ${sql.raw(bi)} (${sql.raw(columnList(p.imageColumns))})
        SELECT ${sql.raw(columnList(p.imageColumns, T))} FROM ${sql.raw(`${live} ${scopeJoin(p, T, S, false)}`)}
        JOIN ${sql.raw(`${backup} ON ${pkJoin(p, T, B)}`)}
        WHERE NOT ${sql.raw(rowsSame(p, allow))} ${where} FOR UPDATE`,
    );
    p.counts.updated = await run(
      tx,
      sql.raw(`INSERT INTO ${keys} (${pkCols}, rb_action) SELECT ${pkCols}, 'u' FROM ${bi} FOR UPDATE`),
    );
    if (spec.insertMissing) p.counts.inserted = await captureMissing(tx, p, false);
  } else {
    // replace-rows / replace-children: the keys first, from two passes (live side, backup side), then
    // the before-image of the changed live rows by primary key. Scoped live rows without an identical
    // backup row change: updated in place ('u') where the scoped backup still has their key — never
    // deleted and re-inserted, a delete would fire ON DELETE CASCADE on their children — else deleted
    // ('d'). Scoped backup rows without a live row are inserted ('i').
    // A backup row with another parent than the live row is 'u' only if that parent is scoped too; the
    // scope is looked up for those rows alone (CASE evaluates the EXISTS only when reached).
    const gone = `${firstPk(B, true)} IS NULL`;
    const action = scopedByKey
      ? `CASE WHEN ${gone} THEN 'd' ELSE 'u' END`
      : `CASE WHEN ${gone} THEN 'd' WHEN ${sameParent(p, T, B)} THEN 'u'
          WHEN EXISTS (SELECT 1 FROM ${spec.scope!.table.qualified} AS ${quoteId('s3')} WHERE ${joinOn('s3', spec.scope!.key, B, p.on.map(p.backupName))}) THEN 'u'
          ELSE 'd' END`;
    await run(
      tx,
      sql.raw(`INSERT INTO ${keys} (${pkCols}, rb_action)
        SELECT ${columnList(p.pk, T)}, ${action}
        FROM ${live} ${scopeJoin(p, T, S, false)}
        LEFT JOIN ${backup} ON ${pkJoin(p, T, B)}
        WHERE ${gone} OR NOT ${rowsSame(p, p.columns)} FOR UPDATE`),
    );
    await run(
      tx,
      sql.raw(`INSERT INTO ${bi} (${columnList(p.imageColumns)})
        SELECT ${columnList(p.imageColumns, T)} FROM ${keys} AS ${quoteId(K)}
        JOIN ${live} ON ${joinOn(K, p.pk, T, p.pk)} FOR UPDATE`),
    );
    const detect = (spec.detectConflicts ?? !scopedByKey) && spec.scope !== undefined;
    await captureMissing(tx, p, detect);
    const actions = await countActions(tx, p);
    if (actions.x > 0) await refuseConflicts(ctx, p, actions.x);
    p.counts.updated = actions.u;
    p.counts.deleted = actions.d;
    p.counts.inserted = actions.i;
  }
  const total = p.counts.deleted + p.counts.inserted + p.counts.updated;
  checkGate(p.label, spec.options.expect, total, spec.options.hint);
}

/**
 * Keys of scoped backup rows that have no live row with the same primary key, to be inserted ('i').
 * With `conflicts`, also the keys a live row of an unscoped parent now uses ('x'): such a backup row
 * cannot be put back without taking that row from its parent, which `refuseConflicts` refuses.
 * A `where` condition (upsert-columns) is written on `t`: here the backup row is `t`, the live row `l`.
 */
async function captureMissing(tx: Kysely<any>, p: Prepared, conflicts: boolean): Promise<number> {
  const scope = p.spec.scope!;
  const [b, t] = p.spec.where ? [T, 'l'] : [B, T];
  const backupPk = columnList(p.pk.map(p.backupName), b);
  const livePk = `${quoteId(t)}.${quoteId(p.pk[0]!)}`;
  const from = `${p.spec.from!.qualified} AS ${quoteId(b)} ${scopeJoin(p, b, S, true)}
      LEFT JOIN ${p.spec.table.qualified} AS ${quoteId(t)} ON ${pkJoin(p, t, b)}`;
  const where = p.spec.where ? sql`AND (${p.spec.where})` : sql``;
  const select = conflicts
    ? // The live row with that key belongs to another parent: a conflict unless that parent is scoped too.
      `SELECT ${backupPk}, CASE WHEN ${livePk} IS NULL THEN 'i' ELSE 'x' END FROM ${from}
      WHERE (${livePk} IS NULL OR (NOT ${sameParent(p, t, b)}
        AND NOT EXISTS (SELECT 1 FROM ${scope.table.qualified} AS ${quoteId('s2')} WHERE ${joinOn('s2', scope.key, t, p.on)})))`
    : `SELECT ${backupPk}, 'i' FROM ${from} WHERE ${livePk} IS NULL`;
  return run(
    tx,
    sql`INSERT INTO ${sql.raw(p.keys.qualified)} (${sql.raw(columnList(p.pk))}, rb_action) ${sql.raw(select)} ${where} FOR UPDATE`,
  );
}

/** How many keys of each action the key table holds. */
async function countActions(
  tx: Kysely<any>,
  p: Prepared,
): Promise<{ readonly u: number; readonly d: number; readonly i: number; readonly x: number }> {
  const result = await sql
    .raw<Record<'u' | 'd' | 'i' | 'x', string | number | null>>(
      `SELECT SUM(rb_action = 'u') AS u, SUM(rb_action = 'd') AS d, SUM(rb_action = 'i') AS i,
        SUM(rb_action = 'x') AS x FROM ${p.keys.qualified} ${SHARED}`,
    )
    .execute(tx);
  const row = result.rows[0];
  return { u: Number(row?.u ?? 0), d: Number(row?.d ?? 0), i: Number(row?.i ?? 0), x: Number(row?.x ?? 0) };
}

const CONFLICT_SAMPLE = 20;

/**
 * A backup child row whose primary key a live row of an unscoped parent now uses cannot be put back
 * without taking that row from its parent: refuse, naming the keys (`captureMissing` marked them 'x').
 */
async function refuseConflicts(ctx: WriteContext, p: Prepared, n: number): Promise<never> {
  const sample = await sql
    .raw<Record<string, unknown>>(
      `SELECT ${columnList(p.pk, T)}, ${columnList(p.on, T)} FROM ${p.keys.qualified} AS ${quoteId(K)}
        JOIN ${p.spec.table.qualified} AS ${quoteId(T)} ON ${joinOn(K, p.pk, T, p.pk)}
        WHERE ${quoteId(K)}.rb_action = 'x' ORDER BY ${columnList(p.pk, T)} LIMIT ${CONFLICT_SAMPLE} ${SHARED}`,
    )
    .execute(ctx.tx);
  const rows = sample.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])));
  const shown = rows.map(
    (r) => `${p.pk.map((k) => `${k}=${r[k]}`).join(',')} (now ${p.on.map((k) => `${k}=${r[k]}`).join(',')})`,
  );
  throw new KeyConflictError(
    `${p.label}: ${n} backup row(s) of scoped parents have primary keys that live rows of other parents now use: ${shown.join('; ')}${n > rows.length ? '; …' : ''}`,
    {
      hint: 'nothing was written; those live rows belong to parents outside the scope and rowback will not take them over. Widen the scope to include their parents, or restore these rows under new keys by hand',
      facts: { table: p.spec.table.toString(), conflicts: n, sample: rows },
    },
  );
}

async function deletePhase(
  ctx: WriteContext,
  p: Prepared,
  foreignKeys: readonly ForeignKey[],
): Promise<void> {
  if (p.counts.deleted === 0) return;
  for (const fk of childForeignKeys(p.spec.table, foreignKeys)) await checkCascade(ctx, p, fk);
  const deleted = await run(
    ctx.tx,
    sql.raw(deleteJoinedSql(p.spec.table, p.pk, p.keys, K, p.pk, `${quoteId(K)}.rb_action = 'd'`)),
  );
  if (deleted !== p.counts.deleted) {
    p.warnings.push(`expected to delete ${p.counts.deleted} row(s) of ${p.spec.table}, deleted ${deleted}`);
  }
}

/**
 * Children-first ordering means the scoped children were already handled when a parent is deleted:
 * any child still pointing at a deleted parent is outside the scope.
 */
async function checkCascade(ctx: WriteContext, p: Prepared, fk: ForeignKey): Promise<void> {
  const n = await count(
    ctx.tx,
    sql.raw(`SELECT COUNT(*) AS n FROM ${fk.child.qualified} AS ${quoteId('c')}
      JOIN ${p.spec.table.qualified} AS ${quoteId(T)} ON ${joinOn('c', fk.columns, T, fk.referencedColumns)}
      JOIN ${p.keys.qualified} AS ${quoteId(K)} ON ${joinOn(T, p.pk, K, p.pk)} AND ${quoteId(K)}.rb_action = 'd' ${SHARED}`),
  );
  if (n === 0) return;
  const what = `${n} row(s) of ${fk.child} (foreign key ${fk.name}, ON DELETE ${fk.onDelete}) reference rows of ${p.spec.table} this write deletes`;
  const cascades = ['CASCADE', 'SET NULL', 'SET DEFAULT'].includes(fk.onDelete);
  if (cascades && p.spec.options.allowCascade) {
    const image = await captureCascade(ctx, p, fk);
    p.cascaded += n;
    p.warnings.push(
      image
        ? `${what}; the cascade changes them; their prior rows are in ${image.beforeImage} and undo restores them`
        : `${what}; the cascade changes them and, ${fk.child} having no primary key, undo cannot restore them`,
    );
    return;
  }
  throw new ForeignKeyError(`${p.label}: ${what}, outside the scope`, {
    hint: cascades
      ? 'nothing was written; include those rows in the same transaction (a write on that table runs first), or pass { allowCascade: true } to let the cascade change them (undo will not restore them)'
      : 'nothing was written; the foreign key forbids the delete. Include those rows in the same transaction, or leave these parents out of the scope',
    facts: {
      table: p.spec.table.toString(),
      child: fk.child.toString(),
      foreignKey: fk.name,
      onDelete: fk.onDelete,
      rows: n,
    },
  });
}

/**
 * Copies the child rows an acknowledged cascade is about to change into their own before-image (and
 * their keys), so undo can put them back. One level only: a cascade that would go on into the
 * child's own children is refused, because those rows would be lost without a trace.
 */
async function captureCascade(ctx: WriteContext, p: Prepared, fk: ForeignKey): Promise<CascadeImage | null> {
  const child = await readTableMetadata(ctx.tx, fk.child);
  if (child.primaryKey.length === 0) return null;
  const byName = new Map(child.columns.map((c) => [c.name, c]));
  const columns = child.columns.filter((c) => !c.generated).map((c) => c.name);
  const name = `${ctx.stepName}__${fk.child.name}__cascade`;
  const beforeImage = await createWorkTable(ctx.ddl, ctx.tx, ctx.workspace, {
    prefix: 'bi',
    name,
    columns: columns.map((c) => byName.get(c)!),
    primaryKey: child.primaryKey,
  });
  const keys = await createWorkTable(ctx.ddl, ctx.tx, ctx.workspace, {
    prefix: 'keys',
    name,
    columns: child.primaryKey.map((c) => byName.get(c)!),
    primaryKey: child.primaryKey,
    extra: [`${quoteId('rb_action')} CHAR(1) NOT NULL`],
  });
  const rows = await run(
    ctx.tx,
    sql.raw(`INSERT INTO ${beforeImage.qualified} (${columnList(columns)})
      SELECT ${columnList(columns, 'c')} FROM ${fk.child.qualified} AS ${quoteId('c')}
      JOIN ${p.spec.table.qualified} AS ${quoteId(T)} ON ${joinOn('c', fk.columns, T, fk.referencedColumns)}
      JOIN ${p.keys.qualified} AS ${quoteId(K)} ON ${joinOn(T, p.pk, K, p.pk)} AND ${quoteId(K)}.rb_action = 'd'
      FOR UPDATE`),
  );
  const pk = columnList(child.primaryKey);
  await run(
    ctx.tx,
    sql.raw(
      `INSERT INTO ${keys.qualified} (${pk}, rb_action) SELECT ${pk}, 'c' FROM ${beforeImage.qualified} FOR UPDATE`,
    ),
  );
  for (const grandchild of childForeignKeys(fk.child, await readForeignKeys(ctx.tx, [fk.child]))) {
    if (!['CASCADE', 'SET NULL', 'SET DEFAULT'].includes(grandchild.onDelete) || fk.onDelete !== 'CASCADE')
      continue;
    const reached = await count(
      ctx.tx,
      sql.raw(`SELECT COUNT(*) AS n FROM ${grandchild.child.qualified} AS ${quoteId('g')}
        JOIN ${beforeImage.qualified} AS ${quoteId('c')} ON ${joinOn('g', grandchild.columns, 'c', grandchild.referencedColumns)} ${SHARED}`),
    );
    if (reached > 0) {
      throw new ForeignKeyError(
        `${p.label}: the cascade into ${fk.child} would go on into ${reached} row(s) of ${grandchild.child} (foreign key ${grandchild.name})`,
        {
          hint: 'nothing was written; rowback follows one level of cascade. Write those tables in the same transaction (children are handled first) so no cascade is needed',
          facts: {
            table: p.spec.table.toString(),
            child: fk.child.toString(),
            grandchild: grandchild.child.toString(),
            rows: reached,
          },
        },
      );
    }
  }
  const image = { table: fk.child, pk: child.primaryKey, columns, beforeImage, keys, rows };
  p.cascadeImages.push(image);
  return image;
}

async function updatePhase(ctx: WriteContext, p: Prepared): Promise<void> {
  if (p.counts.updated === 0) return;
  const targets = (p.spec.kind === 'upsert-columns' ? (p.spec.columns ?? []) : p.columns).filter(
    (c) => !p.pk.includes(c),
  );
  if (targets.length === 0) return;
  const set = targets
    .map((c) => `${quoteId(T)}.${quoteId(c)} = ${quoteId(B)}.${quoteId(p.backupName(c))}`)
    .join(', ');
  await runUnique(
    ctx,
    p,
    sql.raw(`UPDATE ${p.spec.table.qualified} AS ${quoteId(T)}
      JOIN ${p.keys.qualified} AS ${quoteId(K)} ON ${joinOn(T, p.pk, K, p.pk)}
      JOIN ${p.spec.from!.qualified} AS ${quoteId(B)} ON ${pkJoin(p, T, B)}
      SET ${set} WHERE ${quoteId(K)}.rb_action = 'u'`),
  );
}

async function insertPhase(ctx: WriteContext, p: Prepared): Promise<void> {
  if (p.counts.inserted === 0) return;
  const inserted = await runUnique(
    ctx,
    p,
    sql.raw(`INSERT INTO ${p.spec.table.qualified} (${columnList(p.columns)})
      SELECT ${columnList(p.columns.map(p.backupName), B)} FROM ${p.keys.qualified} AS ${quoteId(K)}
      JOIN ${p.spec.from!.qualified} AS ${quoteId(B)} ON ${joinOn(K, p.pk, B, p.pk.map(p.backupName))}
      WHERE ${quoteId(K)}.rb_action = 'i' FOR UPDATE`),
  );
  if (inserted !== p.counts.inserted) {
    p.warnings.push(
      `expected to insert ${p.counts.inserted} row(s) into ${p.spec.table}, inserted ${inserted}`,
    );
  }
}

/**
 * A backup row can collide with a live row of another primary key on a UNIQUE secondary key (e.g.
 * `wp_term_taxonomy (term_id, taxonomy)`); the server refuses with 1062. Say so in rowback's terms.
 */
async function runUnique(ctx: WriteContext, p: Prepared, query: RawBuilder<unknown>): Promise<number> {
  try {
    return await run(ctx.tx, query);
  } catch (error) {
    if ((error as { errno?: number }).errno !== 1062) throw error;
    const message = (error as Error).message;
    throw new KeyConflictError(
      `${p.label}: a backup row collides with a live row on a unique key: ${message}`,
      {
        cause: error,
        hint: 'nothing was written (the transaction rolls back); the live row holding that unique value is outside what this write replaces. Widen the scope to include it, or resolve the duplicate by hand first',
        facts: { table: p.spec.table.toString(), serverMessage: message },
      },
    );
  }
}

async function finish(ctx: WriteContext, p: Prepared): Promise<WriteResult> {
  const afterHash = await hashRows(ctx.tx, p.spec.table, { table: p.keys, columns: p.pk }, { locking: true });
  const counts = Object.freeze({ ...p.counts });
  const undo: UndoRecord = Object.freeze({
    version: 1,
    kind: p.spec.kind,
    step: ctx.stepName,
    table: Object.freeze({ schema: p.spec.table.schema, name: p.spec.table.name }),
    primaryKey: p.pk,
    columns: Object.freeze([...p.imageColumns]),
    beforeImage: Object.freeze({ schema: p.beforeImage.schema, name: p.beforeImage.name }),
    keys: Object.freeze({ schema: p.keys.schema, name: p.keys.name }),
    afterHash,
    counts,
  });
  const provenance = { liveTable: p.spec.table.toString(), kind: p.spec.kind, mode: ctx.mode };
  await ctx.recorder.record(ctx.stepName, {
    kind: 'before-image',
    table: p.beforeImage,
    rows: counts.deleted + counts.updated,
    checksum: null,
    provenance,
  });
  await ctx.recorder.record(ctx.stepName, {
    kind: 'inserted-keys',
    table: p.keys,
    rows: counts.deleted + counts.updated + counts.inserted,
    checksum: afterHash,
    provenance: {
      ...provenance,
      checksumIs: 'hashRows of the live rows at these keys right after the write',
    },
  });
  const cascadeUndo: UndoRecord[] = [];
  for (const image of p.cascadeImages) {
    const cascadeHash = await hashRows(
      ctx.tx,
      image.table,
      { table: image.keys, columns: image.pk },
      { locking: true },
    );
    cascadeUndo.push(
      Object.freeze({
        version: 1,
        kind: 'cascade',
        step: ctx.stepName,
        table: Object.freeze({ schema: image.table.schema, name: image.table.name }),
        primaryKey: image.pk,
        columns: Object.freeze([...image.columns]),
        beforeImage: Object.freeze({ schema: image.beforeImage.schema, name: image.beforeImage.name }),
        keys: Object.freeze({ schema: image.keys.schema, name: image.keys.name }),
        afterHash: cascadeHash,
        counts: Object.freeze({ deleted: image.rows, inserted: 0, updated: 0 }),
      }),
    );
    const cascadeProvenance = {
      liveTable: image.table.toString(),
      kind: 'cascade',
      cascadeFrom: p.spec.table.toString(),
      mode: ctx.mode,
    };
    await ctx.recorder.record(ctx.stepName, {
      kind: 'before-image',
      table: image.beforeImage,
      rows: image.rows,
      checksum: null,
      provenance: cascadeProvenance,
    });
    await ctx.recorder.record(ctx.stepName, {
      kind: 'inserted-keys',
      table: image.keys,
      rows: image.rows,
      checksum: cascadeHash,
      provenance: cascadeProvenance,
    });
  }
  return Object.freeze({
    kind: p.spec.kind,
    table: p.spec.table,
    ...counts,
    rows: counts.deleted + counts.inserted + counts.updated,
    undo,
    triggers: p.triggers,
    cascaded: p.cascaded,
    cascadeUndo: Object.freeze(cascadeUndo),
    warnings: Object.freeze([...p.warnings]),
  });
}
