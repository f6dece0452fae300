import { type Kysely, sql } from 'kysely';
import { quoteId } from '../db/index.ts';
import { UsageError } from '../errors/index.ts';
import { columnList } from './sql-fragments.ts';
import type { Scope, Workspace } from './types.ts';
import { workspaceTableName } from './workspace-names.ts';

/**
 * Splits a scope into sub-scopes of at most `chunkSize` keys (in key order), each its own workspace
 * table (`CREATE TABLE … LIKE` the scope, so the same key types and primary key), for chunked
 * transactions the runner applies and resumes one by one. Chunk boundaries are read with a window
 * function (MySQL 8, MariaDB 10.2+) and each chunk filled with one `INSERT … SELECT` over a key range.
 * Existing chunk tables of the same name are replaced; they hold only keys.
 *
 * @example
 * for (const chunk of await splitScope(workspace, ddl, users, 1000)) await applyChunk(chunk);
 */
export async function splitScope(
  workspace: Workspace,
  ddl: Kysely<any>,
  scope: Scope,
  chunkSize: number,
): Promise<readonly Scope[]> {
  if (!Number.isInteger(chunkSize) || chunkSize < 1)
    throw new UsageError(`chunk size must be a positive integer, got ${chunkSize}`);
  const keys = columnList(scope.key);
  const starts = await sql
    .raw<Record<string, unknown>>(
      `SELECT ${keys} FROM (SELECT ${keys}, ROW_NUMBER() OVER (ORDER BY ${keys}) AS ${quoteId('rb_n')}
        FROM ${scope.table.qualified}) AS ${quoteId('x')}
       WHERE MOD(${quoteId('rb_n')} - 1, ${chunkSize}) = 0 ORDER BY ${keys}`,
    )
    .execute(ddl);
  const bounds = starts.rows.map((row) => scope.key.map((k) => row[k]));
  const tuple = (values: readonly unknown[]) => sql`(${sql.join(values.map((v) => sql`${v}`))})`;
  const chunks: Scope[] = [];
  for (let i = 0; i < bounds.length; i++) {
    const table = workspace.table(workspaceTableName(scope.table.name, `c${i + 1}`));
    await sql.raw(`DROP TABLE IF EXISTS ${table.qualified}`).execute(ddl);
    await sql.raw(`CREATE TABLE ${table.qualified} LIKE ${scope.table.qualified}`).execute(ddl);
    const lower = sql`(${sql.raw(keys)}) >= ${tuple(bounds[i]!)}`;
    const upper = i + 1 < bounds.length ? sql` AND (${sql.raw(keys)}) < ${tuple(bounds[i + 1]!)}` : sql``;
    const result = await sql`INSERT INTO ${table} (${sql.raw(keys)})
      SELECT ${sql.raw(keys)} FROM ${scope.table} WHERE ${lower}${upper}`.execute(ddl);
    chunks.push(
      Object.freeze({
        name: `${scope.name}#${i + 1}`,
        table,
        key: scope.key,
        rows: Number(result.numAffectedRows ?? 0n),
      }),
    );
  }
  return Object.freeze(chunks);
}
