import { type Kysely, sql } from 'kysely';
import { GENERATED_COLUMN_CONDITION, isInvisibleExtra, TableRef } from '../db/index.ts';
import { UsageError } from '../errors/index.ts';

/** One column as `information_schema.COLUMNS` describes it. */
export interface ColumnInfo {
  readonly name: string;
  /** Full type, e.g. `bigint(20) unsigned`, `varchar(255)`, `enum('a','b')`. */
  readonly columnType: string;
  /** Base type, lower case: `bigint`, `varchar`, `json`, `longblob`, … */
  readonly dataType: string;
  readonly nullable: boolean;
  readonly charset: string | null;
  readonly collation: string | null;
  /** Generated columns are computed by the server and can never be written. */
  readonly generated: boolean;
  /** Hidden from `SELECT *`; rowback always lists columns explicitly so they are never lost. */
  readonly invisible: boolean;
  readonly autoIncrement: boolean;
}

/** A table's columns (in table order) and its primary key columns (in key order). */
export interface TableMetadata {
  readonly table: TableRef;
  readonly columns: readonly ColumnInfo[];
  readonly primaryKey: readonly string[];
  /** A view, not a base table: it can be read but never written, copied with LIKE, or restored. */
  readonly view: boolean;
}

interface ColumnRow {
  readonly name: string;
  readonly columnType: string;
  readonly dataType: string;
  readonly nullable: string;
  readonly charset: string | null;
  readonly collation: string | null;
  readonly extra: string;
  readonly generated: number | string;
  readonly tableType: string | null;
}

/**
 * Reads a table's columns and primary key. Throws `UsageError` when the table does not exist, so a
 * typo in a module fails before anything is written.
 */
export async function readTableMetadata(db: Kysely<any>, table: TableRef): Promise<TableMetadata> {
  const columns = await sql<ColumnRow>`
    SELECT c.COLUMN_NAME AS name, c.COLUMN_TYPE AS columnType, LOWER(c.DATA_TYPE) AS dataType,
           c.IS_NULLABLE AS nullable, c.CHARACTER_SET_NAME AS charset, c.COLLATION_NAME AS collation,
           c.EXTRA AS extra, ${sql.raw(GENERATED_COLUMN_CONDITION)} AS generated, tb.TABLE_TYPE AS tableType
    FROM information_schema.COLUMNS c
    LEFT JOIN information_schema.TABLES tb ON tb.TABLE_SCHEMA = c.TABLE_SCHEMA AND tb.TABLE_NAME = c.TABLE_NAME
    WHERE c.TABLE_SCHEMA = ${table.schema} AND c.TABLE_NAME = ${table.name}
    ORDER BY c.ORDINAL_POSITION`.execute(db);
  if (columns.rows.length === 0) {
    throw new UsageError(`table ${table} does not exist or has no columns visible to this user`, {
      hint: 'check the table name and the schema, and that the backup was extracted into the workspace',
      facts: { table: table.toString() },
    });
  }
  const key = await sql<{ name: string }>`
    SELECT COLUMN_NAME AS name FROM information_schema.STATISTICS
    WHERE TABLE_SCHEMA = ${table.schema} AND TABLE_NAME = ${table.name} AND INDEX_NAME = 'PRIMARY'
    ORDER BY SEQ_IN_INDEX`.execute(db);
  return Object.freeze({
    table,
    columns: Object.freeze(
      columns.rows.map((c) =>
        Object.freeze({
          name: c.name,
          columnType: c.columnType,
          dataType: c.dataType,
          nullable: c.nullable === 'YES',
          charset: c.charset,
          collation: c.collation,
          generated: Number(c.generated) === 1,
          invisible: isInvisibleExtra(c.extra),
          autoIncrement: /auto_increment/i.test(c.extra),
        }),
      ),
    ),
    primaryKey: Object.freeze(key.rows.map((r) => r.name)),
    view: columns.rows[0]?.tableType === 'VIEW',
  });
}

/** Refuses a view where a base table is needed, saying it is a view (not "has no primary key"). */
export function requireBaseTable(meta: TableMetadata, purpose: string): void {
  if (!meta.view) return;
  throw new UsageError(`${meta.table} is a view, not a table: ${purpose}`, {
    hint: 'name the base table(s) the view reads instead',
    facts: { table: meta.table.toString(), kind: 'view' },
  });
}

/** Like `readTableMetadata`, but refuses a table without a primary key: rows could not be matched exactly. */
export async function readKeyedTable(db: Kysely<any>, table: TableRef): Promise<TableMetadata> {
  const meta = await readTableMetadata(db, table);
  requireBaseTable(meta, 'rowback writes only to base tables');
  if (meta.primaryKey.length === 0) {
    throw new UsageError(`table ${table} has no primary key, so its rows cannot be matched exactly`, {
      hint: 'rowback writes only to tables with a primary key; add one or restore this table by hand',
      facts: { table: table.toString() },
    });
  }
  return meta;
}

/** Columns rowback may write: everything but generated columns (invisible ones included). */
export function writableColumns(meta: TableMetadata): readonly string[] {
  return meta.columns.filter((c) => !c.generated).map((c) => c.name);
}

/**
 * The column, or a `UsageError` naming the table and the columns it does have.
 *
 * @example const email = requireColumn(await readTableMetadata(db, live), 'user_email');
 */
export function requireColumn(meta: TableMetadata, name: string): ColumnInfo {
  const column = meta.columns.find((c) => c.name === name);
  if (!column) {
    throw new UsageError(`table ${meta.table} has no column ${JSON.stringify(name)}`, {
      hint: `its columns are ${meta.columns.map((c) => c.name).join(', ')}`,
      facts: { table: meta.table.toString(), column: name },
    });
  }
  return column;
}

/** A column definition for a rowback-made table: same storage type, charset and collation, no default. */
export function columnDefinition(column: ColumnInfo, notNull: boolean): string {
  const charset =
    column.charset && column.collation ? ` CHARACTER SET ${column.charset} COLLATE ${column.collation}` : '';
  return `${column.columnType}${charset}${notNull ? ' NOT NULL' : ' NULL'}`;
}

/** `'wp_users'` in the live schema, or a `TableRef` as given. */
export function resolveTable(liveSchema: string, table: string | TableRef): TableRef {
  return typeof table === 'string' ? new TableRef(liveSchema, table) : table;
}

/** Types whose comparison must be byte-wise: collations make `'A' = 'a'` and `'a' = 'a '` true. */
const TEXT_TYPES = new Set([
  'char',
  'varchar',
  'tinytext',
  'text',
  'mediumtext',
  'longtext',
  'enum',
  'set',
  'json',
]);

/** Whether `<=>` on this column may call different bytes equal (collations, pad space). */
export function needsBinaryComparison(column: ColumnInfo | undefined): boolean {
  return column === undefined || TEXT_TYPES.has(column.dataType);
}
