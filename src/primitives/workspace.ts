import { sql } from 'kysely';
import { assertIdentifier, quoteId, TableRef, type Target } from '../db/index.ts';
import type { Workspace } from './types.ts';

export interface WorkspaceOptions {
  /** Schema name, e.g. `workspaceSchemaName(module.id)`. */
  readonly schema: string;
  /**
   * The live target, when the workspace is on another (standalone) server. Omit it when the workspace
   * is on the live server itself: then `sameServer` is true and SQL can join live and workspace tables.
   */
  readonly live?: Target;
}

/**
 * Opens (creating if missing) the workspace schema on `target`. Creation is race-safe: check,
 * `CREATE DATABASE IF NOT EXISTS`, and on error re-check, because another process may have created it
 * at the same moment. Nothing is dropped or changed in an existing workspace.
 *
 * @example
 * const workspace = await openWorkspace(target, { schema: workspaceSchemaName('20261126-wpca') });
 * workspace.table('backup__wp_users').qualified // '`rb_20261126_wpca`.`backup__wp_users`'
 */
export async function openWorkspace(target: Target, options: WorkspaceOptions): Promise<Workspace> {
  const { schema } = options;
  assertIdentifier(schema, 'workspace schema');
  if (!(await schemaExists(target, schema))) {
    try {
      await sql
        .raw(`CREATE DATABASE IF NOT EXISTS ${quoteId(schema)} DEFAULT CHARACTER SET utf8mb4`)
        .execute(target.db);
    } catch (error) {
      if (!(await schemaExists(target, schema))) throw error;
    }
  }
  const sameServer = options.live === undefined || isSameServer(target, options.live);
  return Object.freeze({
    target,
    schema,
    sameServer,
    table: (name: string) => new TableRef(schema, name),
  });
}

async function schemaExists(target: Target, schema: string): Promise<boolean> {
  const result = await sql<{ n: number | string }>`
    SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${schema}`.execute(target.db);
  return Number(result.rows[0]?.n ?? 0) > 0;
}

/**
 * MySQL has a real `@@server_uuid`; MariaDB's stand-in (server id + hostname) can repeat across
 * servers on one host, so there the address must match too. When unsure, say "not the same": the
 * cost is an extra copy of scoped rows, never a join against the wrong server.
 */
function isSameServer(a: Target, b: Target): boolean {
  if (a.server.serverUuid !== b.server.serverUuid) return false;
  if (a.server.flavour === 'mysql') return true;
  const address = (t: Target) => `${t.options.socketPath ?? ''}|${t.options.host}|${t.options.port}`;
  return address(a) === address(b);
}
