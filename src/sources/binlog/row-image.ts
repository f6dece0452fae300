import { SourceError } from '../../errors/index.ts';
import { binaryDecimalSize, decodeBinaryDecimal } from './binary-decimal.ts';
import type { ByteCursor } from './byte-cursor.ts';
import { ColumnType, type MappedColumn } from './column-type.ts';
import { decodeMysqlJson } from './mysql-json.ts';
import {
  decodeDate,
  decodeDatetime2,
  decodeOldDatetime,
  decodeOldTime,
  decodeTime2,
  decodeTimestamp,
  decodeTimestamp2,
  fractionBytes,
} from './temporal-values.ts';

/**
 * A column value as rowback lands it: numbers (64-bit integers and DECIMAL as exact text), temporals
 * as text (TIMESTAMP in UTC), ENUM as its 1-based index and SET as its bit mask (what the server
 * assigns back to the same member), strings, BLOB, BIT and GEOMETRY as the raw bytes, MySQL JSON as
 * JSON text. `undefined` for a column the image does not hold (binlog_row_image not FULL).
 */
export type BinlogValue = null | number | string | Buffer;

/**
 * Reads one row image: the null bitmap over the present columns, then each present non-null value.
 * `unsigned[i]` says how to read integer column i.
 */
export function readRowImage(
  cursor: ByteCursor,
  columns: readonly MappedColumn[],
  present: readonly boolean[],
  unsigned: readonly boolean[],
): (BinlogValue | undefined)[] {
  const presentCount = present.reduce((n, p) => n + (p ? 1 : 0), 0);
  const nulls = cursor.bytes(Math.ceil(presentCount / 8));
  const row: (BinlogValue | undefined)[] = new Array(columns.length);
  let bit = 0;
  for (let i = 0; i < columns.length; i++) {
    if (!present[i]) continue;
    const isNull = (nulls[bit >> 3]! & (1 << (bit & 7))) !== 0;
    bit++;
    row[i] = isNull ? null : readValue(cursor, columns[i]!, unsigned[i] === true);
  }
  return row;
}

function readValue(cursor: ByteCursor, column: MappedColumn, unsigned: boolean): BinlogValue {
  switch (column.type) {
    case ColumnType.TINY: {
      const v = cursor.uint8();
      return unsigned ? v : (v << 24) >> 24;
    }
    case ColumnType.SHORT: {
      const v = cursor.uint16();
      return unsigned ? v : (v << 16) >> 16;
    }
    case ColumnType.INT24: {
      const v = cursor.uint24();
      return unsigned ? v : (v << 8) >> 8;
    }
    case ColumnType.LONG: {
      const v = cursor.uint32();
      return unsigned ? v : v | 0;
    }
    case ColumnType.LONGLONG: {
      const bytes = cursor.bytes(8);
      return String(unsigned ? bytes.readBigUInt64LE(0) : bytes.readBigInt64LE(0));
    }
    case ColumnType.FLOAT:
      return cursor.bytes(4).readFloatLE(0);
    case ColumnType.DOUBLE:
      return cursor.bytes(8).readDoubleLE(0);
    case ColumnType.NEWDECIMAL:
      return decodeBinaryDecimal(
        cursor.bytes(binaryDecimalSize(column.precision, column.scale)),
        column.precision,
        column.scale,
      );
    case ColumnType.YEAR: {
      const v = cursor.uint8();
      return v === 0 ? 0 : 1900 + v;
    }
    case ColumnType.DATE:
    case ColumnType.NEWDATE:
      return decodeDate(cursor.uint24());
    case ColumnType.TIME: {
      const v = cursor.uint24();
      return decodeOldTime((v << 8) >> 8);
    }
    case ColumnType.DATETIME:
      return decodeOldDatetime(cursor.uint64());
    case ColumnType.TIMESTAMP:
      return decodeTimestamp(cursor.uint32(), 0, 0);
    case ColumnType.TIMESTAMP2:
      return decodeTimestamp2(cursor.bytes(4 + fractionBytes(column.scale)), column.scale);
    case ColumnType.DATETIME2:
      return decodeDatetime2(cursor.bytes(5 + fractionBytes(column.scale)), column.scale);
    case ColumnType.TIME2:
      return decodeTime2(cursor.bytes(3 + fractionBytes(column.scale)), column.scale);
    case ColumnType.VARCHAR:
    case ColumnType.VAR_STRING:
    case ColumnType.STRING:
      return cursor.bytes(column.length > 255 ? cursor.uint16() : cursor.uint8());
    case ColumnType.ENUM:
      return cursor.uintLE(column.length);
    case ColumnType.SET:
      if (column.length > 6) {
        // A mask past 48 bits is not exact as a JS number, and as text the server would read member names.
        throw new SourceError('binlog holds a SET column with more than 48 members', {
          hint: 'rowback cannot land it exactly; restore that table from a dump instead',
        });
      }
      return cursor.uintLE(column.length);
    case ColumnType.BIT:
      return cursor.bytes(Math.ceil(column.length / 8));
    case ColumnType.TINY_BLOB:
    case ColumnType.MEDIUM_BLOB:
    case ColumnType.LONG_BLOB:
    case ColumnType.BLOB:
    case ColumnType.GEOMETRY:
      return cursor.bytes(cursor.uintLE(column.length));
    case ColumnType.JSON:
      return decodeMysqlJson(cursor.bytes(cursor.uintLE(column.length)));
    default:
      throw new SourceError(`binlog column type ${column.type} is not supported`, {
        hint: 'rowback decodes the types of MySQL 8.x and MariaDB 10.x tables; report the table definition',
      });
  }
}
