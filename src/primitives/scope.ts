import { randomBytes } from 'node:crypto';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { type DialectInfo, insertValuesUpsert, quoteId, type TableRef } from '../db/index.ts';
import { UsageError } from '../errors/index.ts';
import { type CountExpectation, checkGate } from './expectation.ts';
import { columnList } from './sql-fragments.ts';
import { type ColumnInfo, readTableMetadata, requireColumn } from './table-metadata.ts';
import type { Scope, Workspace } from './types.ts';
import { workspaceTableName } from './workspace-names.ts';

/** A key value as it travels to the server: big integers as strings or bigint, binary as Buffer. */
export type ScopeKeyValue = string | number | bigint | Buffer;

/** Explicit keys: one value per row for a single-column key, or a tuple / object per row for a composite one. */
export type ScopeKeys = readonly (
  | ScopeKeyValue
  | readonly ScopeKeyValue[]
  | Readonly<Record<string, ScopeKeyValue>>
)[];

export interface MaterializeScopeOptions {
  /** Key column name(s); the query must return columns of these names. They become the primary key. */
  readonly key: string | readonly string[];
  /** Gate on the number of distinct keys. */
  readonly expect?: CountExpectation;
  /** Hint appended to a failed gate's message ("check the importBatch param"). */
  readonly hint?: string;
  /** Take the key columns' types from this table's columns of the same names (recommended). */
  readonly keyFrom?: TableRef;
  /** Or give them: `{ ID: 'bigint unsigned' }`. Overrides `keyFrom` per column. */
  readonly keyTypes?: Readonly<Record<string, string>>;
  /**
   * Where the query runs when it is not the workspace's server (standalone workspace): the live
   * database. The keys are then copied to the workspace in batches.
   */
  readonly queryDb?: Kysely<any>;
}

const INSERT_BATCH = 1000;

/**
 * Materializes a key set as a workspace table whose primary key is the key columns, and checks the
 * gate on its size. The query may read live tables (unqualified names resolve to the live schema) and
 * workspace tables (`${workspace.table('…')}`); duplicate keys collapse, rows with a NULL key are skipped.
 * An existing scope table of the same name is replaced: scopes are recomputed on every run.
 *
 * Key column types come from `keyTypes`, else `keyFrom`, else (query only) from a zero-row, session-private
 * probe `CREATE TEMPORARY TABLE … SELECT … LIMIT 0` (with a primary key), the one way to learn the
 * types of an arbitrary query's columns; integer explicit keys default to BIGINT.
 *
 * @example
 * const users = await materializeScope(workspace, 'collided-users',
 *   sql`SELECT ID FROM wp_users WHERE user_registered > ${since}`,
 *   { key: 'ID', keyFrom: new TableRef(live, 'wp_users'), expect: { min: 1, max: 5000 } });
 */
export async function materializeScope(
  workspace: Workspace,
  name: string,
  source: RawBuilder<unknown> | ScopeKeys,
  options: MaterializeScopeOptions,
): Promise<Scope> {
  const key = [options.key].flat();
  if (key.length === 0) throw new UsageError(`scope '${name}' needs at least one key column`);
  const db = workspace.target.db;
  const table = workspace.table(workspaceTableName('scope', name));
  const isQuery = !Array.isArray(source);
  const queryDb = options.queryDb ?? db;
  const query = isQuery ? (source as RawBuilder<unknown>) : null;
  const types = await keyColumnTypes(db, workspace, key, options, query, queryDb, source);

  await sql.raw(`DROP TABLE IF EXISTS ${table.qualified}`).execute(db);
  const definitions = types.map((t) => `${quoteId(t.name)} ${t.definition} NOT NULL`);
  await sql
    .raw(
      `CREATE TABLE ${table.qualified} (${definitions.join(', ')}, PRIMARY KEY (${columnList(key)})) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    )
    .execute(db);

  if (isQuery && queryDb === db) {
    const notNull = key.map((k) => `${quoteId('q')}.${quoteId(k)} IS NOT NULL`).join(' AND ');
    await sql`INSERT INTO ${table} (${sql.raw(columnList(key))})
      SELECT DISTINCT ${sql.raw(columnList(key, 'q'))} FROM (${source as RawBuilder<unknown>}) AS q
      WHERE ${sql.raw(notNull)}`.execute(db);
  } else {
    const rows = isQuery
      ? (await (source as RawBuilder<Record<string, ScopeKeyValue>>).execute(queryDb)).rows
      : (source as ScopeKeys);
    const tuples = rows
      .map((row) => keyTuple(row, key))
      .filter((t) => t.every((v) => v !== null && v !== undefined));
    for (let i = 0; i < tuples.length; i += INSERT_BATCH) {
      const batch = tuples.slice(i, i + INSERT_BATCH);
      const text = scopeKeysInsertSql(workspace.target.server, table, key, batch.length);
      await executeWithParams(db, text, batch.flat());
    }
  }
  const count = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM ${table}`.execute(db);
  const rows = Number(count.rows[0]?.n ?? 0);
  checkGate(name, options.expect, rows, options.hint);
  return Object.freeze({ name, table, key: Object.freeze([...key]), rows });
}

/**
 * The batch insert of explicit scope keys: duplicates in the list collapse through ON DUPLICATE KEY
 * (a row alias on MySQL ≥ 8.0.19, `VALUES()` on MariaDB and older MySQL), never through INSERT IGNORE,
 * which would also swallow conversion errors.
 *
 * @example scopeKeysInsertSql({ flavour: 'mariadb', version: '10.11.9' }, table, ['ID'], 2)
 * // INSERT INTO `rb_x`.`scope__u` (`ID`) VALUES (?), (?) ON DUPLICATE KEY UPDATE `ID` = VALUES(`ID`)
 */
export function scopeKeysInsertSql(
  server: DialectInfo,
  table: TableRef,
  key: readonly string[],
  rowCount: number,
): string {
  return insertValuesUpsert(server, table.qualified, key, [key[0]!], rowCount);
}

/**
 * Runs SQL text with `?` placeholders and positional values (kysely's `sql` template needs literals).
 * A `?` inside a backtick-quoted identifier is part of the name, not a placeholder.
 */
export async function executeWithParams(
  db: Kysely<any>,
  text: string,
  values: readonly unknown[],
): Promise<void> {
  const pieces: RawBuilder<unknown>[] = [];
  let start = 0;
  let next = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '`') quoted = !quoted;
    else if (ch === '?' && !quoted) {
      pieces.push(sql.raw(text.slice(start, i)), sql`${values[next++]}`);
      start = i + 1;
    }
  }
  pieces.push(sql.raw(text.slice(start)));
  if (next !== values.length) throw new UsageError(`${values.length} values for ${next} placeholders`);
  await sql.join(pieces, sql.raw('')).execute(db);
}

function keyTuple(row: ScopeKeys[number], key: readonly string[]): (ScopeKeyValue | null)[] {
  if (Array.isArray(row)) return key.map((_, i) => (row as readonly ScopeKeyValue[])[i] ?? null);
  if (typeof row === 'object' && row !== null && !Buffer.isBuffer(row)) {
    return key.map((k) => (row as Readonly<Record<string, ScopeKeyValue>>)[k] ?? null);
  }
  if (key.length !== 1)
    throw new UsageError(`a composite key (${key.join(', ')}) needs a tuple or object per row`);
  return [row as ScopeKeyValue];
}

interface KeyType {
  readonly name: string;
  readonly definition: string;
}

const SAFE_TYPE = /^[A-Za-z0-9_ (),']+$/;

async function keyColumnTypes(
  db: Kysely<any>,
  workspace: Workspace,
  key: readonly string[],
  options: MaterializeScopeOptions,
  query: RawBuilder<unknown> | null,
  queryDb: Kysely<any>,
  source: unknown,
): Promise<KeyType[]> {
  const fromTable = options.keyFrom ? await readTableMetadata(db, options.keyFrom) : null;
  const probed =
    query && !options.keyFrom && key.some((k) => options.keyTypes?.[k] === undefined)
      ? await probeQueryTypes(queryDb, workspace, key, query)
      : null;
  return key.map((k) => {
    const given = options.keyTypes?.[k];
    if (given !== undefined) {
      if (!SAFE_TYPE.test(given))
        throw new UsageError(`key type ${JSON.stringify(given)} for ${k} is not a column type`);
      return { name: k, definition: given };
    }
    if (fromTable) return { name: k, definition: definitionOf(requireColumn(fromTable, k)) };
    const fromProbe = probed?.get(k);
    if (fromProbe) return { name: k, definition: fromProbe };
    return { name: k, definition: inferIntegerType(k, source as ScopeKeys, key) };
  });
}

function definitionOf(column: ColumnInfo): string {
  const charset =
    column.charset && column.collation ? ` CHARACTER SET ${column.charset} COLLATE ${column.collation}` : '';
  return `${column.columnType}${charset}`;
}

function inferIntegerType(k: string, rows: ScopeKeys, key: readonly string[]): string {
  const index = key.indexOf(k);
  const values = rows.map((row) => keyTuple(row, key)[index]);
  const integers = values.every(
    (v) =>
      typeof v === 'bigint' ||
      (typeof v === 'number' && Number.isInteger(v)) ||
      (typeof v === 'string' && /^-?\d+$/.test(v)),
  );
  if (!integers) {
    throw new UsageError(`cannot tell the type of key column ${k} from its values`, {
      hint: "pass keyFrom (a table with that column) or keyTypes: { [column]: 'varchar(255)' } so the scope compares with the same collation as the live column",
    });
  }
  return values.some((v) => String(v).startsWith('-')) ? 'bigint' : 'bigint unsigned';
}

/**
 * Learns the key columns' types from the query itself: a session-private temporary table with zero
 * rows (`LIMIT 0`) and a primary key (for `sql_require_primary_key`), read with SHOW FULL COLUMNS and
 * dropped at once. Temporary tables are never replicated in row-based binlogs. The key column needs a
 * default: MariaDB in strict mode refuses the CREATE … SELECT without one, even for zero rows (1364).
 */
async function probeQueryTypes(
  db: Kysely<any>,
  workspace: Workspace,
  key: readonly string[],
  query: RawBuilder<unknown>,
): Promise<Map<string, string>> {
  const probe = workspace.table(`rb_probe_${randomBytes(6).toString('hex')}`);
  return db.connection().execute(async (pinned) => {
    await sql`CREATE TEMPORARY TABLE ${probe} (${sql.id('rb_probe_pk')} INT NOT NULL DEFAULT 0 PRIMARY KEY)
      SELECT ${sql.raw(columnList(key, 'q'))} FROM (${query}) AS q LIMIT 0`.execute(pinned);
    try {
      const columns = await sql<{ Field: string; Type: string; Collation: string | null }>`
        SHOW FULL COLUMNS FROM ${probe}`.execute(pinned);
      return new Map(
        columns.rows
          .filter((c) => key.includes(c.Field))
          .map((c) => [
            c.Field,
            c.Collation
              ? `${c.Type} CHARACTER SET ${c.Collation.split('_')[0]} COLLATE ${c.Collation}`
              : c.Type,
          ]),
      );
    } finally {
      await sql`DROP TEMPORARY TABLE IF EXISTS ${probe}`.execute(pinned);
    }
  });
}
