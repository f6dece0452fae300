import { sql } from 'kysely';
import { requiresPrimaryKeys, TableRef } from '../db/index.ts';
import { SourceError } from '../errors/index.ts';
import { BackgroundStatements } from './background-statements.ts';
import type { ExtractContext, ExtractedTable } from './source.ts';
import { rewriteCreateTable, type WorkspaceDdl, type WorkspaceServer } from './workspace-ddl.ts';

/** A table a source is landing, before it is counted and checksummed. */
export interface LandingTable {
  readonly sourceSchema: string | null;
  readonly sourceTable: string;
  readonly table: TableRef;
}

/**
 * The workspace side of an extract: creates the landed tables (and only those, only in the workspace),
 * remembers them so a failed extract drops every one of them, and counts and checksums them at the end.
 */
export class LandingZone {
  readonly #context: ExtractContext;
  readonly server: WorkspaceServer;
  readonly #created: TableRef[] = [];
  readonly #changes: string[] = [];
  readonly #background: BackgroundStatements;
  readonly #settling = new Map<string, Promise<ExtractedTable>>();
  #failure: unknown = null;

  private constructor(context: ExtractContext, server: WorkspaceServer) {
    this.#context = context;
    this.server = server;
    this.#background = new BackgroundStatements(context.target);
  }

  static async open(context: ExtractContext): Promise<LandingZone> {
    const result = await sql<{
      name: string;
    }>`SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS`.execute(context.target.db);
    const info = context.target.server;
    return new LandingZone(
      context,
      Object.freeze({
        flavour: info.flavour,
        version: info.version,
        requirePrimaryKey: requiresPrimaryKeys(info, context.target.topology),
        collations: new Set(result.rows.map((r) => r.name.toLowerCase())),
      }),
    );
  }

  get ddlChanges(): readonly string[] {
    return this.#changes;
  }

  /** The workspace table for a source table, named by the context (or an explicit `into` name). */
  tableFor(sourceTable: string, sourceSchema: string | null, into?: string): TableRef {
    return new TableRef(this.#context.workspace, into ?? this.#context.tableName(sourceTable, sourceSchema));
  }

  /**
   * Rewrites a backup's CREATE TABLE for the workspace and runs it. Secondary indexes are added after
   * the load (`landed()` / `finish()`); `dropAutoIncrement` for a table that several streams will load.
   */
  async createFromDdl(
    table: TableRef,
    statement: string,
    where: string,
    options: { readonly dropAutoIncrement?: boolean } = {},
  ): Promise<WorkspaceDdl> {
    const ddl = rewriteCreateTable(statement, table.schema, table.name, this.server, {
      deferIndexes: true,
      dropAutoIncrement: options.dropAutoIncrement === true,
    });
    await this.run(table, ddl.sql, where);
    this.#changes.push(...ddl.changes);
    if (ddl.deferredIndexes.length)
      this.#deferred.set(table.toString(), { table, indexes: ddl.deferredIndexes, where });
    return ddl;
  }

  readonly #deferred = new Map<string, { table: TableRef; indexes: readonly string[]; where: string }>();

  /**
   * Deferred indexes, COUNT and CHECKSUM, each on a connection of its own, for a table whose rows are all
   * in. The checks run during the index build (an online ALTER lets them read; the rows are the same):
   * `wp_usermeta` at 200k, ALTER then CHECKSUM 3.9-4.1 s, both at once 3.3-3.4 s.
   */
  async #settle(t: LandingTable): Promise<ExtractedTable> {
    const deferred = this.#deferred.get(t.table.toString());
    this.#deferred.delete(t.table.toString());
    const indexes = deferred ? this.#addIndexes(deferred) : Promise.resolve();
    const [, count, checksum] = await Promise.all([
      indexes,
      this.#background.query<{ n: string | number }>(`SELECT COUNT(*) AS n FROM ${t.table.qualified}`),
      this.#background.query<{ Checksum: string | number | null }>(
        `CHECKSUM TABLE ${t.table.qualified} EXTENDED`,
      ),
    ]);
    return Object.freeze({
      sourceSchema: t.sourceSchema,
      sourceTable: t.sourceTable,
      table: t.table,
      rows: Number(count[0]?.n ?? 0),
      checksum: String(checksum[0]?.Checksum ?? ''),
    });
  }

  /**
   * Says that every row of `t` is in: its deferred indexes and checks start now, beside the loads of the
   * tables after it, instead of in `finish()` (bench/, 200,000 users: the `wp_usermeta` index build runs
   * while `wp_users` loads).
   */
  landed(t: LandingTable): void {
    const key = t.table.toString();
    if (this.#settling.has(key)) return;
    const settled = this.#settle(t);
    settled.catch((error: unknown) => {
      this.#failure ??= error;
    });
    this.#settling.set(key, settled);
  }

  /**
   * More rows for a table `landed()` already: waits until its checks are done (their result is stale)
   * and forgets them, so `finish()` counts again.
   */
  async reopen(t: LandingTable): Promise<void> {
    const key = t.table.toString();
    const settled = this.#settling.get(key);
    if (!settled) return;
    this.#settling.delete(key);
    await settled;
  }

  /** A background index build or check that failed: the extract fails now rather than at the end. */
  throwIfFailed(): void {
    if (this.#failure) throw this.#failure;
  }

  async #addIndexes(deferred: { table: TableRef; indexes: readonly string[]; where: string }): Promise<void> {
    const { table, indexes, where } = deferred;
    try {
      await this.#background.query(
        `ALTER TABLE ${table.qualified} ${indexes.map((i) => `ADD ${i}`).join(', ')}`,
      );
    } catch (cause) {
      throw new SourceError(
        `the workspace server rejected the indexes of ${table.name} (from ${where}): ${(cause as Error).message}`,
        { cause, facts: { table: table.toString(), from: where, indexes } },
      );
    }
  }

  /** Runs one CREATE statement for `table`; a server refusal becomes SourceError naming where the DDL came from. */
  async run(table: TableRef, statement: string, where: string): Promise<void> {
    try {
      await sql.raw(statement).execute(this.#context.target.db);
    } catch (cause) {
      throw new SourceError(
        `the workspace server rejected the DDL for ${table.name} (from ${where}): ${(cause as Error).message}`,
        { cause, facts: { table: table.toString(), from: where, ddl: statement } },
      );
    }
    this.#created.push(table);
  }

  noteChange(change: string): void {
    this.#changes.push(change);
  }

  /**
   * Counts and checksums landed tables (`CHECKSUM TABLE … EXTENDED`), after adding their deferred
   * indexes: what `landed()` started is awaited, the rest starts now. Every statement runs on a
   * connection of its own, so the extract waits for the largest table instead of the sum of all
   * (bench/, 100,000 users, wp_users + wp_usermeta: 0.60 s → 0.22 s).
   */
  async finish(tables: readonly LandingTable[]): Promise<ExtractedTable[]> {
    for (const t of tables) this.landed(t);
    return Promise.all(tables.map((t) => this.#settling.get(t.table.toString())!));
  }

  /**
   * Drops every table this extract created: a partial extract must never look complete. Index builds
   * and checks still running are killed first (DROP would wait for them).
   */
  async dropAll(): Promise<void> {
    await this.#background.abort();
    for (const table of this.#created.splice(0)) {
      await sql
        .raw(`DROP TABLE IF EXISTS ${table.qualified}`)
        .execute(this.#context.target.db)
        .catch(() => undefined);
    }
  }
}

/** Wraps anything thrown during an extract as SourceError (with where it happened). */
export function asSourceError(
  error: unknown,
  where: string,
  facts: Readonly<Record<string, unknown>> = {},
): SourceError {
  if (error instanceof SourceError) {
    if (error.message.startsWith(where)) return error;
    return new SourceError(`${where}: ${error.message}`, {
      cause: error.cause,
      facts: { ...error.facts, ...facts },
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new SourceError(`${where}: ${message}`, { cause: error, facts });
}
