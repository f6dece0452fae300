import { createQueryId, MysqlQueryCompiler, type RawBuilder } from 'kysely';
import { createConnection } from 'mysql2';
import {
  connect,
  describeConnection,
  parseConnectionUrl,
  poolOptions,
  quoteId,
  TableRef,
  type Target,
} from '../db/index.ts';
import { UsageError } from '../errors/index.ts';
import { FROM_SERVER } from '../validation/api-contracts.ts';
import { checkCall } from '../validation/check-call.ts';
import { asSourceError, type LandingTable, LandingZone } from './landing-zone.ts';
import { defaultLoadMethod, type LoadMethod } from './load-session.ts';
import { ParallelLoads } from './parallel-loads.ts';
import { ProgressReporter } from './progress.ts';
import { resolveQualifiedTables } from './qualified-tables.ts';
import { copyRows } from './server-rows.ts';
import type { ExtractContext, ExtractResult, Source } from './source.ts';
import { type TableColumns, tableColumns } from './table-columns.ts';
import { openTableLoader } from './table-loader.ts';

export interface ServerSourceOptions {
  /** The schema on the source server (or name the tables as `schema.table`). */
  readonly schema?: string;
  readonly tables: readonly string[];
  /** Per table, a condition run on the source server, e.g. `{ wp_users: sql\`ID IN (${ids})\` }`. */
  readonly where?: Readonly<Record<string, RawBuilder<unknown>>>;
  readonly into?: Readonly<Record<string, string>>;
  readonly method?: LoadMethod;
}

/**
 * Another server (a standalone restore target, a replica) as a backup source: DDL from `SHOW CREATE
 * TABLE`, rows streamed (raw bytes, never decoded; see server-rows.ts) into the workspace in batches of
 * 1 MB, all tables read in one consistent snapshot. Memory stays bounded by the batch.
 *
 * @example
 * const backup = await r.extract('backup', fromServer('mysql://restore@10.0.0.9:3306', {
 *   schema: 'wordpress', tables: ['wp_users', 'wp_usermeta'],
 * }));
 */
export function fromServer(url: string, given: ServerSourceOptions): Source {
  checkCall(FROM_SERVER, { url, options: given });
  const { schema, tables } = resolveQualifiedTables('fromServer', given.tables, given.schema, 'schema');
  if (schema === undefined) {
    throw new UsageError("fromServer(url, options): option 'schema' is missing", {
      hint: "pass { schema: 'wordpress', tables: ['wp_users'] } or name the tables as 'wordpress.wp_users'",
      facts: { option: 'schema' },
    });
  }
  const options: ResolvedServerOptions = { ...given, schema, tables };
  // Parsed now so a bad URL fails when the module is defined; the description never holds the password.
  const description = `server ${describeConnection(parseConnectionUrl(url))} schema ${options.schema}`;
  return Object.freeze({
    kind: 'server' as const,
    description,
    extract: async (context: ExtractContext) => {
      const source = await connect(url);
      try {
        return await extractServer(source, options, context);
      } finally {
        await source.close();
      }
    },
  });
}

/** The options once the schema is known (given, or from `schema.table` names). */
type ResolvedServerOptions = ServerSourceOptions & { readonly schema: string };

async function extractServer(
  source: Target,
  options: ResolvedServerOptions,
  context: ExtractContext,
): Promise<ExtractResult> {
  const zone = await LandingZone.open(context);
  const loads = new ParallelLoads();
  const method = options.method ?? defaultLoadMethod(context.target);
  const progress = new ProgressReporter(context.onProgress, null);
  const landed: LandingTable[] = [];
  const { connectionLimit: _limit, ...connectionOptions } = poolOptions(source.options);
  const reader = createConnection({
    ...connectionOptions,
    rowsAsArray: true,
    // Every value as the bytes the server sent: no number, date or text conversion on the way.
    typeCast: false,
    // mysql2 sizes each connection's prepared-statement cache for its maximum up front (16,000: about
    // 1 MB of arrays); this connection prepares nothing.
    maxPreparedStatements: 1,
  });
  const query = (text: string, values: unknown[] = []) =>
    new Promise<unknown>((resolve, reject) =>
      reader.query(text, values, (e, r) => (e ? reject(e) : resolve(r))),
    );
  let rows = 0;
  let bytes = 0;
  try {
    // Every table is looked up before the first copy: a misspelt or missing one fails before any work.
    const found = new Map<string, TableColumns>();
    for (const table of options.tables)
      found.set(table, await tableColumns(source.db, options.schema, table));
    await query("SET SESSION time_zone = '+00:00'");
    await query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    const position = await snapshotPosition(query, source);
    for (const table of options.tables) {
      context.signal?.throwIfAborted();
      const from = new TableRef(options.schema, table);
      const columns = found.get(table)!;
      const created = (await query(`SHOW CREATE TABLE ${from.qualified}`)) as Buffer[][];
      const ddl = created[0]?.[1]?.toString('utf8') ?? '';
      const target = zone.tableFor(table, options.schema, options.into?.[table]);
      await zone.createFromDdl(target, ddl, `SHOW CREATE TABLE ${from} on ${source.description}`);
      landed.push({ sourceSchema: options.schema, sourceTable: table, table: target });
      const sink = await openTableLoader(context.target, {
        table: target,
        columns: columns.writable.map((name) => ({ name })),
        dataCharset: 'utf8mb4',
        timeZone: '+00:00',
        duplicates: 'error',
        method,
      });
      loads.track(sink);
      const select = selectStatement(from, columns.writable, options.where?.[table]);
      const copied = await copyRows(reader, select.sql, select.parameters, sink, (batch) =>
        progress.report(table, bytes + batch.bytes, rows + batch.rows),
      );
      rows += copied.rows;
      bytes += copied.bytes;
      await loads.finish(sink, () => undefined);
    }
    await query('COMMIT');
    await loads.settle();
    progress.report(null, bytes, rows, true);
    const tables = await zone.finish(landed);
    return Object.freeze({
      tables: Object.freeze(tables),
      provenance: Object.freeze({
        source: 'server',
        server: source.description,
        serverVersion: source.server.versionString,
        serverUuid: source.server.serverUuid,
        schema: options.schema,
        ...position,
        filtered: Object.keys(options.where ?? {}),
      }),
      ddlChanges: Object.freeze([...zone.ddlChanges]),
    });
  } catch (error) {
    await loads.abort();
    await zone.dropAll();
    throw asSourceError(error, `server ${source.description}`, { server: source.description });
  } finally {
    // mysql2's destroy() only half-closes: a reader paused mid-result would keep the server writing to a
    // socket nobody reads (holding the source table's metadata lock) until net_write_timeout. Destroying
    // the socket resets the connection at once.
    reader.destroy();
    (reader as unknown as { stream?: { destroy(): void } }).stream?.destroy();
  }
}

/**
 * The SELECT for one table, as one flat string. Kysely builds SQL with `+=`, which V8 keeps as a rope of
 * one string object per piece; the rope stays alive in the compiler (`where.compile(db)` uses `db`'s one
 * compiler, which keeps its last SQL) and in mysql2's query until the copy ends. With an `IN` list of
 * 20,000 literals that is 60,000 objects (2 MB) surviving the scavenges of the copy, and what survives
 * scavenges is what makes V8 double its young generation (32 MB more RSS). So the where gets a compiler
 * of its own, and the statement is copied flat before the rope is dropped.
 */
function selectStatement(
  from: TableRef,
  columns: readonly string[],
  where: RawBuilder<unknown> | undefined,
): { readonly sql: string; readonly parameters: readonly unknown[] } {
  // rowback's Kysely instances have no plugins, so this compiles exactly what `where.compile(db)` would.
  const compiled = where
    ? new MysqlQueryCompiler().compileQuery(where.toOperationNode(), createQueryId())
    : null;
  const text =
    `SELECT ${columns.map(quoteId).join(', ')} FROM ${from.qualified}` +
    (compiled ? ` WHERE ${compiled.sql}` : '');
  return { sql: Buffer.from(text, 'utf8').toString('utf8'), parameters: compiled?.parameters ?? [] };
}

/** The GTID position of the snapshot, so the report says exactly which state was copied. */
async function snapshotPosition(
  query: (text: string) => Promise<unknown>,
  source: Target,
): Promise<Record<string, string | null>> {
  const variable = source.server.flavour === 'mariadb' ? '@@gtid_current_pos' : '@@GLOBAL.gtid_executed';
  try {
    const rows = (await query(`SELECT ${variable}`)) as (Buffer | null)[][];
    return { gtid: rows[0]?.[0]?.toString('utf8') ?? null };
  } catch {
    return { gtid: null };
  }
}
