import { sql } from 'kysely';
import { GENERATED_COLUMN_CONDITION, quoteId, type Target } from '../../db/index.ts';
import { SourceError } from '../../errors/index.ts';

/** A live table's columns as the binlog landing needs them: in table order, with what decodes them. */
export interface LiveColumn {
  readonly name: string;
  /** Lower-case base type, e.g. `bigint`, `varchar`. */
  readonly dataType: string;
  /** The DDL type with its character set and collation, e.g. `varchar(60) CHARACTER SET utf8mb4 COLLATE …`. */
  readonly definition: string;
  readonly unsigned: boolean;
  readonly generated: boolean;
}

export interface LiveTableShape {
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly LiveColumn[];
  /** Indexes into `columns` of the primary key, in key order. */
  readonly key: readonly number[];
  readonly createTable: string;
}

/**
 * Reads the live table the log's rows belong to: the log names no columns (unless
 * binlog_row_metadata=FULL) and says nothing of signedness on MariaDB, so the live definition does. A
 * table without a primary key is refused: rows are matched by key, later and in revert.
 */
export async function readLiveTableShape(
  target: Target,
  schema: string,
  table: string,
): Promise<LiveTableShape> {
  const columns = await sql<{
    name: string;
    dataType: string;
    columnType: string;
    charset: string | null;
    collation: string | null;
    generated: number | string;
    columnKey: string;
  }>`
    SELECT c.COLUMN_NAME AS name, LOWER(c.DATA_TYPE) AS dataType, c.COLUMN_TYPE AS columnType,
           c.CHARACTER_SET_NAME AS charset, c.COLLATION_NAME AS collation,
           ${sql.raw(GENERATED_COLUMN_CONDITION)} AS ${sql.id('generated')}, c.COLUMN_KEY AS columnKey
      FROM information_schema.COLUMNS c
     WHERE c.TABLE_SCHEMA = ${schema} AND c.TABLE_NAME = ${table}
     ORDER BY c.ORDINAL_POSITION`.execute(target.db);
  if (columns.rows.length === 0) {
    throw new SourceError(`table ${schema}.${table} does not exist on ${target.description}`, {
      hint: 'fromBinlog reads the definitions of the tables it recovers from the live schema; check tables and schema',
    });
  }
  const key = await sql<{ name: string }>`
    SELECT COLUMN_NAME AS name FROM information_schema.STATISTICS
     WHERE TABLE_SCHEMA = ${schema} AND TABLE_NAME = ${table} AND INDEX_NAME = 'PRIMARY'
     ORDER BY SEQ_IN_INDEX`.execute(target.db);
  if (key.rows.length === 0) {
    throw new SourceError(`table ${schema}.${table} has no primary key`, {
      hint: 'fromBinlog matches the rows of the log by primary key; add one, or restore this table from a dump',
    });
  }
  const shaped = columns.rows.map((c) =>
    Object.freeze({
      name: c.name,
      dataType: c.dataType,
      definition:
        c.columnType +
        (c.charset ? ` CHARACTER SET ${c.charset}` : '') +
        (c.collation ? ` COLLATE ${c.collation}` : ''),
      unsigned: /unsigned/i.test(c.columnType),
      generated: Number(c.generated) === 1,
    }),
  );
  const created = await sql<Record<string, string>>`${sql.raw(
    `SHOW CREATE TABLE ${quoteId(schema)}.${quoteId(table)}`,
  )}`.execute(target.db);
  return Object.freeze({
    schema,
    table,
    columns: Object.freeze(shaped),
    key: Object.freeze(key.rows.map((k) => shaped.findIndex((c) => c.name === k.name))),
    createTable: String(created.rows[0]?.['Create Table'] ?? ''),
  });
}
