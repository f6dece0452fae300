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
    const defaults = await liveSchemaDefaults(target, options.live ?? target);
    try {
      await sql.raw(createWorkspaceSql(schema, defaults)).execute(target.db);
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

/** A schema's default character set and collation, as `information_schema.SCHEMATA` has them. */
export interface SchemaDefaults {
  readonly charset: string;
  readonly collation: string;
}

/**
 * `CREATE DATABASE` for a workspace with the live schema's defaults, so every table and key column
 * rowback creates there without an explicit collation compares with the live columns (a fixed
 * `utf8mb4` gives `utf8mb4_general_ci` on MariaDB and `utf8mb4_0900_ai_ci` on MySQL, and comparing
 * either with the other is error 1267, illegal mix of collations). Same SQL on both flavours.
 *
 * @example
 * createWorkspaceSql('rb_x', { charset: 'utf8mb4', collation: 'utf8mb4_0900_ai_ci' })
 * // CREATE DATABASE IF NOT EXISTS `rb_x` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci
 */
export function createWorkspaceSql(schema: string, defaults: SchemaDefaults | null): string {
  const head = `CREATE DATABASE IF NOT EXISTS ${quoteId(schema)} DEFAULT CHARACTER SET`;
  if (defaults === null) return `${head} utf8mb4`;
  const name = /^\w+$/;
  if (!name.test(defaults.charset) || !name.test(defaults.collation)) return `${head} utf8mb4`;
  return `${head} ${defaults.charset} COLLATE ${defaults.collation}`;
}

/**
 * The live schema's defaults when the workspace server knows its collation (a live server of the
 * other flavour may use one it lacks: then the workspace keeps the server's utf8mb4 default).
 */
async function liveSchemaDefaults(target: Target, live: Target): Promise<SchemaDefaults | null> {
  const liveSchema = live.server.defaultSchema;
  if (liveSchema === null) return null;
  const found = await sql<SchemaDefaults>`
    SELECT DEFAULT_CHARACTER_SET_NAME AS charset, DEFAULT_COLLATION_NAME AS collation
    FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${liveSchema}`.execute(live.db);
  const defaults = found.rows[0];
  if (!defaults) return null;
  const known = await sql<{ n: number | string }>`
    SELECT COUNT(*) AS n FROM information_schema.COLLATIONS WHERE COLLATION_NAME = ${defaults.collation}`.execute(
    target.db,
  );
  return Number(known.rows[0]?.n ?? 0) > 0 ? defaults : null;
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
