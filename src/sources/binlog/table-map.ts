import { ByteCursor } from './byte-cursor.ts';
import { isNumericType, type MappedColumn, readColumnMetadata } from './column-type.ts';

/** A TABLE_MAP event: which table a table id stands for, and its columns' types. */
export interface TableMap {
  readonly tableId: number;
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly MappedColumn[];
  /** From the optional metadata (`binlog_row_metadata=FULL` / MySQL 8 MINIMAL): null when not logged. */
  readonly columnNames: readonly string[] | null;
  /** Per column, unsigned; null when the log does not say (then the live table's definition does). */
  readonly unsigned: readonly boolean[] | null;
}

const OPTIONAL_SIGNEDNESS = 1;
const OPTIONAL_COLUMN_NAME = 4;

/** Decodes a TABLE_MAP body; `tableIdSize` is 6, or 4 for the old post-header length of 6. */
export function decodeTableMap(body: Buffer, tableIdSize: number): TableMap {
  const cursor = new ByteCursor(body);
  const tableId = cursor.uintLE(tableIdSize);
  cursor.skip(2); // flags
  const schema = cursor.text(cursor.uint8());
  cursor.skip(1);
  const table = cursor.text(cursor.uint8());
  cursor.skip(1);
  const count = cursor.packedInt();
  const types = [...cursor.bytes(count)];
  const metadata = new ByteCursor(cursor.bytes(cursor.packedInt()));
  const shapes = types.map((type) => readColumnMetadata(type, metadata));
  const nulls = cursor.bytes(Math.ceil(count / 8));
  const columns = shapes.map((shape, i) =>
    Object.freeze({ ...shape, nullable: (nulls[i >> 3]! & (1 << (i & 7))) !== 0 }),
  );
  let columnNames: string[] | null = null;
  let unsigned: boolean[] | null = null;
  while (cursor.remaining > 0) {
    const kind = cursor.uint8();
    const field = new ByteCursor(cursor.bytes(cursor.packedInt()));
    if (kind === OPTIONAL_COLUMN_NAME) {
      columnNames = [];
      while (field.remaining > 0) columnNames.push(field.text(field.packedInt()));
    } else if (kind === OPTIONAL_SIGNEDNESS) {
      const bits = field.rest();
      let numeric = 0;
      unsigned = columns.map((c) => {
        if (!isNumericType(c.type)) return false;
        const bit = numeric++;
        return (bits[bit >> 3]! & (0x80 >> (bit & 7))) !== 0;
      });
    }
  }
  return Object.freeze({
    tableId,
    schema,
    table,
    columns: Object.freeze(columns),
    columnNames: columnNames && Object.freeze(columnNames),
    unsigned: unsigned && Object.freeze(unsigned),
  });
}
