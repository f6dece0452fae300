import { type Kysely, type RawBuilder, sql } from 'kysely';
import {
  averageRowBytes,
  clusterActive,
  copyRows,
  quoteId,
  rowsPerWriteset,
  type TableRef,
  writeLimits,
} from '../db/index.ts';
import { UsageError } from '../errors/index.ts';
import { scopeColumnsOf } from './scope-columns.ts';
import { setSqlMode, useRestoreSqlMode } from './session-mode.ts';
import { columnList, joinOn } from './sql-fragments.ts';
import { readKeyedTable, readTableMetadata, requireBaseTable, type TableMetadata } from './table-metadata.ts';
import type { ArtifactRecord, Scope, Workspace } from './types.ts';
import { workspaceTableName } from './workspace-names.ts';

export interface SnapshotTablesOptions {
  /** Copy only rows in this scope. */
  readonly scope?: Scope;
  /**
   * Per table, its columns matched by position to the scope's key where they are named differently,
   * e.g. `{ wp_usermeta: 'user_id' }`; other tables use the key's own names, or else the columns of
   * their one declared foreign key to the key's columns.
   */
  readonly on?: Readonly<Record<string, string | readonly string[]>>;
  /** Or copy only rows matching this condition (the same for every table; columns unqualified). */
  readonly where?: RawBuilder<unknown>;
  /** Table name prefix in the workspace (default `snap__<name>`); the runner puts the run id in it. */
  readonly prefix?: string;
}

/** A snapshot's row filter: a join to the scope, or a where condition (kept apart for keyset copies). */
interface Filter {
  readonly join: RawBuilder<unknown>;
  readonly where: RawBuilder<unknown> | null;
}

/**
 * Each table's metadata and row filter, all checked before the first copy (a typo fails before any
 * DDL). `keyed`: on a cluster every table copied needs a primary key.
 */
async function resolveFilters(
  db: Kysely<any>,
  tables: readonly TableRef[],
  options: SnapshotTablesOptions,
  keyed = false,
): Promise<readonly { readonly meta: TableMetadata; readonly filter: Filter }[]> {
  if (options.scope && options.where)
    throw new UsageError('a snapshot takes a scope or a where condition, not both', {
      hint: 'pass { scope } or { where }',
      facts: { option: 'where' },
    });
  const resolved = [];
  for (const table of tables) {
    const meta = keyed ? await readKeyedTable(db, table) : await readTableMetadata(db, table);
    requireBaseTable(meta, 'a snapshot copies base tables (CREATE TABLE … LIKE)');
    resolved.push({ meta, filter: await filterFor(db, meta, tables, options) });
  }
  return resolved;
}

async function filterFor(
  db: Kysely<any>,
  meta: TableMetadata,
  tables: readonly TableRef[],
  options: SnapshotTablesOptions,
): Promise<Filter> {
  if (options.scope) {
    const scope = options.scope;
    const others = tables.filter((t) => t !== meta.table);
    const on = await scopeColumnsOf(db, meta, scope, options.on?.[meta.table.name], others);
    return {
      join: sql.raw(
        ` JOIN ${scope.table.qualified} AS ${quoteId('s')} ON ${joinOn('t', on, 's', scope.key)}`,
      ),
      where: null,
    };
  }
  return { join: sql``, where: options.where ?? null };
}

/**
 * Copies rows of live tables into the workspace: `CREATE TABLE … LIKE` (indexes and primary key
 * included, foreign keys and triggers not) and `INSERT … SELECT` with an explicit column list, so
 * invisible columns are copied and generated ones recomputed (never `CREATE TABLE … SELECT`, which
 * Group Replication refuses). On a cluster the copy is split into statements that each fit its
 * writeset limits (`copyRows`), and tables without a primary key are refused. Returns one artifact
 * record per table with its row count and `CHECKSUM TABLE … EXTENDED`. Runs outside any transaction
 * (it is DDL).
 *
 * @example
 * const artifacts = await snapshot(workspace, 'before', [live('wp_users'), live('wp_usermeta')],
 *   { scope: users, on: { wp_usermeta: 'user_id' } });
 */
export async function snapshot(
  workspace: Workspace,
  name: string,
  tables: readonly TableRef[],
  options: SnapshotTablesOptions = {},
): Promise<readonly ArtifactRecord[]> {
  const db = workspace.target.db;
  const limits = writeLimits(workspace.target.topology);
  const artifacts: ArtifactRecord[] = [];
  const keyed = clusterActive(workspace.target.topology);
  for (const { meta, filter } of await resolveFilters(db, tables, options, keyed)) {
    const table = meta.table;
    const copy = await freeTable(db, workspace, options.prefix ?? `snap__${name}`, table.name);
    const columns = meta.columns.filter((c) => !c.generated).map((c) => c.name);
    const rows = await db.connection().execute(async (pinned) => {
      const previous = await useRestoreSqlMode(pinned);
      try {
        // Under the restore sql_mode too: a zero-date default is refused under NO_ZERO_DATE.
        await sql.raw(`CREATE TABLE ${copy.qualified} LIKE ${table.qualified}`).execute(pinned);
        const perStatement = rowsPerWriteset(limits, await averageRowBytes(pinned, table));
        return await copyRows(
          pinned,
          {
            into: copy,
            columns: sql.raw(columnList(columns)),
            select: sql.raw(columnList(columns, 't')),
            from: sql`${table} AS ${sql.id('t')}${filter.join}`,
            where: filter.where,
            key: meta.primaryKey,
            qualifier: 't',
          },
          perStatement,
        );
      } finally {
        await setSqlMode(pinned, previous);
      }
    });
    const checksum = await sql
      .raw<{ Checksum: string | number | null }>(`CHECKSUM TABLE ${copy.qualified} EXTENDED`)
      .execute(db);
    artifacts.push(
      Object.freeze({
        kind: 'snapshot' as const,
        table: copy,
        rows,
        checksum: checksum.rows[0]?.Checksum == null ? null : String(checksum.rows[0].Checksum),
        provenance: Object.freeze({ source: table.toString(), step: name }),
      }),
    );
  }
  return Object.freeze(artifacts);
}

/**
 * How many rows `snapshot` would copy per table, without copying (for a plan).
 *
 * @example const counts = await countSnapshotRows(target.db, [live('wp_users')], { scope: users });
 */
export async function countSnapshotRows(
  db: Kysely<any>,
  tables: readonly TableRef[],
  options: SnapshotTablesOptions = {},
): Promise<readonly { readonly table: TableRef; readonly rows: number }[]> {
  const out: { table: TableRef; rows: number }[] = [];
  for (const { meta, filter } of await resolveFilters(db, tables, options)) {
    const table = meta.table;
    const where = filter.where ? sql` WHERE ${filter.where}` : sql``;
    const result = await sql<{ n: number | string }>`
      SELECT COUNT(*) AS n FROM ${table} AS ${sql.id('t')}${filter.join}${where}`.execute(db);
    out.push({ table, rows: Number(result.rows[0]?.n ?? 0) });
  }
  return Object.freeze(out.map((o) => Object.freeze(o)));
}

async function freeTable(
  db: Kysely<any>,
  workspace: Workspace,
  prefix: string,
  name: string,
): Promise<TableRef> {
  for (let n = 1; ; n++) {
    const table = workspace.table(workspaceTableName(prefix, n === 1 ? name : `${name}_${n}`));
    const exists = await sql<{ n: number | string }>`
      SELECT COUNT(*) AS n FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = ${table.schema} AND TABLE_NAME = ${table.name}`.execute(db);
    if (Number(exists.rows[0]?.n ?? 0) === 0) return table;
  }
}
