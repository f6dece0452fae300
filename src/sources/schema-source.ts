import { type RawBuilder, sql } from 'kysely';
import { averageRowBytes, copyRows, quoteId, rowsPerWriteset, TableRef, writeLimits } from '../db/index.ts';
import { SourceError, UsageError } from '../errors/index.ts';
import { FROM_SCHEMA } from '../validation/api-contracts.ts';
import { checkCall } from '../validation/check-call.ts';
import { asSourceError, type LandingTable, LandingZone } from './landing-zone.ts';
import { resolveQualifiedTables } from './qualified-tables.ts';
import type { ExtractContext, ExtractResult, Source } from './source.ts';
import { tableColumns } from './table-columns.ts';

export interface SchemaSourceOptions {
  readonly tables: readonly string[];
  /** Per table, a condition on the source rows, e.g. `{ wp_users: sql\`ID IN (${ids})\` }`. */
  readonly where?: Readonly<Record<string, RawBuilder<unknown>>>;
  /** Workspace table names per source table, instead of the context's naming. */
  readonly into?: Readonly<Record<string, string>>;
}

/**
 * Another schema on the workspace's own server as a backup source (a backup restored next to the live
 * data): `CREATE TABLE … LIKE` and `INSERT … SELECT` with explicit column lists, so the server does
 * the work and nothing leaves it. Never `CREATE TABLE … SELECT` (not allowed with GTID consistency, and
 * it makes tables without keys).
 *
 * @example
 * const backup = await r.extract('backup', fromSchema('wordpress_restored', {
 *   tables: ['wp_users', 'wp_usermeta'],
 *   where: { wp_usermeta: sql`user_id IN (SELECT ID FROM wordpress_restored.wp_users WHERE ID > 1000)` },
 * }));
 */
export function fromSchema(schema: string, given: SchemaSourceOptions): Source {
  checkCall(FROM_SCHEMA, { schema, options: given });
  const { tables } = resolveQualifiedTables('fromSchema', given.tables, schema, 'schema');
  const options: SchemaSourceOptions = { ...given, tables };
  return Object.freeze({
    kind: 'schema' as const,
    description: `schema ${schema}`,
    extract: (context: ExtractContext) => extractSchema(schema, options, context),
  });
}

async function extractSchema(
  schema: string,
  options: SchemaSourceOptions,
  context: ExtractContext,
): Promise<ExtractResult> {
  if (schema === context.workspace) {
    throw new UsageError(`the source schema ${schema} is the workspace itself`, {
      hint: 'name the schema that holds the backup',
    });
  }
  const zone = await LandingZone.open(context);
  const db = context.target.db;
  const landed: LandingTable[] = [];
  try {
    // Every table is looked up before the first copy: a misspelt or missing one fails before any work.
    const found = [];
    for (const table of options.tables) found.push({ table, columns: await tableColumns(db, schema, table) });
    for (const { table, columns } of found) {
      context.signal?.throwIfAborted();
      const source = new TableRef(schema, table);
      if (!columns.hasPrimaryKey && zone.server.requirePrimaryKey) {
        throw new SourceError(
          `table ${source} has no primary key, and the server requires one (sql_require_primary_key / innodb_force_primary_key, or a Galera / Group Replication cluster), so CREATE TABLE … LIKE cannot copy it`,
          {
            hint: 'extract it with fromServer into a workspace that allows it, or add a key to the backup copy',
          },
        );
      }
      const target = zone.tableFor(table, schema, options.into?.[table]);
      await zone.run(target, `CREATE TABLE ${target.qualified} LIKE ${source.qualified}`, `schema ${schema}`);
      landed.push({ sourceSchema: schema, sourceTable: table, table: target });
      const list = sql.raw(columns.writable.map(quoteId).join(', '));
      // On a cluster, in statements that each fit its writeset limits (keyset over the primary key).
      await copyRows(
        db,
        {
          into: target,
          columns: list,
          select: list,
          from: sql`${source}`,
          where: options.where?.[table] ?? null,
          key: columns.primaryKey,
          qualifier: source,
        },
        rowsPerWriteset(writeLimits(context.target.topology), await averageRowBytes(db, source)),
      );
      context.onProgress?.(Object.freeze({ table, bytesRead: 0, bytesTotal: null, rows: 0 }));
    }
    const tables = await zone.finish(landed);
    return Object.freeze({
      tables: Object.freeze(tables),
      provenance: Object.freeze({
        source: 'schema',
        schema,
        server: context.target.description,
        filtered: Object.keys(options.where ?? {}),
      }),
      ddlChanges: Object.freeze([]),
    });
  } catch (error) {
    await zone.dropAll();
    throw asSourceError(error, `schema ${schema}`, { schema });
  }
}
