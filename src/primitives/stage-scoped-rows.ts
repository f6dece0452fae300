import { type Kysely, sql } from 'kysely';
import { insertValuesUpsert, quoteId, type TableRef } from '../db/index.ts';
import { UsageError } from '../errors/index.ts';
import { executeWithParams } from './scope.ts';
import { setSqlMode, useRestoreSqlMode } from './session-mode.ts';
import { columnList, joinOn } from './sql-fragments.ts';
import { columnDefinition, readKeyedTable, readTableMetadata } from './table-metadata.ts';
import type { Scope, Workspace } from './types.ts';
import { workspaceTableName } from './workspace-names.ts';

export interface StageScopedRowsOptions {
  /** Per backup table (by name in the source workspace), its columns matched to the scope's key, e.g. `{ backup__wp_usermeta: 'user_id' }`. */
  readonly on?: Readonly<Record<string, string | readonly string[]>>;
  /** Rows per round trip (default 1000). */
  readonly batchSize?: number;
}

export interface StagedRows {
  /** The scope, copied into the staging workspace. */
  readonly scope: Scope;
  /** Staged copy of each backup table, in the order given. */
  readonly tables: readonly { readonly source: TableRef; readonly table: TableRef; readonly rows: number }[];
}

/**
 * For a workspace on a standalone server (`sameServer === false`), where SQL cannot join the backup
 * with live data: copies the scope and only the scoped backup rows into a staging workspace on the
 * live server, so every write primitive runs there unchanged (`from: staged.tables[i].table`,
 * `scope: staged.scope`). Rows travel in key-ordered batches with bound parameters (bounded memory;
 * binary, big integers, zero dates and JSON unchanged). The staged table's definition is the source's
 * `SHOW CREATE TABLE` without foreign keys, so generated and invisible columns stay what they are.
 *
 * @example
 * const staging = await openWorkspace(live, { schema: `${workspace.schema}_stage` });
 * const staged = await stageScopedRows(workspace, staging, [backup.table('wp_usermeta')], users,
 *   { on: { [backup.table('wp_usermeta').name]: 'user_id' } });
 */
export async function stageScopedRows(
  source: Workspace,
  staging: Workspace,
  tables: readonly TableRef[],
  scope: Scope,
  options: StageScopedRowsOptions = {},
): Promise<StagedRows> {
  const batch = options.batchSize ?? 1000;
  const from = source.target.db;
  const to = staging.target.db;
  const scopeMeta = await readTableMetadata(from, scope.table);
  const stagedScope = staging.table(scope.table.name);
  await sql.raw(`DROP TABLE IF EXISTS ${stagedScope.qualified}`).execute(to);
  const definitions = scope.key.map((k) => {
    const column = scopeMeta.columns.find((c) => c.name === k)!;
    return `${quoteId(k)} ${columnDefinition(column, true)}`;
  });
  await sql
    .raw(
      `CREATE TABLE ${stagedScope.qualified} (${definitions.join(', ')}, PRIMARY KEY (${columnList(scope.key)})) ENGINE=InnoDB`,
    )
    .execute(to);
  await copyBatches(from, staging, scope.table, stagedScope, scope.key, scope.key, '', batch);

  const staged: { source: TableRef; table: TableRef; rows: number }[] = [];
  for (const table of tables) {
    const meta = await readKeyedTable(from, table);
    const on = [options.on?.[table.name] ?? scope.key].flat();
    if (on.length !== scope.key.length) {
      throw new UsageError(
        `staging ${table}: ${on.join(', ')} does not match scope key ${scope.key.join(', ')}`,
      );
    }
    const target = staging.table(workspaceTableName('stage', table.name));
    await sql.raw(`DROP TABLE IF EXISTS ${target.qualified}`).execute(to);
    const ddl = await createTableLike(from, table, target);
    // WordPress-style zero-date defaults are refused under NO_ZERO_DATE (MySQL 8's default mode).
    await to.connection().execute(async (pinned) => {
      const previous = await useRestoreSqlMode(pinned);
      try {
        await sql.raw(ddl).execute(pinned);
      } finally {
        await setSqlMode(pinned, previous);
      }
    });
    const join = `JOIN ${scope.table.qualified} AS ${quoteId('s')} ON ${joinOn('t', on, 's', scope.key)}`;
    const columns = meta.columns.filter((c) => !c.generated).map((c) => c.name);
    const rows = await copyBatches(from, staging, table, target, meta.primaryKey, columns, join, batch);
    staged.push({ source: table, table: target, rows });
  }
  return Object.freeze({
    scope: Object.freeze({ ...scope, table: stagedScope }),
    tables: Object.freeze(staged.map((s) => Object.freeze(s))),
  });
}

/** The source's own DDL for `target`: same columns, indexes and options; foreign keys dropped (they would point into the staging schema). */
async function createTableLike(db: Kysely<any>, table: TableRef, target: TableRef): Promise<string> {
  const result = await sql.raw<Record<string, string>>(`SHOW CREATE TABLE ${table.qualified}`).execute(db);
  const ddl = result.rows[0]?.['Create Table'];
  if (!ddl) throw new UsageError(`cannot read the definition of ${table}`);
  const lines = ddl
    .split('\n')
    .filter((line) => !/^\s*CONSTRAINT\s+`(?:[^`]|``)*`\s+FOREIGN KEY/i.test(line));
  const body = lines.join('\n').replace(/,(\s*\n\))/, '$1');
  return body.replace(/^CREATE TABLE `(?:[^`]|``)*`/, `CREATE TABLE ${target.qualified}`);
}

/** Keyset-paginated copy (by `order`, the primary key) from one server to another. */
async function copyBatches(
  db: Kysely<any>,
  staging: Workspace,
  source: TableRef,
  target: TableRef,
  order: readonly string[],
  columns: readonly string[],
  join: string,
  batch: number,
): Promise<number> {
  let after: unknown[] | null = null;
  let total = 0;
  await staging.target.db.connection().execute(async (pinned) => {
    const previous = await useRestoreSqlMode(pinned);
    try {
      for (;;) {
        const where = after
          ? sql`WHERE (${sql.raw(columnList(order, 't'))}) > (${sql.join(after.map((v) => sql`${v}`))})`
          : sql``;
        const result = await sql<Record<string, unknown>>`
          SELECT ${sql.raw(columnList(columns, 't'))} FROM ${source} AS ${sql.id('t')} ${sql.raw(join)} ${where}
          ORDER BY ${sql.raw(columnList(order, 't'))} LIMIT ${batch}`.execute(db);
        if (result.rows.length === 0) break;
        const text = insertValuesUpsert(
          staging.target.server,
          target.qualified,
          columns,
          [],
          result.rows.length,
        );
        const values = result.rows.flatMap((row) => columns.map((c) => row[c]));
        await executeWithParams(pinned, text, values);
        total += result.rows.length;
        const last = result.rows[result.rows.length - 1]!;
        after = order.map((c) => last[c]);
        if (result.rows.length < batch) break;
      }
    } finally {
      await setSqlMode(pinned, previous);
    }
  });
  return total;
}
