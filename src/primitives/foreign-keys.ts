import { type Kysely, sql } from 'kysely';
import { TableRef } from '../db/index.ts';

/** One foreign key: `child(columns)` references `parent(referencedColumns)`. */
export interface ForeignKey {
  readonly name: string;
  readonly child: TableRef;
  readonly columns: readonly string[];
  readonly parent: TableRef;
  readonly referencedColumns: readonly string[];
  /** `CASCADE`, `SET NULL`, `SET DEFAULT`, `RESTRICT` or `NO ACTION`. */
  readonly onDelete: string;
  readonly onUpdate: string;
}

interface ForeignKeyRow {
  readonly name: string;
  readonly childSchema: string;
  readonly childTable: string;
  readonly column: string;
  readonly parentSchema: string;
  readonly parentTable: string;
  readonly referencedColumn: string;
  readonly onDelete: string;
  readonly onUpdate: string;
}

/** Foreign keys whose child or parent is one of `tables`, from information_schema. */
export async function readForeignKeys(
  db: Kysely<any>,
  tables: readonly TableRef[],
): Promise<readonly ForeignKey[]> {
  if (tables.length === 0) return [];
  const match = (schemaCol: string, tableCol: string) =>
    sql.join(
      tables.map((t) => sql`(${sql.ref(schemaCol)} = ${t.schema} AND ${sql.ref(tableCol)} = ${t.name})`),
      sql` OR `,
    );
  const result = await sql<ForeignKeyRow>`
    SELECT k.CONSTRAINT_NAME AS name, k.TABLE_SCHEMA AS childSchema, k.TABLE_NAME AS childTable,
           k.COLUMN_NAME AS ${sql.id('column')}, k.REFERENCED_TABLE_SCHEMA AS parentSchema,
           k.REFERENCED_TABLE_NAME AS parentTable, k.REFERENCED_COLUMN_NAME AS referencedColumn,
           r.DELETE_RULE AS onDelete, r.UPDATE_RULE AS onUpdate
    FROM information_schema.KEY_COLUMN_USAGE k
    JOIN information_schema.REFERENTIAL_CONSTRAINTS r
      ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
     AND r.TABLE_NAME = k.TABLE_NAME
    WHERE k.REFERENCED_TABLE_NAME IS NOT NULL
      AND ((${match('k.TABLE_SCHEMA', 'k.TABLE_NAME')}) OR (${match('k.REFERENCED_TABLE_SCHEMA', 'k.REFERENCED_TABLE_NAME')}))
    ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`.execute(db);
  const byName = new Map<string, { row: ForeignKeyRow; columns: string[]; referenced: string[] }>();
  for (const row of result.rows) {
    const id = `${row.childSchema}.${row.childTable}.${row.name}`;
    const entry = byName.get(id) ?? { row, columns: [], referenced: [] };
    entry.columns.push(row.column);
    entry.referenced.push(row.referencedColumn);
    byName.set(id, entry);
  }
  return [...byName.values()].map(({ row, columns, referenced }) =>
    Object.freeze({
      name: row.name,
      child: new TableRef(row.childSchema, row.childTable),
      columns: Object.freeze(columns),
      parent: new TableRef(row.parentSchema, row.parentTable),
      referencedColumns: Object.freeze(referenced),
      onDelete: row.onDelete,
      onUpdate: row.onUpdate,
    }),
  );
}

const same = (a: TableRef, b: TableRef) => a.schema === b.schema && a.name === b.name;

/**
 * Orders tables parents first (for inserts); reverse it for deletes (children first). Tables in a
 * foreign-key cycle, or self-references, keep their given order.
 *
 * @example parentsFirst([usermeta, users], fks) // [users, usermeta] when usermeta.user_id references users
 */
export function parentsFirst<T extends TableRef>(
  tables: readonly T[],
  foreignKeys: readonly ForeignKey[],
): T[] {
  const ordered: T[] = [];
  const visiting = new Set<T>();
  const visit = (table: T) => {
    if (ordered.includes(table) || visiting.has(table)) return;
    visiting.add(table);
    for (const fk of foreignKeys) {
      if (!same(fk.child, table) || same(fk.parent, table)) continue;
      const parent = tables.find((t) => same(t, fk.parent));
      if (parent) visit(parent);
    }
    visiting.delete(table);
    ordered.push(table);
  };
  for (const table of tables) visit(table);
  return ordered;
}

/** Foreign keys whose parent is `table` (the ones a delete from `table` can trigger). */
export function childForeignKeys(table: TableRef, foreignKeys: readonly ForeignKey[]): readonly ForeignKey[] {
  return foreignKeys.filter((fk) => same(fk.parent, table));
}
