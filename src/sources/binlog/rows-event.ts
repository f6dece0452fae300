import { BinlogSettingError } from '../../errors/index.ts';
import { ByteCursor } from './byte-cursor.ts';
import { uncompressMariadb } from './compressed-event.ts';
import type { RowChangeKind, RowsEventShape } from './event-types.ts';
import { type BinlogValue, readRowImage } from './row-image.ts';
import type { TableMap } from './table-map.ts';

/** One row change of a rows event: the before image (update, delete) and the after image (insert, update). */
export interface RowChange {
  readonly kind: RowChangeKind;
  readonly before: readonly BinlogValue[] | null;
  readonly after: readonly BinlogValue[] | null;
}

/** The table id a rows event refers to (read before its TABLE_MAP is looked up). */
export function rowsEventTableId(body: Buffer, tableIdSize: number): number {
  return new ByteCursor(body).uintLE(tableIdSize);
}

/**
 * Decodes the rows of a WRITE/UPDATE/DELETE_ROWS event (v1, v2, MariaDB compressed). Refuses images
 * that miss a column: only `binlog_row_image=FULL` gives every row's exact before state.
 */
export function decodeRowsEvent(
  body: Buffer,
  shape: RowsEventShape,
  map: TableMap,
  unsigned: readonly boolean[],
  tableIdSize: number,
): RowChange[] {
  const cursor = new ByteCursor(body);
  cursor.skip(tableIdSize + 2);
  if (shape.v2) cursor.skip(cursor.uint16() - 2);
  const width = cursor.packedInt();
  const bitmap = () => {
    const bits = cursor.bytes(Math.ceil(width / 8));
    return Array.from({ length: width }, (_, i) => (bits[i >> 3]! & (1 << (i & 7))) !== 0);
  };
  const first = bitmap();
  const second = shape.kind === 'update' ? bitmap() : first;
  if (width !== map.columns.length || !first.every(Boolean) || !second.every(Boolean)) {
    throw new BinlogSettingError({
      setting: 'binlog_row_image',
      expected: 'FULL',
      found: 'MINIMAL or NOBLOB',
      what: `a ${shape.kind} on ${map.schema}.${map.table} logs ${first.filter(Boolean).length} of its ${map.columns.length} columns`,
      fix: 'rowback can only recover rows from full images: SET GLOBAL binlog_row_image = FULL for the future; this window cannot be recovered from the log',
    });
  }
  const data = shape.compressed ? new ByteCursor(uncompressMariadb(cursor.rest())) : cursor;
  const rows: RowChange[] = [];
  while (data.remaining > 0) {
    const image = () => readRowImage(data, map.columns, first, unsigned) as BinlogValue[];
    if (shape.kind === 'insert') rows.push({ kind: 'insert', before: null, after: image() });
    else if (shape.kind === 'delete') rows.push({ kind: 'delete', before: image(), after: null });
    else {
      const before = image();
      const after = readRowImage(data, map.columns, second, unsigned) as BinlogValue[];
      rows.push({ kind: 'update', before, after });
    }
  }
  return rows;
}
