import { SourceError } from '../errors/index.ts';
import type { DumpColumn } from './create-table.ts';
import { classifyStatement } from './dump-statement.ts';
import type { DumpHandler, InsertHeader, RowPlan } from './mysqldump-tokenizer.ts';
import { type RowFilters, tsvKeySet } from './row-filter.ts';
import type { LoadColumn } from './table-loader.ts';
import { dumpColumns, type WorkspaceServer } from './workspace-ddl.ts';

/** Work for the async side of an extract, in dump order. */
export type DumpEvent =
  | {
      readonly kind: 'create';
      readonly key: string;
      readonly schema: string | null;
      readonly table: string;
      readonly text: string;
      readonly offset: number;
    }
  | {
      readonly kind: 'insert';
      readonly key: string;
      readonly columns: readonly LoadColumn[];
      readonly duplicates: 'error' | 'replace' | 'ignore';
    }
  | { readonly kind: 'rows'; readonly tsv: Buffer; readonly count: number }
  /** A table that is not selected begins: the rows before it are over (a load waiting for more can end). */
  | { readonly kind: 'other-table' };

export interface DumpSelectionOptions {
  readonly tables: readonly string[];
  readonly database?: string;
  readonly rows?: RowFilters;
}

/**
 * The synchronous half of reading a mysqldump: follows `USE`, `SET NAMES` and the header, decides for
 * each CREATE TABLE and INSERT whether it is wanted, and queues work for the async half. Whatever
 * does not look like mysqldump output is refused here, so a corrupt file fails instead of losing rows.
 */
export class DumpSelection implements DumpHandler {
  readonly #options: DumpSelectionOptions;
  readonly #server: WorkspaceServer;
  readonly events: DumpEvent[] = [];
  readonly databases = new Set<string>();
  /** `schema\0table` of every CREATE TABLE in the dump. */
  readonly created = new Map<string, { schema: string | null; table: string }>();
  /** `schema\0view` of every view the dump defines: asked for as a table, it is named a view. */
  readonly views = new Map<string, { schema: string | null; view: string }>();
  readonly #ddl = new Map<string, readonly DumpColumn[]>();
  readonly #takenFrom = new Map<string, string | null>();
  #current: string | null = null;
  headerDatabase: string | null = null;
  headerLine: string | null = null;
  serverVersion: string | null = null;
  completedAt: string | null = null;
  charset = 'utf8mb4';
  timeZone: string | null = null;
  /** The table whose rows are being read, for progress. */
  currentTable: string | null = null;

  constructor(options: DumpSelectionOptions, server: WorkspaceServer) {
    this.#options = options;
    this.#server = server;
  }

  static key(schema: string | null, table: string): string {
    return `${schema ?? ''}\0${table}`;
  }

  #schemaOf(explicit: string | null): string | null {
    return explicit ?? this.#current ?? this.headerDatabase;
  }

  wanted(schema: string | null, table: string): boolean {
    if (!this.#options.tables.includes(table)) return false;
    if (this.#definitionsOnly) return true;
    return this.#options.database === undefined || schema === this.#options.database;
  }

  comment(line: string): void {
    if (this.headerLine === null && /^-- (MySQL|MariaDB) dump /.test(line)) this.headerLine = line;
    const host = /^-- Host: .*?Database: (.*)$/.exec(line);
    if (host) this.headerDatabase = host[1]!.trim() || null;
    const version = /^-- Server version\s+(.*)$/.exec(line);
    if (version) this.serverVersion = version[1]!.trim();
    const done = /^-- Dump completed on (.*)$/.exec(line);
    if (done) this.completedAt = done[1]!.trim();
    // --master-data=2 / --dump-slave=2 write the position as a comment.
    this.#notePosition(line);
  }

  /**
   * Reads table definitions from a separate schema-only file (for a `--no-create-info` dump): their
   * tables count as created in no particular database.
   */
  beginDefinitions(): void {
    this.#definitionsOnly = true;
  }

  endDefinitions(): void {
    this.#definitionsOnly = false;
    this.#current = null;
    this.headerDatabase = null;
    this.headerLine = null;
    this.serverVersion = null;
    this.completedAt = null;
  }

  #definitionsOnly = false;

  statement(text: Buffer, complete: boolean, offset: number): void {
    const statement = classifyStatement(text);
    switch (statement.kind) {
      case 'unknown':
        throw new SourceError(
          `at byte ${offset}: expected a statement mysqldump writes, found ${JSON.stringify(statement.word)}`,
          { facts: { offset, expected: 'a mysqldump statement', found: statement.word, kind: 'syntax' } },
        );
      case 'use':
        this.#current = statement.schema;
        this.databases.add(statement.schema);
        return;
      case 'create-database':
        this.databases.add(statement.schema);
        return;
      case 'create-view': {
        const schema = this.#schemaOf(statement.schema);
        this.views.set(DumpSelection.key(schema, statement.view), { schema, view: statement.view });
        return;
      }
      case 'set-names':
        this.charset = statement.charset;
        return;
      case 'time-zone':
        this.timeZone = statement.zone;
        return;
      case 'insert-other':
        if (this.wanted(this.#schemaOf(null), statement.table)) {
          throw new SourceError(
            `at byte ${offset}: the rows of ${statement.table} are not in INSERT … VALUES form (or not valid SQL)`,
            {
              facts: {
                offset,
                table: statement.table,
                expected: 'INSERT … VALUES (…)',
                found: text.toString('utf8', 0, 80),
              },
            },
          );
        }
        return;
      case 'create-table': {
        const schema = this.#definitionsOnly ? null : this.#schemaOf(statement.schema);
        const key = DumpSelection.key(schema, statement.table);
        this.created.set(key, { schema, table: statement.table });
        if (!this.wanted(schema, statement.table)) {
          if (this.events.at(-1)?.kind !== 'other-table') this.events.push({ kind: 'other-table' });
          return;
        }
        if (!complete) {
          throw new SourceError(`at byte ${offset}: CREATE TABLE ${statement.table} is over 1 MiB`, {
            facts: { offset },
          });
        }
        this.#checkAmbiguous(schema, statement.table, offset);
        const parsed = dumpColumns(statement.text, this.#server);
        if (!parsed) {
          throw new SourceError(`at byte ${offset}: cannot read CREATE TABLE ${statement.table}`, {
            facts: { offset, found: statement.text.slice(0, 120) },
          });
        }
        this.#ddl.set(key, parsed.columns);
        this.events.push({
          kind: 'create',
          key,
          schema,
          table: statement.table,
          text: statement.text,
          offset,
        });
        return;
      }
      default:
        this.#notePosition(text.toString('latin1', 0, Math.min(text.length, 65536)));
    }
  }

  /** Binlog file/position and GTID set of the dump, from CHANGE MASTER / GTID_PURGED / gtid_slave_pos. */
  readonly position: Record<string, string | number> = {};
  #notePosition(text: string): void {
    const file = /MASTER_LOG_FILE\s*=\s*'([^']*)'/i.exec(text);
    if (file) this.position.binlogFile = file[1]!;
    const pos = /MASTER_LOG_POS\s*=\s*(\d+)/i.exec(text);
    if (pos) this.position.binlogPosition = Number(pos[1]);
    const purged = /GTID_PURGED\s*=\s*(?:\/\*!\d+\s*'\+'\s*\*\/\s*)?'([^']*)'/i.exec(text);
    if (purged) this.position.gtidPurged = purged[1]!;
    const slavePos = /gtid_slave_pos\s*=\s*'([^']*)'/i.exec(text);
    if (slavePos) this.position.gtidSlavePos = slavePos[1]!;
  }

  #checkAmbiguous(schema: string | null, table: string, offset: number): void {
    if (this.#takenFrom.has(table) && this.#takenFrom.get(table) !== schema) {
      throw new SourceError(
        `at byte ${offset}: table ${table} is in more than one database of this dump (${this.#takenFrom.get(table)}, ${schema})`,
        { hint: 'pass { database } to choose one', facts: { offset, table } },
      );
    }
    this.#takenFrom.set(table, schema);
  }

  insert(header: InsertHeader, offset: number): RowPlan | null {
    if (this.#definitionsOnly) return null;
    const schema = this.#schemaOf(header.schema);
    const exact = DumpSelection.key(schema, header.table);
    // Table definitions read from a separate schema file (the `ddl` option) have no database.
    const fallback = DumpSelection.key(null, header.table);
    const key = this.created.has(exact) || !this.created.has(fallback) ? exact : fallback;
    if (!this.wanted(schema, header.table)) {
      if (this.created.size > 0 && !this.created.has(key)) {
        throw new SourceError(
          `at byte ${offset}: rows for table ${header.table}, which this dump never created (a corrupt table name?)`,
          { facts: { offset, table: header.table, kind: 'syntax' } },
        );
      }
      return null;
    }
    const ddl = this.#ddl.get(key);
    if (!ddl) {
      throw new SourceError(`at byte ${offset}: rows for ${header.table} but no CREATE TABLE before them`, {
        hint: 'a --no-create-info dump has no table definitions; dump with them, or extract from a dump that has them',
        facts: { offset, table: header.table },
      });
    }
    this.currentTable = header.table;
    const names = header.columns ?? ddl.map((c) => c.name);
    const generated = new Set(ddl.filter((c) => c.generated).map((c) => c.name.toLowerCase()));
    const columns = names.map((name) => ({ name: generated.has(name.toLowerCase()) ? null : name }));
    const filter = this.#options.rows?.[header.table];
    let keyField: number | null = null;
    if (filter) {
      keyField = names.findIndex((n) => n.toLowerCase() === filter.column.toLowerCase());
      if (keyField < 0) {
        throw new SourceError(`row filter column ${filter.column} is not a column of ${header.table}`, {
          facts: { table: header.table, column: filter.column, columns: names },
        });
      }
    }
    this.events.push({
      kind: 'insert',
      key,
      columns,
      duplicates: header.verb === 'REPLACE' ? 'replace' : header.verb.endsWith('IGNORE') ? 'ignore' : 'error',
    });
    return {
      fieldCount: names.length,
      keyField,
      keys: filter ? this.#keySet(header.table) : null,
    };
  }

  readonly #keySets = new Map<string, ReadonlySet<string>>();
  #keySet(table: string): ReadonlySet<string> {
    let set = this.#keySets.get(table);
    if (!set) {
      set = tsvKeySet(this.#options.rows![table]!.keys);
      this.#keySets.set(table, set);
    }
    return set;
  }

  rows(tsv: Buffer, count: number): void {
    this.events.push({ kind: 'rows', tsv, count });
  }

  insertEnd(): void {}
}
