import { SourceError } from '../../errors/index.ts';
import { decodeBinaryDecimal } from './binary-decimal.ts';
import { ColumnType } from './column-type.ts';
import { decodePackedTemporal } from './temporal-values.ts';

/** Value type bytes of MySQL's binary JSON (`json_binary.h`). */
const J = Object.freeze({
  SMALL_OBJECT: 0x00,
  LARGE_OBJECT: 0x01,
  SMALL_ARRAY: 0x02,
  LARGE_ARRAY: 0x03,
  LITERAL: 0x04,
  INT16: 0x05,
  UINT16: 0x06,
  INT32: 0x07,
  UINT32: 0x08,
  INT64: 0x09,
  UINT64: 0x0a,
  DOUBLE: 0x0b,
  STRING: 0x0c,
  OPAQUE: 0x0f,
});

/**
 * Decodes a JSON column value of MySQL's binlog (its binary JSON format) to JSON text the server
 * parses back to the same document. Integers keep every digit (64-bit values are never floats).
 * MariaDB logs JSON as text and never reaches this.
 */
export function decodeMysqlJson(bytes: Buffer): string {
  if (bytes.length === 0) return 'null';
  return value(bytes, bytes[0]!, 1, bytes.length - 1);
}

function value(bytes: Buffer, type: number, at: number, length: number): string {
  switch (type) {
    case J.SMALL_OBJECT:
    case J.LARGE_OBJECT:
      return container(bytes.subarray(at, at + length), type === J.LARGE_OBJECT, true);
    case J.SMALL_ARRAY:
    case J.LARGE_ARRAY:
      return container(bytes.subarray(at, at + length), type === J.LARGE_ARRAY, false);
    case J.LITERAL:
      return literal(bytes[at]!);
    case J.INT16:
      return String(bytes.readInt16LE(at));
    case J.UINT16:
      return String(bytes.readUInt16LE(at));
    case J.INT32:
      return String(bytes.readInt32LE(at));
    case J.UINT32:
      return String(bytes.readUInt32LE(at));
    case J.INT64:
      return String(bytes.readBigInt64LE(at));
    case J.UINT64:
      return String(bytes.readBigUInt64LE(at));
    case J.DOUBLE:
      return JSON.stringify(bytes.readDoubleLE(at));
    case J.STRING: {
      const [size, skip] = varLength(bytes, at);
      return JSON.stringify(bytes.toString('utf8', at + skip, at + skip + size));
    }
    case J.OPAQUE:
      return opaque(bytes, at);
    default:
      throw new SourceError(`binary JSON holds an unknown value type 0x${type.toString(16)}`, {
        hint: 'the event is corrupt or from a server version rowback does not know',
      });
  }
}

function literal(code: number): string {
  return code === 1 ? 'true' : code === 2 ? 'false' : 'null';
}

function container(data: Buffer, large: boolean, object: boolean): string {
  const word = large ? 4 : 2;
  const read = (at: number) => (large ? data.readUInt32LE(at) : data.readUInt16LE(at));
  const count = read(0);
  const header = 2 * word;
  const keyEntry = word + 2;
  const valueEntry = 1 + word;
  const valuesAt = header + (object ? count * keyEntry : 0);
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const entry = valuesAt + i * valueEntry;
    const type = data[entry]!;
    const inlined =
      type === J.LITERAL ||
      type === J.INT16 ||
      type === J.UINT16 ||
      (large && (type === J.INT32 || type === J.UINT32));
    const item = inlined
      ? value(data, type, entry + 1, word)
      : value(data, type, read(entry + 1), data.length - read(entry + 1));
    if (object) {
      const keyAt = header + i * keyEntry;
      const offset = read(keyAt);
      const key = data.toString('utf8', offset, offset + data.readUInt16LE(keyAt + word));
      parts.push(`${JSON.stringify(key)}:${item}`);
    } else {
      parts.push(item);
    }
  }
  return object ? `{${parts.join(',')}}` : `[${parts.join(',')}]`;
}

/** The variable-length size of strings and opaque values: 7 bits per byte, low bits first. */
function varLength(bytes: Buffer, at: number): [number, number] {
  let size = 0;
  for (let i = 0; i < 5; i++) {
    const byte = bytes[at + i]!;
    size |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) === 0) return [size, i + 1];
  }
  throw new SourceError('binary JSON holds a string length longer than 5 bytes', {
    hint: 'the event is corrupt',
  });
}

/** Opaque values carry a MySQL column type: DECIMAL and the temporals become JSON strings/numbers. */
function opaque(bytes: Buffer, at: number): string {
  const type = bytes[at]!;
  const [size, skip] = varLength(bytes, at + 1);
  const data = bytes.subarray(at + 1 + skip, at + 1 + skip + size);
  switch (type) {
    case ColumnType.NEWDECIMAL:
      return decodeBinaryDecimal(data.subarray(2), data[0]!, data[1]!);
    case ColumnType.DATE:
      return JSON.stringify(decodePackedTemporal(data.readBigInt64LE(0), 'date'));
    case ColumnType.TIME:
      return JSON.stringify(decodePackedTemporal(data.readBigInt64LE(0), 'time'));
    case ColumnType.DATETIME:
    case ColumnType.TIMESTAMP:
      return JSON.stringify(decodePackedTemporal(data.readBigInt64LE(0), 'datetime'));
    default:
      // What MySQL itself prints for other opaque values (JSON_TYPE 'BLOB' etc.).
      return JSON.stringify(`base64:type${type}:${data.toString('base64')}`);
  }
}
