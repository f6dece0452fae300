import { type Kysely, sql } from 'kysely';
import { quoteId, type TableRef } from '../db/index.ts';
import { type ColumnInfo, columnDefinition } from './table-metadata.ts';
import type { Workspace } from './types.ts';
import { workspaceTableName } from './workspace-names.ts';

/** Names handed out within one transaction (keyed by its connection), so two writes never share a table. */
const claimedInTransaction = new WeakMap<object, Set<string>>();

export interface WorkTableSpec {
  readonly prefix: string;
  readonly name: string;
  readonly columns: readonly ColumnInfo[];
  readonly primaryKey: readonly string[];
  /** Extra column definitions appended as is, e.g. `` `rb_action` CHAR(1) NOT NULL ``. */
  readonly extra?: readonly string[];
}

/**
 * Creates an empty workspace table on the DDL connection (never the transaction's: MySQL commits
 * implicitly on DDL), with explicit column definitions copied from information_schema and a primary key.
 * It deliberately avoids `CREATE TABLE … LIKE <live table>`: that takes a metadata lock on the live table
 * which the open transaction may already hold for writing, and the two sessions would wait on each other.
 *
 * Names are never reused: a name taken in this transaction or already present in the workspace gets the
 * next numeric suffix. An existing table may be the before-image an earlier run's undo record points at,
 * even when it is empty, so it is never dropped or refilled here; `gc` removes tables by their expiry.
 */
export async function createWorkTable(
  ddl: Kysely<any>,
  tx: object,
  workspace: Workspace,
  spec: WorkTableSpec,
): Promise<TableRef> {
  const claimed = claimedInTransaction.get(tx) ?? new Set<string>();
  claimedInTransaction.set(tx, claimed);
  for (let n = 1; ; n++) {
    const name = workspaceTableName(spec.prefix, n === 1 ? spec.name : `${spec.name}_${n}`);
    if (claimed.has(name)) continue;
    const table = workspace.table(name);
    if (await tableExists(ddl, table)) continue;
    claimed.add(name);
    const byName = new Map(spec.columns.map((c) => [c.name, c]));
    const definitions = [
      ...spec.columns.map(
        (c) => `${quoteId(c.name)} ${columnDefinition(c, spec.primaryKey.includes(c.name))}`,
      ),
      ...(spec.extra ?? []),
      `PRIMARY KEY (${spec.primaryKey.map((k) => (byName.has(k) ? quoteId(k) : k)).join(', ')})`,
    ];
    try {
      await sql
        .raw(
          `CREATE TABLE ${table.qualified} (${definitions.join(', ')}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
        )
        .execute(ddl);
    } catch (error) {
      // ER_TABLE_EXISTS_ERROR: another session took the name between our check and CREATE; try the next.
      if ((error as { errno?: number }).errno === 1050) continue;
      throw error;
    }
    return table;
  }
}

async function tableExists(db: Kysely<any>, table: TableRef): Promise<boolean> {
  const exists = await sql<{ n: number | string }>`
    SELECT COUNT(*) AS n FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = ${table.schema} AND TABLE_NAME = ${table.name}`.execute(db);
  return Number(exists.rows[0]?.n ?? 0) > 0;
}
