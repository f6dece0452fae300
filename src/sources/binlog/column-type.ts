import type { ByteCursor } from './byte-cursor.ts';

/** Column type codes of a TABLE_MAP event (`enum_field_types` of both servers). */
export const ColumnType = Object.freeze({
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  NULL: 6,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  VARCHAR: 15,
  BIT: 16,
  TIMESTAMP2: 17,
  DATETIME2: 18,
  TIME2: 19,
  JSON: 245,
  NEWDECIMAL: 246,
  ENUM: 247,
  SET: 248,
  TINY_BLOB: 249,
  MEDIUM_BLOB: 250,
  LONG_BLOB: 251,
  BLOB: 252,
  VAR_STRING: 253,
  STRING: 254,
  GEOMETRY: 255,
});

/** One column as a TABLE_MAP describes it: its type and the per-type metadata that sizes its values. */
export interface MappedColumn {
  /** The real type: for CHAR/ENUM/SET the one packed into the STRING metadata. */
  readonly type: number;
  /** VARCHAR/CHAR max bytes; BLOB/JSON/GEOMETRY length bytes; ENUM/SET value bytes; BIT bits; FLOAT/DOUBLE size. */
  readonly length: number;
  readonly precision: number;
  /** DECIMAL scale, or fractional-second digits of TIME2/DATETIME2/TIMESTAMP2. */
  readonly scale: number;
  readonly nullable: boolean;
}

/** Reads one column's metadata from a TABLE_MAP's metadata block. */
export function readColumnMetadata(type: number, cursor: ByteCursor): Omit<MappedColumn, 'nullable'> {
  const none = { type, length: 0, precision: 0, scale: 0 };
  switch (type) {
    case ColumnType.FLOAT:
    case ColumnType.DOUBLE:
    case ColumnType.TINY_BLOB:
    case ColumnType.MEDIUM_BLOB:
    case ColumnType.LONG_BLOB:
    case ColumnType.BLOB:
    case ColumnType.GEOMETRY:
    case ColumnType.JSON:
      return { ...none, length: cursor.uint8() };
    case ColumnType.VARCHAR:
    case ColumnType.VAR_STRING:
      return { ...none, length: cursor.uint16() };
    case ColumnType.BIT: {
      const bits = cursor.uint8();
      const bytes = cursor.uint8();
      return { ...none, length: bytes * 8 + bits };
    }
    case ColumnType.NEWDECIMAL: {
      const precision = cursor.uint8();
      return { ...none, precision, scale: cursor.uint8() };
    }
    case ColumnType.TIME2:
    case ColumnType.DATETIME2:
    case ColumnType.TIMESTAMP2:
      return { ...none, scale: cursor.uint8() };
    case ColumnType.STRING:
    case ColumnType.ENUM:
    case ColumnType.SET: {
      // Two bytes, first the real type: CHAR, ENUM and SET all log as STRING. A CHAR longer than 255
      // bytes keeps the two high bits of its length inverted in bits 4-5 of the type byte.
      const high = cursor.uint8();
      const low = cursor.uint8();
      if ((high & 0x30) !== 0x30) {
        return { ...none, type: high | 0x30, length: low | (((high & 0x30) ^ 0x30) << 4) };
      }
      return { ...none, type: high, length: low };
    }
    default:
      return none;
  }
}

/** Types whose signedness the optional metadata's SIGNEDNESS bitmap covers, in column order. */
export function isNumericType(type: number): boolean {
  return (
    type === ColumnType.TINY ||
    type === ColumnType.SHORT ||
    type === ColumnType.INT24 ||
    type === ColumnType.LONG ||
    type === ColumnType.LONGLONG ||
    type === ColumnType.NEWDECIMAL ||
    type === ColumnType.FLOAT ||
    type === ColumnType.DOUBLE
  );
}

/** The information_schema DATA_TYPEs a logged column type can belong to (a changed definition shows here). */
const LIVE_TYPES: ReadonlyMap<number, readonly string[]> = new Map([
  [ColumnType.TINY, ['tinyint', 'boolean']],
  [ColumnType.SHORT, ['smallint']],
  [ColumnType.INT24, ['mediumint']],
  [ColumnType.LONG, ['int', 'integer']],
  [ColumnType.LONGLONG, ['bigint']],
  [ColumnType.FLOAT, ['float']],
  [ColumnType.DOUBLE, ['double', 'real']],
  [ColumnType.NEWDECIMAL, ['decimal', 'numeric']],
  [ColumnType.YEAR, ['year']],
  [ColumnType.DATE, ['date']],
  [ColumnType.NEWDATE, ['date']],
  [ColumnType.TIME, ['time']],
  [ColumnType.TIME2, ['time']],
  [ColumnType.DATETIME, ['datetime']],
  [ColumnType.DATETIME2, ['datetime']],
  [ColumnType.TIMESTAMP, ['timestamp']],
  [ColumnType.TIMESTAMP2, ['timestamp']],
  [ColumnType.VARCHAR, ['varchar', 'varbinary', 'inet6', 'uuid']],
  [ColumnType.VAR_STRING, ['varchar', 'varbinary']],
  [ColumnType.STRING, ['char', 'binary', 'inet6', 'uuid', 'inet4']],
  [ColumnType.ENUM, ['enum']],
  [ColumnType.SET, ['set']],
  [ColumnType.BIT, ['bit']],
  [
    ColumnType.BLOB,
    ['tinytext', 'text', 'mediumtext', 'longtext', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'json'],
  ],
  [
    ColumnType.GEOMETRY,
    [
      'geometry',
      'point',
      'linestring',
      'polygon',
      'multipoint',
      'multilinestring',
      'multipolygon',
      'geometrycollection',
      'geomcollection',
    ],
  ],
  [ColumnType.JSON, ['json']],
]);

/** Whether a column logged as `type` can be the live column of base type `dataType`. */
export function loggedTypeMatches(type: number, dataType: string): boolean {
  return LIVE_TYPES.get(type)?.includes(dataType) ?? false;
}
