import { sql } from 'kysely';
import { TableRef } from '../db/index.ts';
import { SourceError } from '../errors/index.ts';
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

  private constructor(context: ExtractContext, server: WorkspaceServer) {
    this.#context = context;
    this.server = server;
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
        requirePrimaryKey: info.requirePrimaryKey,
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
   * the load, in `finish()`.
   */
  async createFromDdl(table: TableRef, statement: string, where: string): Promise<WorkspaceDdl> {
    const ddl = rewriteCreateTable(statement, table.schema, table.name, this.server, { deferIndexes: true });
    await this.run(table, ddl.sql, where);
    this.#changes.push(...ddl.changes);
    if (ddl.deferredIndexes.length)
      this.#deferred.set(table.toString(), { table, indexes: ddl.deferredIndexes, where });
    return ddl;
  }

  readonly #deferred = new Map<string, { table: TableRef; indexes: readonly string[]; where: string }>();

  async #addDeferredIndexes(): Promise<void> {
    for (const { table, indexes, where } of this.#deferred.values()) {
      try {
        await sql
          .raw(`ALTER TABLE ${table.qualified} ${indexes.map((i) => `ADD ${i}`).join(', ')}`)
          .execute(this.#context.target.db);
      } catch (cause) {
        throw new SourceError(
          `the workspace server rejected the indexes of ${table.name} (from ${where}): ${(cause as Error).message}`,
          { cause, facts: { table: table.toString(), from: where, indexes } },
        );
      }
    }
    this.#deferred.clear();
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
   * Counts and checksums landed tables (`CHECKSUM TABLE … EXTENDED`). Every COUNT and CHECKSUM runs at
   * once on the pool's connections: each is a full scan on its own server thread, so the extract waits
   * for the largest scan instead of the sum of all of them (bench/, 100,000 users, wp_users +
   * wp_usermeta: 0.60 s → 0.22 s).
   */
  async finish(tables: readonly LandingTable[]): Promise<ExtractedTable[]> {
    await this.#addDeferredIndexes();
    const db = this.#context.target.db;
    return Promise.all(
      tables.map(async (t) => {
        const [count, checksum] = await Promise.all([
          sql<{ n: string | number }>`SELECT COUNT(*) AS n FROM ${t.table}`.execute(db),
          sql
            .raw<{ Checksum: string | number | null }>(`CHECKSUM TABLE ${t.table.qualified} EXTENDED`)
            .execute(db),
        ]);
        return Object.freeze({
          sourceSchema: t.sourceSchema,
          sourceTable: t.sourceTable,
          table: t.table,
          rows: Number(count.rows[0]?.n ?? 0),
          checksum: String(checksum.rows[0]?.Checksum ?? ''),
        });
      }),
    );
  }

  /** Drops every table this extract created: a partial extract must never look complete. */
  async dropAll(): Promise<void> {
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
